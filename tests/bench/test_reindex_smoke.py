"""The reindex benchmark runs end to end on a tiny trust: it seeds, rebuilds the database index
of every published resource from the ORM rows and reports the figure the runner gathers. The
figures themselves are not asserted: they depend on the machine."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_reindex_benchmark_rebuilds_every_published_resource() -> None:
    env = dict(os.environ)
    env.pop("ELASTICSEARCH_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        PYTHONPATH=f"{ROOT / 'site'}{os.pathsep}{ROOT}",
    )
    finished = subprocess.run(
        [sys.executable, "-m", "bench.reindex", "--size", "tiny", "--repetitions", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    report = json.loads(finished.stdout)

    (figure,) = report["figures"]
    assert figure["name"] == "reindex.database"
    assert figure["n"] == 2
    assert figure["conditions"]["records"] == report["reindex"]["records"] > 0
    assert figure["conditions"]["extrapolated"] is True
    assert figure["met"] in (True, False)
    assert report["elasticsearch"] is None
    assert report["conditions"]["size"] == "tiny"
    assert "load_average" in report["machine"]

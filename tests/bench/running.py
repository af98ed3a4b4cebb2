"""Running a bench the way `python -m bench` does, for the smoke tests: its own process, the
development settings, no Elasticsearch unless asked, its JSON report parsed."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(module: str, *args: str, timeout: float, **env: str) -> dict:
    """Run `python -m <module> <args>` from the repository root; fail with the end of its
    error output unless it exits 0; return the JSON document it printed."""
    environment = dict(os.environ)
    environment.pop("ELASTICSEARCH_URL", None)
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        PYTHONPATH=f"{ROOT / 'site'}{os.pathsep}{ROOT}",
        **env,
    )
    finished = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return json.loads(finished.stdout)

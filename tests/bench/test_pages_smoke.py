"""The pages benchmark runs end to end on a tiny trust: every page answers, each has a figure
beside the floor, and query counts at both trust sizes. The times themselves are not asserted:
they depend on the machine."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["home", "network", "browse", "resource", "thread", "forum", "search", "profile",
         "directory", "news"]  # fmt: skip


# Migrating the throwaway database alone takes a minute or more on a busy machine.
@pytest.mark.timeout(900)
def test_the_pages_benchmark_times_every_page_beside_the_floor() -> None:
    env = dict(os.environ)
    env.pop("ELASTICSEARCH_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        PYTHONPATH=f"{ROOT / 'site'}{os.pathsep}{ROOT}",
    )
    finished = subprocess.run(
        [sys.executable, "-m", "bench.pages", "--size", "tiny", "--rounds", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    report = json.loads(finished.stdout)

    figures = {figure["name"]: figure for figure in report["figures"]}
    assert set(figures) == {f"pages.{page}" for page in PAGES} | {"pages.floor"}
    for page in PAGES:
        figure = figures[f"pages.{page}"]
        assert figure["floor"] == "pages.floor"
        assert figure["n"] == 1
        assert figure["conditions"]["queries"] > 0
        assert figure["conditions"]["queries_tiny_trust"] > 0
        assert isinstance(figure["met"], bool)
    assert report["conditions"]["size"] == "tiny"
    assert report["conditions"]["data"]["news"] > 0
    assert report["machine"]["cores"]

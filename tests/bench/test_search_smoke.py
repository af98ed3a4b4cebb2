"""The search benchmark runs end to end on a tiny trust, on SQLite and on PostgreSQL: it indexes
every record, times the backend next to the bare floor and finds the facet counts exact. The
figures themselves are not asserted: they depend on the machine."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_the_benchmark(**settings: str) -> dict:
    env = dict(os.environ)
    env.pop("ELASTICSEARCH_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        PYTHONPATH=f"{ROOT / 'site'}{os.pathsep}{ROOT}",
        BENCH_RESOURCES="400",
        BENCH_REPETITIONS="1",
        **settings,
    )
    finished = subprocess.run(
        [sys.executable, "-m", "bench.search"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    report = json.loads(finished.stdout)
    assert report["indexing"]["records"] == 400
    assert report["meets_goals"]["exact_facet_counts"] is True
    assert report["search"]["n"] == 2 * report["data"]["queries"]
    assert report["floor"]["n"] == report["data"]["queries"]
    assert report["data"]["matches"]["max"] > 0
    return report


def test_the_search_benchmark_indexes_searches_and_checks_facets() -> None:
    report = run_the_benchmark()

    assert report["data"]["database"].startswith("SQLite ")


@pytest.mark.postgres
def test_the_search_benchmark_runs_on_postgresql(postgres_server) -> None:
    # The fixture skips, or fails under CI, where PostgreSQL is missing; the benchmark then
    # starts its own server, as it does when run by hand.
    report = run_the_benchmark(BENCH_DATABASE="postgresql")

    assert report["data"]["database"].startswith("PostgreSQL ")
    assert "PostgreSQL" in report["benchmark"]

"""Reindex: every published resource of the generated trust into the database backend, from the
ORM rows, as `manage.py search_index rebuild --backend database` does (records built by
search.records, written by the backend's rebuild in one transaction), timed end to end.

    DJANGO_SETTINGS_MODULE=config.settings.dev PYTHONPATH=site:. \\
        .venv/bin/python -m bench.reindex --size small

Seeds a throwaway SQLite database (or PostgreSQL with `BENCH_DATABASE=postgresql`, a server
started from the installed binaries) with bench.seed.seed_trust at the size asked for, keeping
threads and posts at their minimum (they are not timed here), then rebuilds the index of the
resources `--repetitions` times (default 3) and reports the median. Also reports the two halves
apart (building the records; writing them). Goal: 100,000 resources in under 60 s. At a smaller
size the rate is measured and the time for 100,000 extrapolated from it (the rebuild's cost
grows about linearly; FTS merges make it a little worse than linear). When ELASTICSEARCH_URL is
set, the same records are also sent to that server through the Elasticsearch backend's rebuild.
Progress goes to stderr; one JSON document to stdout.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import _procs

SEED = 20261126
GOAL_RESOURCES = 100_000
GOAL_SECONDS = 60.0

DATABASE = os.environ.get("BENCH_DATABASE", "sqlite")
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")

_workdir = tempfile.TemporaryDirectory(prefix="staffroom-bench-reindex-")
_procs.exit_on_sigterm()


def say(message: str) -> None:
    print(f"bench.reindex: {message}", file=sys.stderr, flush=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["tiny", "small", "full"], default="small")
    parser.add_argument("--repetitions", type=int, default=3)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    options = parse(argv)
    if DATABASE == "postgresql":
        os.environ["DATABASE_URL"] = _procs.throwaway_postgres("staffroom_bench", bench="reindex")
    elif DATABASE == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(_workdir.name) / 'bench.sqlite3'}"
    else:
        sys.exit(f"bench.reindex: BENCH_DATABASE must be sqlite or postgresql, not {DATABASE!r}")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("LOG_LEVEL", "ERROR")

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection

    from bench import _report
    from bench.seed import MINIMUM, seed_trust, size_for
    from search.backends import database_backend, elasticsearch_backend
    from search.records import _batched, indexed_resources, resource_record

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    counts = size_for(options.size)
    counts.update(threads=MINIMUM["threads"], posts=MINIMUM["posts"])
    say(f"seeding {counts['resources']:,} resources into {connection.vendor}")
    seeded = seed_trust(counts=counts, seed=SEED)
    seeded_s = time.perf_counter() - started

    def records():
        return _batched(indexed_resources(), resource_record)

    backend = database_backend()
    runs: list[float] = []
    indexed = 0
    for repetition in range(options.repetitions):
        began = time.perf_counter()
        indexed = backend.rebuild(records())
        runs.append(time.perf_counter() - began)
        say(f"rebuild {repetition + 1}: {indexed:,} records in {runs[-1]:.1f} s")

    began = time.perf_counter()
    built = list(records())
    building_s = time.perf_counter() - began
    began = time.perf_counter()
    backend.rebuild(built)
    writing_s = time.perf_counter() - began

    seconds = statistics.median(runs)
    rate = indexed / seconds if seconds else 0.0
    at_goal_size = seconds if indexed >= GOAL_RESOURCES * 0.9 else GOAL_RESOURCES / rate
    figures = [
        _report.figure(
            "reindex.database",
            [run * 1000 for run in runs],
            goal=f"{GOAL_RESOURCES:,} resources in under {GOAL_SECONDS:.0f} s",
            met=at_goal_size < GOAL_SECONDS,
            records=indexed,
            records_per_second=round(rate),
            seconds_for_100k=round(at_goal_size, 1),
            extrapolated=indexed < GOAL_RESOURCES * 0.9,
        )
    ]
    elasticsearch = None
    if ELASTICSEARCH_URL and elasticsearch_backend() is not None:
        began = time.perf_counter()
        sent = elasticsearch_backend().rebuild(built)
        took = time.perf_counter() - began
        elasticsearch = {"records": sent, "seconds": round(took, 1), "url_set": True}
        figures.append(
            _report.figure(
                "reindex.elasticsearch",
                [took * 1000],
                goal=f"{GOAL_RESOURCES:,} resources in under {GOAL_SECONDS:.0f} s",
                met=(took if sent >= GOAL_RESOURCES * 0.9 else took * GOAL_RESOURCES / sent)
                < GOAL_SECONDS,
                records=sent,
                records_per_second=round(sent / took) if took else 0,
            )
        )
    report = {
        "benchmark": "reindex: published resources into the search index, from the ORM rows",
        "figures": figures,
        "reindex": {
            "records": indexed,
            "seconds": [round(run, 2) for run in runs],
            "median_s": round(seconds, 2),
            "records_per_second": round(rate),
            "building_records_s": round(building_s, 2),
            "writing_index_s": round(writing_s, 2),
            "seconds_for_100k": round(at_goal_size, 1),
        },
        "elasticsearch": elasticsearch,
        "conditions": {
            "size": options.size,
            "database": seeded.database,
            "layer": "database backend (rebuild)",
            "N": indexed,
            "data": {"resources": counts["resources"], "published_resources": indexed},
            "repetitions": options.repetitions,
            "seed_s": round(seeded_s, 1),
        },
        "machine": _report.machine(),
        "command": ("BENCH_DATABASE=postgresql " if DATABASE == "postgresql" else "")
        + "DJANGO_SETTINGS_MODULE=config.settings.dev PYTHONPATH=site:. "
        f".venv/bin/python -m bench.reindex --size {options.size}",
    }
    connection.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    try:
        main()
    finally:
        _procs.services.close()
        _workdir.cleanup()

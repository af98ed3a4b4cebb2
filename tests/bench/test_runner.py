"""`python -m bench` gathers every bench's figures into one document: ratios from the floor or
peer a figure names, the goals, and a bench that is missing, fails or runs too long recorded
without stopping the others. Fake benches (tiny modules in a throwaway package) stand in for
the real ones, except in the last test, which runs the real browse bench at its tiniest
(BENCH_SMOKE=1)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import __main__ as runner

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "fake_benches_for_the_runner"


def _printing(document: dict) -> str:
    return f"import json\nprint(json.dumps({document!r}))\n"


FAKES = {
    # A latency figure, its floor, and a memory figure with a value instead of percentiles.
    "lists": _printing(
        {
            "figures": [
                {"name": "lists.floor", "p50_ms": 2.0, "p95_ms": 4.0, "p99_ms": 5.0, "n": 9},
                {
                    "name": "lists.page",
                    "p50_ms": 10.0,
                    "p95_ms": 20.0,
                    "p99_ms": 30.0,
                    "n": 9,
                    "floor": "lists.floor",
                    "goal": "p95 under 100 ms",
                    "met": True,
                },
                {
                    "name": "lists.idle",
                    "value": 38.5,
                    "unit": "KiB",
                    "goal": "under 40 KiB a connection",
                    "met": True,
                },
            ],
            "conditions": {"size": "tiny", "N": 3},
            "machine": {"cores": 2},
            "own_detail": [1, 2, 3],
        }
    ),
    # A peer measured by another bench in the same run, and a goal not met.
    "search": "import sys\nprint('progress goes here', file=sys.stderr)\n"
    + _printing(
        {
            "figures": [
                {
                    "name": "search.ours",
                    "p50_ms": 6.0,
                    "p95_ms": 30.0,
                    "p99_ms": 31.0,
                    "peer": "lists.page",
                    "goal": "faster than the peer at p95",
                    "met": False,
                },
                {"name": "search.nothing", "p50_ms": 1.0, "p95_ms": 1.0, "floor": "nowhere"},
            ],
            "conditions": {},
            "machine": {},
        }
    ),
    "broken": "import sys\nprint('Traceback: it broke', file=sys.stderr)\nsys.exit(3)\n",
    "garbled": "print('this is not JSON')\n",
    "slow": "import time\ntime.sleep(120)\n",
    "size": "import json, os, sys\nprint(json.dumps({'figures': [], 'argv': sys.argv[1:], "
    "'migrated': os.environ.get('BENCH_MIGRATED_SQLITE')}))\n",
}


@pytest.fixture(scope="module")
def fake_package(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fakes")
    package = folder / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, source in FAKES.items():
        (package / f"{name}.py").write_text(source)
    return folder


@pytest.fixture
def run_fakes(fake_package, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(fake_package))
    monkeypatch.setenv("PYTHONPATH", str(fake_package))

    # Migrating for real takes minutes: a file stands in for the migrated database.
    monkeypatch.setattr(runner, "migrated_sqlite", lambda folder: folder / "migrated.sqlite3")

    def run(benches: list[str], *options: str) -> tuple[int, dict]:
        monkeypatch.setattr(runner, "BENCHES", benches)
        status = runner.main(["--size", "tiny", "--modules-package", PACKAGE, *options])
        return status, json.loads(capsys.readouterr().out)

    return run


def figures_by_name(document: dict) -> dict[str, dict]:
    return {
        figure["name"]: figure
        for entry in document["benches"].values()
        for figure in entry.get("figures", [])
    }


def test_ratios_are_taken_from_the_floor_or_peer_a_figure_names_in_the_same_run(run_fakes):
    status, document = run_fakes(["lists", "search"])

    assert status == 0
    figures = figures_by_name(document)
    page = figures["lists.page"]
    assert (page["p50_ms"], page["p95_ms"], page["p99_ms"]) == (10.0, 20.0, 30.0)
    assert page["ratio_p95_to_floor"] == 5.0
    assert page["ratio_p50_to_floor"] == 5.0
    assert figures["search.ours"]["ratio_p95_to_peer"] == 1.5
    assert figures["search.ours"]["ratio_p50_to_peer"] == 0.6
    assert figures["search.nothing"]["ratio_p95_to_floor"] is None
    assert document["problems"] == ["search.nothing: its floor nowhere was not measured"]
    assert "ratio_p95_to_floor" not in figures["lists.floor"]
    assert document["figures"][:2] == [
        {"figure": "lists.floor", "bench": "lists", "p50_ms": 2.0, "p95_ms": 4.0, "p99_ms": 5.0,
         "n": 9},
        {"figure": "lists.page", "bench": "lists", "p50_ms": 10.0, "p95_ms": 20.0,
         "p99_ms": 30.0, "n": 9, "floor": "lists.floor", "ratio_p95_to_floor": 5.0,
         "ratio_p50_to_floor": 5.0, "met": True},
    ]  # fmt: skip
    assert document["figures"][2] == {
        "figure": "lists.idle",
        "bench": "lists",
        "value": 38.5,
        "unit": "KiB",
        "met": True,
    }


def test_the_document_keeps_each_benchs_conditions_and_lists_every_goal(run_fakes):
    _, document = run_fakes(["lists", "search"])

    lists = document["benches"]["lists"]
    assert lists["status"] == "ok"
    assert lists["conditions"] == {"size": "tiny", "N": 3}
    assert lists["detail"] == {"own_detail": [1, 2, 3]}
    assert lists["seconds"] > 0
    assert document["goals"] == [
        {"figure": "lists.page", "bench": "lists", "goal": "p95 under 100 ms", "met": True},
        {
            "figure": "lists.idle",
            "bench": "lists",
            "goal": "under 40 KiB a connection",
            "met": True,
        },
        {
            "figure": "search.ours",
            "bench": "search",
            "goal": "faster than the peer at p95",
            "met": False,
        },
    ]
    assert document["summary"] == {
        "benches": 2,
        "ok": 2,
        "failed": 0,
        "timed_out": 0,
        "not_available": 0,
        "figures": 5,
        "goals": 3,
        "goals_met": 2,
        "goals_not_met": 1,
        "goals_unknown": 0,
    }
    assert document["size"] == "tiny"
    assert document["machine"]["cores"] >= 1
    assert document["command"].startswith("python -m bench --size tiny")
    assert set(document["git"]) == {"commit", "branch", "uncommitted_changes"}


def test_a_missing_failing_or_garbled_bench_is_recorded_and_the_others_still_run(run_fakes):
    status, document = run_fakes(["broken", "missing", "garbled", "lists"])

    assert status == 1
    benches = document["benches"]
    assert list(benches) == ["broken", "missing", "garbled", "lists"]
    assert benches["broken"]["status"] == "failed"
    assert benches["broken"]["error"] == "exited with status 3"
    assert benches["broken"]["stderr_tail"] == ["Traceback: it broke"]
    assert benches["missing"] == {"status": "not available", "seconds": 0.0}
    assert benches["garbled"]["status"] == "failed"
    assert benches["garbled"]["error"].startswith("did not print one JSON document")
    assert benches["lists"]["status"] == "ok"
    assert benches["lists"]["command"] == f"python -m {PACKAGE}.lists --size tiny"
    assert document["summary"]["failed"] == 2
    assert document["summary"]["not_available"] == 1


def test_a_missing_bench_alone_is_not_a_failure(run_fakes):
    status, document = run_fakes(["missing", "lists"])

    assert status == 0
    assert document["benches"]["missing"]["status"] == "not available"


def test_a_bench_past_its_time_limit_is_stopped_and_the_next_one_runs(run_fakes):
    started = time.monotonic()
    status, document = run_fakes(["slow", "lists"], "--timeout", "3")

    assert time.monotonic() - started < 60
    assert status == 1
    assert document["benches"]["slow"]["status"] == "timed out"
    assert document["benches"]["slow"]["error"] == "stopped after its time limit of 3 s"
    assert document["benches"]["lists"]["status"] == "ok"
    assert document["summary"]["timed_out"] == 1


def test_only_and_skip_choose_the_benches_and_each_is_given_the_size(run_fakes, tmp_path):
    out = tmp_path / "run.json"
    status, document = run_fakes(
        ["lists", "size", "search"], "--only", "size,search", "--skip", "search", "--out", str(out)
    )

    assert status == 0
    assert list(document["benches"]) == ["size"]
    assert document["benches"]["size"]["detail"]["argv"] == ["--size", "tiny"]
    assert json.loads(out.read_text()) == document


def test_every_bench_is_told_of_the_one_database_the_runner_migrated(run_fakes) -> None:
    _, document = run_fakes(["size"])
    assert document["benches"]["size"]["detail"]["migrated"].endswith("migrated.sqlite3")
    assert document["shared_migration_s"] >= 0

    _, document = run_fakes(["size"], "--each-migrates")
    assert document["benches"]["size"]["detail"]["migrated"] is None
    assert "shared_migration_s" not in document


def test_an_unknown_bench_name_is_refused(capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        runner.parse(["--only", "browse,nonsense"])
    assert stopped.value.code == 2
    assert "no such bench: nonsense" in capsys.readouterr().err


@pytest.mark.skipif(
    not os.environ.get("BENCH_SMOKE"),
    reason="1-3 minutes, mostly migrating a fresh database; BENCH_SMOKE=1 runs it",
)
def test_the_real_browse_bench_runs_through_the_runner_at_its_tiniest() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = f"{ROOT / 'site'}{os.pathsep}{ROOT}"
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "tiny", "--only", "browse"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=290,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    document = json.loads(finished.stdout)

    browse = document["benches"]["browse"]
    assert browse["status"] == "ok"
    figures = {figure["name"]: figure for figure in browse["figures"]}
    assert figures["browse.filters"]["floor"] == "browse.floor"
    assert figures["browse.filters"]["ratio_p95_to_floor"] > 0
    assert browse["conditions"]["size"] == "tiny"
    assert [goal["figure"] for goal in document["goals"]] == ["browse.filters"]

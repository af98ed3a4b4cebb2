"""Every benchmark in one run, one JSON document out.

    python -m bench [--size tiny|small|full] [--only pages,search] [--skip mixed] [--out FILE]

(`make bench`, `make bench SIZE=full`.) Runs each bench as its own process,
`python -m bench.<name> --size <size>`, in a fixed order, one after another so that none
measures another's load. Each prints one JSON document with "figures", "conditions" and
"machine" (bench/_report.py); this runner gathers them, divides every figure that names a floor
or a peer by that figure's percentiles (found by name anywhere in the same run), lists the goals
and whether each was met, and prints the lot as one JSON document. Progress goes to stderr.

Migrating a fresh database takes a minute or two here, and every bench starts from one: the
runner migrates one SQLite file first and names it in BENCH_MIGRATED_SQLITE; a bench on SQLite
may copy it rather than migrate (its own `migrate` then has nothing left to do).
`--each-migrates` leaves every bench to migrate its own.

A bench that is not there is recorded as "not available"; one that fails (non-zero exit, no
JSON, no figures) or runs past its time limit is recorded with the tail of its stderr, the run
goes on, and the runner exits 1 at the end.
"""

import argparse
import importlib.util
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

from bench._report import machine

ROOT = Path(__file__).resolve().parents[1]
SIZES = ("tiny", "small", "full")
# The order they run in: the quick ones first, the mixed load (which wants the machine) last.
BENCHES = ["browse", "fanout", "search", "reindex", "pages", "mixed"]
# Seconds before a bench is stopped, per size: about three times what each takes here at small
# (browse ~2 min, fanout ~4, search ~3, reindex ~3, pages ~3, mixed ~4), for a busy machine.
TIMEOUTS = {
    "tiny": dict.fromkeys(BENCHES, 300),
    "small": {"browse": 420, "fanout": 720, "search": 600, "reindex": 600, "pages": 600,
              "mixed": 900},
    "full": dict.fromkeys(BENCHES, 3600),
}  # fmt: skip
STDERR_TAIL = 40  # lines of a failed bench's stderr kept in the report
STOP_GRACE_S = 20  # after SIGTERM, before SIGKILL: fanout stops its servers in `finally`


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _child_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **(extra or {})}
    paths = [str(ROOT / "site"), str(ROOT)]
    paths += [part for part in env.get("PYTHONPATH", "").split(os.pathsep) if part]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    return env


def _available(package: str, name: str) -> bool:
    try:
        return importlib.util.find_spec(f"{package}.{name}") is not None
    except ImportError:
        return False


def _parse_report(stdout: str) -> dict:
    """The bench's JSON document; a stray line printed before it is forgiven."""
    text = stdout.strip()
    try:
        found = json.loads(text)
    except json.JSONDecodeError:
        start = text.find("\n{")
        if start < 0:
            raise
        found, _ = json.JSONDecoder().raw_decode(text[start + 1 :])
    if not isinstance(found, dict):
        raise ValueError("its output is JSON but not an object")
    return found


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the bench and everything it started (its own process group), then SIGKILL."""
    for sent in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sent)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=STOP_GRACE_S)
            return
        except subprocess.TimeoutExpired:
            continue


def migrated_sqlite(folder: Path) -> Path | None:
    """One migrated SQLite database for the benches to copy; None if migrating failed (each
    bench then migrates its own)."""
    database = folder / "migrated.sqlite3"
    log("migrating one SQLite database for every bench to copy")
    env = _child_environment(
        {"DATABASE_URL": f"sqlite:///{database}", "DEBUG": "false", "LOG_LEVEL": "ERROR"}
    )
    try:
        done = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    except subprocess.TimeoutExpired:
        log("migrating took over 900 s: each bench will migrate its own")
        return None
    if done.returncode != 0:
        log(f"migrating failed, each bench will migrate its own:\n{done.stderr[-2000:]}")
        return None
    return database


def run_one(
    package: str, name: str, size: str, timeout: float, extra_env: dict[str, str] | None = None
) -> dict:
    """Run one bench and return its entry: status, seconds, and its report or its error."""
    if not _available(package, name):
        log(f"{name}: not available (no module {package}.{name})")
        return {"status": "not available", "seconds": 0.0}
    command = [sys.executable, "-m", f"{package}.{name}", "--size", size]
    log(f"{name}: {shlex.join(command[1:])} (time limit {timeout:.0f} s)")
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=_child_environment(extra_env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so a time-out stops its servers too
    )
    tail: deque[str] = deque(maxlen=STDERR_TAIL)
    chunks: list[str] = []

    def relay_stderr() -> None:
        for line in process.stderr:
            tail.append(line.rstrip("\n"))
            sys.stderr.write(line)
            sys.stderr.flush()

    readers = [
        threading.Thread(target=relay_stderr, daemon=True),
        threading.Thread(target=lambda: chunks.append(process.stdout.read()), daemon=True),
    ]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _stop(process)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM to the runner: its own group gets neither
        _stop(process)
        raise
    for reader in readers:
        reader.join(timeout=5)
    # Hundredths: a bench that fails at once can end within a tenth of a second.
    seconds = round(time.perf_counter() - started, 2)
    entry: dict = {
        "status": "ok",
        "seconds": seconds,
        "exit_code": process.returncode,
        "command": shlex.join(["python", *command[1:]]),
    }
    error = ""
    report: dict | None = None
    if timed_out:
        error = f"stopped after its time limit of {timeout:.0f} s"
        entry["status"] = "timed out"
    elif process.returncode != 0:
        error = f"exited with status {process.returncode}"
    else:
        try:
            report = _parse_report("".join(chunks))
        except ValueError as problem:  # JSONDecodeError is a ValueError
            error = f"did not print one JSON document: {problem}"
        else:
            if not isinstance(report.get("figures"), list):
                error = 'its JSON has no "figures" list'
    if report is not None:
        entry["conditions"] = report.get("conditions", {})
        entry["machine"] = report.get("machine", {})
        entry["figures"] = [f for f in report.get("figures") or [] if isinstance(f, dict)]
        entry["detail"] = {
            key: value
            for key, value in report.items()
            if key not in ("figures", "conditions", "machine")
        }
    if error:
        if entry["status"] == "ok":
            entry["status"] = "failed"
        entry["error"] = error
        entry["stderr_tail"] = list(tail)
        log(f"{name}: {entry['status']} after {seconds} s: {error}")
    else:
        log(f"{name}: done in {seconds} s, {len(entry['figures'])} figures")
    return entry


# Gathering.


def _percentiles(figure: dict) -> dict[str, float]:
    """p50/p95/p99 of a latency figure, or the single value of a figure like idle memory."""
    found = {
        key: figure[f"{key}_ms"]
        for key in ("p50", "p95", "p99")
        if isinstance(figure.get(f"{key}_ms"), int | float)
    }
    if not found and isinstance(figure.get("value"), int | float):
        found["value"] = figure["value"]
    return found


def _ratio(top: float | None, bottom: float | None) -> float | None:
    if top is None or not bottom:
        return None
    return round(top / bottom, 2)


def add_ratios(benches: dict[str, dict]) -> list[str]:
    """Divide each figure by the floor or peer it names; the problems found on the way."""
    by_name: dict[str, dict] = {}
    problems: list[str] = []
    for bench, entry in benches.items():
        for figure in entry.get("figures", []):
            name = figure.get("name")
            if not isinstance(name, str):
                problems.append(f"{bench}: a figure without a name")
            elif name in by_name:
                problems.append(f"{bench}: figure {name} appears twice; the first is used")
            else:
                by_name[name] = figure
    for figure in by_name.values():
        for relation in ("floor", "peer"):
            other_name = figure.get(relation)
            if not other_name:
                continue
            other = by_name.get(other_name)
            if other is None:
                figure[f"ratio_p95_to_{relation}"] = None
                figure[f"ratio_p50_to_{relation}"] = None
                problems.append(f"{figure['name']}: its {relation} {other_name} was not measured")
                continue
            mine, theirs = _percentiles(figure), _percentiles(other)
            if "value" in mine:
                figure[f"ratio_to_{relation}"] = _ratio(mine["value"], theirs.get("value"))
            else:
                figure[f"ratio_p95_to_{relation}"] = _ratio(mine.get("p95"), theirs.get("p95"))
                figure[f"ratio_p50_to_{relation}"] = _ratio(mine.get("p50"), theirs.get("p50"))
    return problems


def goals(benches: dict[str, dict]) -> list[dict]:
    """Every figure that states a goal, with whether it was met (None: could not be told)."""
    found = []
    for bench, entry in benches.items():
        for figure in entry.get("figures", []):
            if figure.get("goal"):
                met = figure.get("met")
                found.append(
                    {
                        "figure": figure.get("name"),
                        "bench": bench,
                        "goal": figure["goal"],
                        "met": met if isinstance(met, bool) else None,
                    }
                )
    return found


def table(benches: dict[str, dict]) -> list[dict]:
    """One row per figure, in run order: the numbers a results table needs, nothing else."""
    kept = ("p50_ms", "p95_ms", "p99_ms", "n", "value", "unit", "floor", "peer")
    rows = []
    for bench, entry in benches.items():
        for figure in entry.get("figures", []):
            row = {"figure": figure.get("name"), "bench": bench}
            row.update({key: figure[key] for key in kept if key in figure})
            row.update({key: value for key, value in figure.items() if key.startswith("ratio")})
            if "goal" in figure:
                row["met"] = figure.get("met")
            rows.append(row)
    return rows


def summarise(benches: dict[str, dict], listed_goals: list[dict]) -> dict:
    statuses = [entry["status"] for entry in benches.values()]
    return {
        "benches": len(benches),
        "ok": statuses.count("ok"),
        "failed": statuses.count("failed"),
        "timed_out": statuses.count("timed out"),
        "not_available": statuses.count("not available"),
        "figures": sum(len(entry.get("figures", [])) for entry in benches.values()),
        "goals": len(listed_goals),
        "goals_met": sum(1 for goal in listed_goals if goal["met"] is True),
        "goals_not_met": sum(1 for goal in listed_goals if goal["met"] is False),
        "goals_unknown": sum(1 for goal in listed_goals if goal["met"] is None),
    }


def _git() -> dict:
    def ask(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = ask("rev-parse", "HEAD")
    changes = ask("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": commit,
        "branch": ask("rev-parse", "--abbrev-ref", "HEAD"),
        "uncommitted_changes": bool(changes) if changes is not None else None,
    }


def _names(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=SIZES, default="small", help="default: small")
    parser.add_argument("--only", help=f"comma-separated, from: {', '.join(BENCHES)}")
    parser.add_argument("--skip", help="comma-separated benches to leave out")
    parser.add_argument("--out", metavar="FILE", help="also write the JSON document here")
    parser.add_argument(
        "--timeout", type=float, help="seconds allowed to each bench (default: by size)"
    )
    parser.add_argument(
        "--each-migrates",
        action="store_true",
        help="no shared migrated database: every bench migrates its own",
    )
    parser.add_argument(
        "--modules-package", default="bench", help="where the bench modules live (for tests)"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in _names(args.only) + _names(args.skip) if name not in BENCHES]
    if unknown:
        parser.error(f"no such bench: {', '.join(unknown)} (known: {', '.join(BENCHES)})")
    return args


def run(args: argparse.Namespace, argv: list[str]) -> tuple[dict, int]:
    wanted = [name for name in BENCHES if not args.only or name in _names(args.only)]
    wanted = [name for name in wanted if name not in _names(args.skip)]
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    document: dict = {
        "benchmark": "Staffroom at trust scale (issue 8): every bench in one run",
        "command": shlex.join(["python", "-m", "bench", *argv]),
        "size": args.size,
        "git": _git(),
        "started": started_at.isoformat(timespec="seconds"),
        "machine": machine(),
    }
    log(f"size {args.size}: {', '.join(wanted) or 'nothing to run'}")
    benches: dict[str, dict] = {}
    interrupted = False
    with tempfile.TemporaryDirectory(prefix="staffroom-bench-run-") as folder:
        extra_env: dict[str, str] = {}
        if wanted and not args.each_migrates:
            migrating = time.perf_counter()
            template = migrated_sqlite(Path(folder))
            document["shared_migration_s"] = round(time.perf_counter() - migrating, 1)
            if template is not None:
                extra_env["BENCH_MIGRATED_SQLITE"] = str(template)
        for name in wanted:
            timeout = args.timeout or TIMEOUTS[args.size].get(name, 600)
            try:
                benches[name] = run_one(args.modules_package, name, args.size, timeout, extra_env)
            except KeyboardInterrupt:
                benches[name] = {"status": "failed", "error": "interrupted"}
                interrupted = True
                break
    problems = add_ratios(benches)
    listed_goals = goals(benches)
    document.update(
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        total_s=round(time.perf_counter() - started, 1),
        load_average_at_end=[round(load, 2) for load in os.getloadavg()],
        summary=summarise(benches, listed_goals),
        goals=listed_goals,
        figures=table(benches),
        problems=problems,
        benches=benches,
    )
    failed = any(entry["status"] in ("failed", "timed out") for entry in benches.values())
    return document, 130 if interrupted else (1 if failed else 0)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # stop the bench running now and still print what was measured


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        document, status = run(args, argv)
    finally:
        signal.signal(signal.SIGTERM, previous)
    text = json.dumps(document, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text, flush=True)
    summary = document["summary"]
    log(
        f"{summary['ok']} of {summary['benches']} benches ran, {summary['goals_met']} of "
        f"{summary['goals']} goals met, in {document['total_s']} s"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())

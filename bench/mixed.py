"""Mixed load: signed-in staff browsing, searching, downloading, reading and posting at a fixed
arrival rate against two ASGI worker processes, with idle thread pages open on websockets.

Run from the repository root:

    DJANGO_SETTINGS_MODULE=config.settings.dev PYTHONPATH=site:. \\
        .venv/bin/python -m bench.mixed --size small --server both

Fills a throwaway PostgreSQL (tests/services.py) with the generated trust (bench.seed), writes
the files that downloads fetch into a temporary MEDIA_ROOT, gives every simulated member of
staff their own session, and starts a throwaway redis-server for the channel layer. Then, for
each server (uvicorn `--workers 2` as `make serve`, and daphne: two processes sharing one
listening socket), it opens the idle websockets (thread pages, spread over the workers by the
kernel; some watch the threads replies go to), sends requests open loop at `--rate` a second
for `--seconds` in the mix of bench/_load.py (40% pages, 20% search, 10% downloads, 5% replies
posted through the reply form, 25% thread reads), each timed from when it was due, and times
each reply from its commit (logged by bench/_fanout_asgi.py) to its arrival on every socket
watching its thread. If a goal is missed on uvicorn, a ramp of lower rates (from a tenth of
it upwards, each step half as long as the main one, each once the machine has gone quiet after
the last) finds the highest that meets them.
Prints one JSON document; progress goes to stderr.
"""

import argparse
import asyncio
import importlib.util
import json
import os
import resource
import shutil
import socket
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench import _procs

ROOT = Path(__file__).resolve().parents[1]
_workdir = tempfile.TemporaryDirectory(prefix="staffroom-mixed-")
WORKDIR = Path(_workdir.name)
MEDIA_ROOT = WORKDIR / "media"

GOALS = {"page_p95_ms": 200, "delivery_p95_ms": 100}
# The requests the pages goal covers: every page a person opens and reads (home, network
# home, browse, a resource; search; a thread), reported together as "pages". Downloads and
# replies are not pages.
PAGE_KINDS = ("page", "search", "thread")
# Per size: the arrival rate (requests a second), active staff, idle sockets, seconds.
DEFAULTS = {
    "tiny": {"rate": 5.0, "users": 20, "idle": 20, "seconds": 5},
    "small": {"rate": 20.0, "users": 200, "idle": 1000, "seconds": 40},
    "full": {"rate": 30.0, "users": 1000, "idle": 3000, "seconds": 300},
}
# Shares of the rate tried, lowest first, when a goal is missed at the rate itself; and a
# pause before each, for the server to finish requests the client gave up on.
RAMP = (0.1, 0.15, 0.25, 0.35, 0.5, 0.75)
RAMP_PAUSE_SECONDS = 5
# After an overloaded step the servers (and PostgreSQL) go on answering requests the client
# gave up on: the next step waits until the whole machine uses under a quarter of a core over
# a second, for at most this long.
QUIET_BELOW_CORES = 0.25
QUIET_WAIT_SECONDS = 180
# Only `make serve`'s server is ramped (daphne is compared at the main rate): that time goes
# to longer steps instead, so that one slow page among a handful does not decide a step.
RAMPED_SERVER = "uvicorn"
HOT_THREADS = 10  # threads replies go to
WATCHING_SHARE = 0.2  # of the idle sockets, on the hot threads
DOWNLOAD_FILES = 300
SEED = 1
COMMAND = (
    "DJANGO_SETTINGS_MODULE=config.settings.dev PYTHONPATH=site:. "
    ".venv/bin/python -m bench.mixed --size {size} --server {server}"
)


def log(message: str) -> None:
    print(f"[mixed {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.mixed", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--size", choices=list(DEFAULTS), default="small")
    parser.add_argument("--server", choices=["uvicorn", "daphne", "both"], default="both")
    parser.add_argument("--seconds", type=float, help="measured seconds per server")
    parser.add_argument("--rate", type=float, help="requests a second")
    parser.add_argument("--users", type=int, help="active staff, each with their own session")
    parser.add_argument("--idle", type=int, help="idle websocket connections")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--layer", choices=["redis", "memory"], default="redis")
    parser.add_argument("--ramp-seconds", type=float, help="seconds per lower rate tried")
    parser.add_argument("--no-ramp", action="store_true", help="never try lower rates")
    parser.add_argument("--keep-logs", metavar="FOLDER", help="copy the servers' logs here")
    parser.add_argument(
        "--fast-schema",
        action="store_true",
        help="create tables from the models instead of migrating (smoke test only)",
    )
    args = parser.parse_args(argv)
    for name, value in DEFAULTS[args.size].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.ramp_seconds is None:
        args.ramp_seconds = max(3.0, min(30.0, args.seconds / 2))
    if args.layer == "memory" and args.workers != 1:
        parser.error("the in-memory layer reaches one process only: use --workers 1")
    return args


ARGS = parse()


if ARGS.database == "postgresql":
    DATABASE_URL = _procs.throwaway_postgres("staffroom_mixed", bench="mixed")
else:
    DATABASE_URL = f"sqlite:///{WORKDIR / 'bench.sqlite3'}"
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DEBUG"] = "false"
os.environ["REDIS_URL"] = ""
os.environ["MEDIA_ROOT"] = str(MEDIA_ROOT)
os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("LOG_LEVEL", "ERROR")
os.environ.pop("ELASTICSEARCH_URL", None)

import django  # noqa: E402

django.setup()

from django.contrib.sessions.models import Session  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from bench._load import MIX, Member, Outcome, Plan, client_session, run_load  # noqa: E402
from bench._report import figure, machine, summary  # noqa: E402
from bench._staff import build_schema, session_for  # noqa: E402
from bench._wsclient import WebsocketClient, close_clients, open_clients_to  # noqa: E402
from bench.seed import COMMON, DOMAIN, TOPICS, seed_trust  # noqa: E402

# Building the trust and the staff's sessions.


@dataclass
class Trust:
    plan: Plan
    socket_paths: list[str]  # one per idle socket
    socket_cookies: list[str]
    counts: dict
    seed: dict


def build(args) -> Trust:
    from forums.models import Forum, Thread
    from networks.models import Membership, Network, Subject
    from people.models import Person
    from people.roles import Role
    from resources.models import FileVersion, Resource

    started = time.perf_counter()
    build_schema(fast=args.fast_schema)
    if args.fast_schema:
        home_without_migrations()
    log(f"schema ready in {time.perf_counter() - started:.0f} s; seeding the {args.size} trust")
    seeded = seed_trust(args.size, SEED, progress=lambda step: log(f"  {step.as_dict()}"))

    # Ordinary staff: people with admin rights signed in with a password are sent to the
    # two-step check first (people.two_step), which a simulated person cannot pass.
    staff = list(
        Person.objects.filter(email__endswith=f"@{DOMAIN}", is_active=True, is_staff=False)
        .exclude(groups__name__in=[Role.CENTRAL_TEAM.value, Role.TRUST_ADMIN.value])
        .order_by("pk")
        .only("pk", "password", "email")
    )
    active = staff[: args.users]
    if len(active) < args.users:
        log(f"only {len(active)} staff in the {args.size} trust: that many active users")
    sessions = [session_for(person) for person in staff[: max(args.users, args.idle)]]
    Session.objects.bulk_create(sessions, batch_size=1000)

    networks: dict[int, list[str]] = defaultdict(list)
    for person_id, slug in Membership.objects.filter(person__in=active).values_list(
        "person_id", "network__slug"
    ):
        networks[person_id].append(slug)
    members = []
    for person, session in zip(active, sessions, strict=False):
        secret = get_random_string(32)
        cookie = f"sessionid={session.session_key}; csrftoken={secret}"
        members.append(Member(cookie, secret, networks[person.pk] or ["seed-network-1"]))

    # What every member may see: published, trust-wide resources of open networks.
    shared = Resource.objects.filter(
        status=Resource.Status.PUBLISHED,
        scope=Resource.Scope.TRUST,
        network__visibility=Network.Visibility.OPEN,
    )
    resources = [f"/resources/{pk}/{slug}/" for pk, slug in shared.values_list("pk", "slug")[:2000]]
    versions = list(
        FileVersion.objects.filter(file__resource__in=shared, file__current_id__isnull=False)
        .order_by("pk")
        .only("pk", "blob", "size")[:DOWNLOAD_FILES]
    )
    write_files(versions)
    trust_wide = Thread.objects.filter(
        forum__network__isnull=True, forum__central_team_starts_threads=False, locked=False
    ).order_by("pk")
    threads = list(trust_wide.values_list("pk", flat=True)[:2000])
    hot = threads[:HOT_THREADS]
    subjects = list(Subject.objects.filter(name__in=TOPICS).values_list("slug", flat=True))
    browse_filters = [
        f"key_stage={stage}&subject={subject}"
        for stage in ("ks1", "ks2", "ks3", "ks4")
        for subject in subjects
    ] + [f"phase={phase}&type=worksheet" for phase in ("primary", "secondary")]
    words = [topic for group in TOPICS.values() for topic in group] + COMMON
    searches = [f"q={word.replace(' ', '+')}" for word in words]
    searches += [f"q={word}&key_stage=ks2" for word in COMMON[:6]]
    plan = Plan(
        members=members,
        resources=resources,
        downloads=[f"/resources/files/{version.pk}/download/" for version in versions],
        threads=threads,
        hot_threads=hot,
        browse_filters=browse_filters,
        searches=searches,
        seed=SEED,
    )

    watching = round(args.idle * WATCHING_SHARE)
    others = threads[HOT_THREADS:] or threads
    paths = [f"/ws/threads/{hot[n % len(hot)]}/" for n in range(watching)]
    paths += [f"/ws/threads/{others[n % len(others)]}/" for n in range(args.idle - watching)]
    cookies = [f"sessionid={sessions[n % len(sessions)].session_key}" for n in range(args.idle)]
    connection.close()
    return Trust(
        plan=plan,
        socket_paths=paths,
        socket_cookies=cookies,
        counts={
            **seeded.size,
            "active_staff": len(members),
            "resource_pages": len(resources),
            "download_files": len(versions),
            "readable_threads": len(threads),
            "hot_threads": len(hot),
            "forums": Forum.objects.count(),
        },
        seed={"seconds": round(time.perf_counter() - started, 1), "database": seeded.database},
    )


def home_without_migrations() -> None:
    """Wagtail's root, the trust's home page and the default site, which the migrations make
    and a schema made from the models lacks (every page 500s without a site)."""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page, Site

    from cms.models import HomePage

    if Site.objects.exists():
        return
    language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    locale = Locale.objects.get_or_create(language_code=language)[0]
    root = Page.add_root(title="Root", slug="root", locale=locale)
    home = root.add_child(instance=HomePage(title="Welcome to Staffroom", slug="staffroom-home"))
    Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)


def write_files(versions) -> None:
    """The seed makes file rows only: write the files that downloads fetch."""
    for version in versions:
        path = MEDIA_ROOT / version.blob.name
        path.parent.mkdir(parents=True, exist_ok=True)
        body = b"%PDF-1.4\n% Staffroom bench file\n"
        path.write_bytes(body + b"0" * max(0, version.size - len(body)) + b"\n%%EOF\n")


# Servers.


@dataclass
class Server:
    name: str
    port: int
    process: object
    log: Path

    def workers(self) -> list[int]:
        """uvicorn's worker processes (not multiprocessing's resource tracker beside them)."""
        found = []
        for pid in _procs.children(self.process.pid):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"resource_tracker" not in command:
                found.append(pid)
        return found or [self.process.pid]


def server_environment(name: str, redis_url: str) -> dict[str, str]:
    return _procs.child_environment(
        DATABASE_URL=DATABASE_URL,
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        REDIS_URL=redis_url,
        MEDIA_ROOT=str(MEDIA_ROOT),
        BENCH_TIMING_LOG=str(WORKDIR / f"timing-{name}.log"),
        PYTHONPATH=f"{ROOT / 'site'}{os.pathsep}{ROOT}",
    )


# The redis-server's process id, for its CPU time.
REDIS_PID: list[int] = []


def start_redis() -> int:
    port = _procs.free_port()
    directory = WORKDIR / "redis"
    directory.mkdir(exist_ok=True)
    process = _procs.start(
        _procs.redis_command(port, directory),
        env=dict(os.environ),
        log=WORKDIR / "redis.log",
        port=port,
    )
    REDIS_PID.append(process.pid)
    return port


def start_server(name: str, workers: int, redis_url: str) -> Server:
    """uvicorn with its own workers, as `make serve`; or daphne, which has none, as that many
    processes accepting on one shared listening socket (the same sharing uvicorn's workers
    use). The app is the site's own, with commit times logged (bench/_fanout_asgi.py)."""
    log_path = WORKDIR / f"server-{name}.log"
    env = server_environment(name, redis_url)
    app = "bench._fanout_asgi:application"
    if name == "uvicorn":
        port = _procs.free_port()
        command = [
            sys.executable, "-m", "uvicorn", app, "--app-dir", str(ROOT / "site"),
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--no-server-header", "--log-level", "warning", "--no-access-log",
            "--ws-per-message-deflate", os.environ.get("WS_COMPRESSION", "false"),
        ]  # fmt: skip
        process = _procs.start(command, env=env, log=log_path, port=port)
        return Server(name, port, process, log_path)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)
    port = listener.getsockname()[1]
    # Errors logged as uvicorn logs them, with no access log (uvicorn runs without one).
    command = [
        sys.executable, "-m", "daphne", "--fd", str(listener.fileno()), "-v", "1",
        "--access-log", os.devnull, app,
    ]  # fmt: skip
    launched = [
        _procs.launch(command, env=env, log=log_path, pass_fds=(listener.fileno(),))
        for _ in range(workers)
    ]
    listener.close()
    for process in launched:
        _wait_for_boot(process, port, log_path)
    return DaphneGroup(name, port, launched[0], log_path, launched)


@dataclass
class DaphneGroup(Server):
    processes: list

    def workers(self) -> list[int]:
        return [process.pid for process in self.processes]


def _wait_for_boot(process, port: int, log_path: Path) -> None:
    """The socket accepts before daphne has loaded the site: wait for a real answer."""
    import urllib.request

    deadline = time.monotonic() + _procs.STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            healthz = f"http://127.0.0.1:{port}/healthz"
            urllib.request.urlopen(healthz, timeout=5)  # nosec B310: our own server's http URL
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"daphne did not answer on {port}")


def stop_server(server: Server) -> None:
    processes = server.processes if isinstance(server, DaphneGroup) else [server.process]
    for process in processes:
        _procs.stop(process)


def read_commits(name: str) -> dict[int, float]:
    found: dict[int, float] = {}
    path = WORKDIR / f"timing-{name}.log"
    if path.exists():
        for line in path.read_text().splitlines():
            kind, post_id, at = line.split()
            if kind == "commit":
                found[int(post_id)] = float(at)
    return found


def tracebacks(log_path: Path) -> list[str]:
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    return [part[:1500] for part in text.split("Traceback")[1:]][:3]


# Measuring.


def delivery_times(
    clients: list[WebsocketClient], paths: list[str], outcomes: list[Outcome], commits: dict
) -> tuple[list[float], int]:
    """Milliseconds from each reply's commit to its arrival on every socket watching its
    thread; and how many such arrivals never came."""
    watchers: dict[str, list[WebsocketClient]] = defaultdict(list)
    for client, path in zip(clients, paths, strict=True):
        if client.opened.exception() is None:  # refused sockets are counted as such
            watchers[path].append(client)
    times: list[float] = []
    missing = 0
    for outcome in outcomes:
        if outcome.kind != "post" or outcome.post_id is None:
            continue
        thread = outcome.path.split("/")[3]
        committed = commits.get(outcome.post_id)
        for client in watchers.get(f"/ws/threads/{thread}/", []):
            arrived = client.arrivals.get(outcome.post_id)
            if arrived is None or committed is None:
                missing += 1
            else:
                times.append((arrived - committed) * 1000)
    return times, missing


def step_report(
    outcomes: list[Outcome], deliveries: list[float], missing: int, rate: float, seconds: float
) -> dict:
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.kind].append(outcome)
        if outcome.kind == "page":
            by_kind[f"page.{outcome.label}"].append(outcome)
        if outcome.kind in PAGE_KINDS:
            by_kind["pages"].append(outcome)
    kinds = {}
    for kind, found in sorted(by_kind.items()):
        failed = [o for o in found if o.failed]
        kinds[kind] = {
            **summary([o.ms for o in found]),
            "per_second": round(len(found) / seconds, 2),
            "statuses": dict(Counter(str(o.status) for o in found)),
            "errors": len(failed),
            "error_examples": [
                {"path": o.path, "status": o.status, "error": o.error} for o in failed[:3]
            ],
        }
    pages = kinds.get("pages", {}).get("p95_ms")
    delivered = summary(deliveries)
    errors = sum(1 for o in outcomes if o.failed) + missing
    return {
        "rate": rate,
        "seconds": seconds,
        "requests": len(outcomes),
        "kinds": kinds,
        "delivery": {**delivered, "missing": missing},
        "errors": errors,
        "met": {
            "pages_p95_under_200_ms": pages is not None and pages < GOALS["page_p95_ms"],
            "delivery_p95_under_100_ms": delivered.get("p95_ms") is not None
            and delivered["p95_ms"] < GOALS["delivery_p95_ms"],
            "no_errors": errors == 0,
        },
    }


async def measure_step(server: Server, trust: Trust, clients, rate: float, seconds: float) -> dict:
    base = f"http://127.0.0.1:{server.port}"
    workers = server.workers()
    cpu_before = {pid: _safe_cpu(pid) for pid in workers}
    own_before = _own_cpu()
    redis_before = sum(_safe_cpu(pid) for pid in REDIS_PID)
    async with client_session() as session:
        outcomes = await run_load(session, base, trust.plan, rate=rate, seconds=seconds)
    await asyncio.sleep(2)  # the last replies' doorbells
    elapsed = seconds
    cpu = {pid: _safe_cpu(pid) - before for pid, before in cpu_before.items()}
    deliveries, missing = delivery_times(
        clients, trust.socket_paths, outcomes, read_commits(server.name)
    )
    report = step_report(outcomes, deliveries, missing, rate, seconds)
    report["server_cpu_percent_of_one_core"] = {
        "total": round(100 * sum(cpu.values()) / elapsed),
        "per_worker": [round(100 * value / elapsed) for value in cpu.values()],
    }
    report["redis_cpu_percent_of_one_core"] = round(
        100 * (sum(_safe_cpu(pid) for pid in REDIS_PID) - redis_before) / elapsed
    )
    report["load_generator_cpu_percent_of_one_core"] = round(
        100 * (_own_cpu() - own_before) / elapsed
    )
    report["load_average"] = [round(load, 2) for load in os.getloadavg()]
    return report


def _safe_cpu(pid: int) -> float:
    try:
        return _procs.cpu_seconds(pid)
    except OSError:
        return 0.0


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def until_quiet() -> float:
    """Wait at least RAMP_PAUSE_SECONDS, then until the machine is quiet (or the wait's
    limit): the seconds waited."""
    started = time.monotonic()
    await asyncio.sleep(RAMP_PAUSE_SECONDS)
    while time.monotonic() - started < QUIET_WAIT_SECONDS:
        before, at = _procs.machine_busy_seconds(), time.monotonic()
        await asyncio.sleep(1)
        if _procs.machine_busy_seconds() - before < QUIET_BELOW_CORES * (time.monotonic() - at):
            break
    return time.monotonic() - started


def _all_met(step: dict) -> bool:
    return all(step["met"].values())


async def warm_up(server: Server, trust: Trust, workers: int) -> None:
    """Every kind of request a few times on each worker: code loaded, templates compiled,
    connections open. Not counted."""
    async with client_session() as session:
        outcomes = await run_load(
            session, f"http://127.0.0.1:{server.port}", trust.plan, rate=10, seconds=2 * workers
        )
    failed = [o for o in outcomes if o.failed]
    if failed:
        log(f"  warm-up: {len(failed)} of {len(outcomes)} failed, e.g. {failed[0]}")


async def measure_server(name: str, trust: Trust, args, redis_url: str) -> dict:
    log(f"{name}: starting {args.workers} worker process(es)")
    server = await asyncio.to_thread(start_server, name, args.workers, redis_url)
    clients: list[WebsocketClient] = []
    try:
        await warm_up(server, trust, args.workers)
        log(f"{name}: opening {len(trust.socket_paths)} idle websockets")
        opened = time.perf_counter()
        clients = await open_clients_to(
            server.port, list(zip(trust.socket_paths, trust.socket_cookies, strict=True))
        )
        open_s = time.perf_counter() - opened
        await asyncio.sleep(1)
        # Counts each worker's sockets of every kind (the listener, database, Redis) too.
        sockets = [_procs.open_sockets(pid) for pid in server.workers()]
        log(f"{name}: sockets per worker {sockets}; {args.rate}/s for {args.seconds} s")
        main = await measure_step(server, trust, clients, args.rate, args.seconds)
        _log_step(name, main)
        steps = [main]
        if not _all_met(main) and not args.no_ramp and name == RAMPED_SERVER:
            # Upwards from the lowest rate, stopping at the first that misses: a step after an
            # overloaded one would start behind requests the server is still working through.
            for share in RAMP:
                rate = round(args.rate * share, 1)
                waited = await until_quiet()
                log(
                    f"{name}: goal missed; trying {rate}/s for {args.ramp_seconds} s "
                    f"(after {waited:.0f} s for the machine to go quiet)"
                )
                step = await measure_step(server, trust, clients, rate, args.ramp_seconds)
                step["waited_for_quiet_s"] = round(waited, 1)
                _log_step(name, step)
                steps.append(step)
                if not _all_met(step):
                    break
        refused = [client for client in clients if client.opened.exception() is not None]
        gone = [c for c in clients if c.closed.done() and c.opened.exception() is None]
        dropped = len(gone) + len(refused)
        return {
            "server": name,
            "workers": args.workers,
            "idle_sockets": len(clients),
            "open_sockets_per_worker": sockets,
            "open_all_s": round(open_s, 1),
            "sockets_dropped": dropped,
            "sockets_refused": len(refused),
            "sockets_refused_examples": sorted({str(c.opened.exception()) for c in refused})[:3],
            "sockets_dropped_close_codes": dict(
                Counter(str(client.close_code or "no close frame") for client in gone)
            ),
            "main": main,
            "ramp": steps[1:],
            "highest_rate_meeting_goals": max(
                (step["rate"] for step in steps if _all_met(step) and not dropped), default=None
            ),
            "server_tracebacks": tracebacks(server.log),
        }
    finally:
        await close_clients(clients)
        stop_server(server)


def _log_step(name: str, step: dict) -> None:
    kinds = step["kinds"]
    log(
        f"  {name} at {step['rate']}/s: pages p95 {kinds.get('pages', {}).get('p95_ms')} ms, "
        f"delivery p95 {step['delivery'].get('p95_ms')} ms, errors {step['errors']}, "
        f"cpu {step['server_cpu_percent_of_one_core']['total']}%"
    )


# The report.


STAT_KEYS = ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms", "n")


def figures(runs: list[dict], best: str) -> list[dict]:
    """One figure per request type and one for reply delivery, from each server's run at the
    chosen rate; the server that measured worse has its figures named after it, with the
    better one's as their peer."""
    made = []
    for run in runs:
        step = run["main"]
        conditions = {
            "server": run["server"],
            "rate": step["rate"],
            "measured_s": step["seconds"],
            "highest_rate_meeting_goals": run["highest_rate_meeting_goals"],
            "server_cpu_percent_of_one_core": step["server_cpu_percent_of_one_core"]["total"],
            "load_average": step["load_average"],
        }
        suffix = "" if run["server"] == best else f".{run['server']}"

        def add(name: str, stats: dict, suffix: str = suffix, **more) -> None:
            peer = f"mixed.{name}" if suffix else ""
            made.append(figure(f"mixed.{name}{suffix}", stats=stats, peer=peer, **more))

        for kind in [*MIX, "pages"]:
            found = step["kinds"].get(kind)
            if not found:
                continue
            stats = {key: value for key, value in found.items() if key in STAT_KEYS}
            goal, met = "", None
            if kind == "pages":
                goal = "p95 < 200 ms from due time over every page read (pages, search, "
                goal += "threads), zero errors"
                met = step["met"]["pages_p95_under_200_ms"] and found["errors"] == 0
            add(
                kind,
                stats,
                goal=goal,
                met=met,
                per_second=found["per_second"],
                errors=found["errors"],
                **conditions,
            )
        delivery = step["delivery"]
        add(
            "delivery",
            {key: value for key, value in delivery.items() if key in STAT_KEYS},
            goal="p95 < 100 ms from commit to arrival on every watching socket, none lost",
            met=step["met"]["delivery_p95_under_100_ms"] and delivery["missing"] == 0,
            missing=delivery["missing"],
            **conditions,
        )
        errors = step["errors"] + run["sockets_dropped"]
        add(
            "errors",
            {"n": step["requests"], "errors": errors},
            goal="zero errors: pages not 200, replies refused, timeouts, sockets dropped, "
            "replies lost",
            met=errors == 0,
            **conditions,
        )
    return made


def better(runs: list[dict]) -> str:
    """The server that met the goals at the higher rate; on a tie the lower page p95."""

    def key(run: dict) -> tuple:
        page_p95 = run["main"]["kinds"].get("pages", {}).get("p95_ms") or float("inf")
        return (-(run["highest_rate_meeting_goals"] or 0), page_p95)

    return min(runs, key=key)["server"]


async def run(args, trust: Trust) -> dict:
    _raise_open_files(2 * args.idle + 2048)
    load_at_start = [round(load, 2) for load in os.getloadavg()]
    notes: list[str] = []
    redis_url = ""
    if args.layer == "redis":
        if shutil.which("redis-server") is None:
            sys.exit("bench.mixed: redis-server is not installed (apt-get install redis-server)")
        redis_url = f"redis://127.0.0.1:{await asyncio.to_thread(start_redis)}/0"
    servers = ["uvicorn", "daphne"] if args.server == "both" else [args.server]
    runs = []
    for name in servers:
        if name == "daphne" and importlib.util.find_spec("daphne") is None:
            notes.append("daphne is not installed in this virtualenv: not measured.")
            continue
        runs.append(await measure_server(name, trust, args, redis_url))
    best = better(runs)
    return {
        "benchmark": "mixed load: staff browsing, searching, downloading, reading and posting, "
        "open loop, with idle thread pages on websockets",
        "goals": {
            "pages_p95_ms": f"< {GOALS['page_p95_ms']}",
            "delivery_p95_ms": f"< {GOALS['delivery_p95_ms']}",
            "errors": "0",
        },
        "better_server": best,
        "figures": figures(runs, best),
        "runs": runs,
        "conditions": {
            "size": args.size,
            "rate_per_second": args.rate,
            "mix": MIX,
            "users": len(trust.plan.members),
            "idle_sockets": args.idle,
            "watching_hot_threads": round(args.idle * WATCHING_SHARE),
            "servers": servers,
            "workers": args.workers,
            "database": trust.seed["database"],
            "layer": "channels_redis RedisChannelLayer" if redis_url else "in-memory",
            "duration_s": args.seconds,
            "ramp_s": args.ramp_seconds,
            "data": trust.counts,
            "timing": "each request from when it was due (open loop); replies from commit",
            "load_average_at_start": load_at_start,
            "load_average_at_end": [round(load, 2) for load in os.getloadavg()],
        },
        "machine": _machine(),
        "setup_s": trust.seed["seconds"],
        "notes": notes,
        "command": COMMAND.format(size=args.size, server=args.server),
    }


def _machine() -> dict:
    import aiohttp
    import channels
    import daphne
    import uvicorn

    return {
        **machine(),
        "channels": channels.__version__,
        "uvicorn": uvicorn.__version__,
        "daphne": daphne.__version__,
        "aiohttp": aiohttp.__version__,
    }


def _raise_open_files(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def main() -> None:
    _procs.exit_on_sigterm()
    started = time.perf_counter()
    try:
        try:
            import uvloop

            runner = uvloop.run
        except ImportError:
            runner = asyncio.run
        # Seeded before any event loop runs (Django refuses database calls beside one), in
        # the main thread, so SIGTERM stops the seeding at once.
        trust = build(ARGS)
        report = runner(run(ARGS, trust))
        report["total_s"] = round(time.perf_counter() - started, 1)
        print(json.dumps(report, indent=2))
    finally:
        _procs.stop_all()
        connection.close()
        if ARGS.keep_logs:
            Path(ARGS.keep_logs).mkdir(parents=True, exist_ok=True)
            for path in WORKDIR.glob("*.log"):
                shutil.copy(path, ARGS.keep_logs)
        _procs.services.close()
        _workdir.cleanup()


if __name__ == "__main__":
    main()

"""Live fan-out: time from a reply being saved to its arrival at N open thread pages.

Run from the repository root:

    DJANGO_SETTINGS_MODULE=config.settings.dev PYTHONPATH=site:. .venv/bin/python -m bench.fanout

`--size small` (the default, as in `python -m bench`): N = 200 and 1,000 on the in-memory
layer, N = 200 over Redis with two workers, 3,000 idle sockets; `full` adds N = 1,000 over
Redis; `tiny` is a quick smoke run (20 clients, 5 replies, 200 idle sockets, tables made from
the models). Any option given explicitly overrides the size's value.

Builds a throwaway SQLite database in a temporary folder (migrated, people and sessions in bulk,
one thread) and starts real ASGI servers on it (uvicorn, as `make serve`): one process on the
in-memory channel layer, and two processes on Redis (a throwaway redis-server) with the clients
split between their ports. N websocket clients, each signed in as a different member of staff
with their own session cookie, join the thread at `ws/threads/<id>/`. Replies are posted the way
a person posts them, to the thread's reply URL, at a fixed rate (open loop: each is sent when it
is due, whatever happened to the one before). The servers log when each reply's transaction
committed (bench/_fanout_asgi.py); each client records when the reply arrived. The floor is a
plain asyncio websocket broadcast (the `websockets` library) to the same N clients on the same
machine. Next to it, for reference, Channels alone (bench/_channels_floor.py): the same broadcast
through a consumer on the in-memory layer under uvicorn, without Staffroom, so a gap splits into
the framework's part and Staffroom's. Finally one fresh server holds M idle sockets and its
resident memory is compared.
Prints one JSON document; progress goes to stderr.
"""

import argparse
import asyncio
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_workdir = tempfile.TemporaryDirectory(prefix="staffroom-fanout-")
WORKDIR = Path(_workdir.name)
DATABASE = WORKDIR / "bench.sqlite3"
# Writers queue for the lock rather than fail: with Django's default (deferred) transactions,
# two replies saved at the same moment on SQLite make one of them a 500 (see the docs).
DATABASE_URL = f"sqlite:///{DATABASE}?transaction_mode=IMMEDIATE&timeout=20"
MIGRATED = os.environ.get("BENCH_MIGRATED_SQLITE", "")
# Before Django reads its settings: our own database, production-like request handling, and
# the in-memory layer in this process (it only seeds; the servers carry the live traffic).
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DEBUG"] = "false"
os.environ["REDIS_URL"] = ""
os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from bench import _procs  # noqa: E402
from bench._report import figure, machine, summary, value_figure  # noqa: E402
from bench._staff import build_schema, post_reply, session_for  # noqa: E402
from bench._wsclient import WebsocketClient, close_clients, open_clients  # noqa: E402
from forums import services  # noqa: E402
from forums.models import Forum, ThreadFollow  # noqa: E402
from people.models import Person  # noqa: E402
from people.roles import Role  # noqa: E402

WARM_UP_POSTS = 2
POSTERS = 64  # replies rotate between them, well inside the per-person posting limit
COMMAND = (
    "DJANGO_SETTINGS_MODULE=config.settings.dev PYTHONPATH=site:. .venv/bin/python -m bench.fanout"
)
GOALS = {
    "memory_p95_ms_at_200": 50,
    "redis_two_workers_p95_ms_at_200": 100,
    "p95_over_floor_p95": 3,
    "idle_kib_per_connection": 40,
}
# What each --size runs: N on the in-memory layer (and the floor), N over Redis, idle sockets.
SIZES = {
    "tiny": {"clients": "20", "redis_clients": "20", "idle": 200, "posts": 5, "interval": 0.2},
    "small": {"clients": "200,1000", "redis_clients": "200", "idle": 3000, "posts": 30,
              "interval": 0.5},
    "full": {"clients": "200,1000", "redis_clients": "200,1000", "idle": 3000, "posts": 30,
             "interval": 0.5},
}  # fmt: skip


def log(message: str) -> None:
    print(f"[fanout {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# Building the trust.


@dataclass
class Seed:
    thread_id: int
    reader_sessions: list[str]
    poster_cookies: list[tuple[str, str]]  # (Cookie header, CSRF secret)
    setup_s: dict = field(default_factory=dict)


def seed(readers: int, *, fast_schema: bool) -> Seed:
    started = time.perf_counter()
    if MIGRATED and not fast_schema:  # `python -m bench` migrated one for every bench
        shutil.copyfile(MIGRATED, DATABASE)
    build_schema(fast=fast_schema)
    with connection.cursor() as cursor:
        # Several server processes share the file: readers should not wait for a writer.
        cursor.execute("PRAGMA journal_mode=WAL")
    migrated = time.perf_counter()

    staff = Group.objects.get_or_create(name=Role.STAFF.value)[0]
    people = Person.objects.bulk_create(
        [
            Person(email=f"reader{n}@bench.example", first_name="Reader", last_name=str(n))
            for n in range(readers)
        ]
        + [
            Person(email=f"poster{n}@bench.example", first_name="Poster", last_name=str(n))
            for n in range(POSTERS)
        ],
        batch_size=1000,
    )
    for person in people:
        person.set_unusable_password()
    Person.objects.bulk_update(people, ["password"], batch_size=1000)
    Person.groups.through.objects.bulk_create(
        [Person.groups.through(person_id=person.pk, group_id=staff.pk) for person in people],
        batch_size=1000,
    )
    sessions = [session_for(person) for person in people]
    Session.objects.bulk_create(sessions, batch_size=1000)
    posters = people[readers:]

    forum = Forum.objects.create(
        name="Fan-out bench", slug="fanout-bench", description="Benchmark forum."
    )
    thread = services.thread_create(
        forum=forum,
        author=posters[0],
        title="Whole-class feedback: what works?",
        body="How are you giving feedback without marking every book?",
    )
    # Every poster follows the thread from the start, so each reply costs the same
    # notification work in every round.
    ThreadFollow.objects.bulk_create(
        [ThreadFollow(person=person, thread=thread) for person in posters],
        ignore_conflicts=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    poster_cookies = []
    for session in sessions[readers:]:
        secret = get_random_string(32)
        poster_cookies.append((f"sessionid={session.session_key}; csrftoken={secret}", secret))
    return Seed(
        thread_id=thread.pk,
        reader_sessions=[session.session_key for session in sessions[:readers]],
        poster_cookies=poster_cookies,
        setup_s={
            "migrate_s": round(migrated - started, 1),
            "insert_s": round(time.perf_counter() - migrated, 1),
        },
    )


# Servers.


def _server_env(timing_log: Path, redis_url: str = "") -> dict[str, str]:
    return _procs.child_environment(
        DATABASE_URL=DATABASE_URL,
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        REDIS_URL=redis_url,
        BENCH_TIMING_LOG=str(timing_log),
        PYTHONPATH=f"{ROOT / 'site'}{os.pathsep}{ROOT}",
    )


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    def wait(self) -> "Server":
        _procs.wait_until_listening(self.process, self.port, self.log)
        return self


def launch_staffroom(name: str, redis_url: str = "") -> Server:
    """A uvicorn process serving the site (as `make serve` does, one worker per process)."""
    port = _procs.free_port()
    command = [
        sys.executable, "-m", "uvicorn", "bench._fanout_asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--no-server-header",
        "--ws-per-message-deflate", os.environ.get("WS_COMPRESSION", "false"),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    log_path = WORKDIR / f"server-{name}.log"
    env = _server_env(WORKDIR / f"timing-{name}.log", redis_url)
    return Server(name, port, _procs.launch(command, env=env, log=log_path), log_path)


def launch_channels_floor() -> Server:
    """Channels and uvicorn alone (bench/_channels_floor.py), launched as Staffroom's server
    is, on the same in-memory layer."""
    port = _procs.free_port()
    command = [
        sys.executable, "-m", "uvicorn", "bench._channels_floor:app",
        "--host", "127.0.0.1", "--port", str(port), "--no-server-header",
        "--ws-per-message-deflate", os.environ.get("WS_COMPRESSION", "false"),
        "--log-level", "warning", "--no-access-log", "--lifespan", "off",
    ]  # fmt: skip
    log_path = WORKDIR / "server-channels.log"
    env = _procs.child_environment(
        BENCH_TIMING_LOG=str(WORKDIR / "timing-channels.log"),
        PYTHONPATH=f"{ROOT / 'site'}{os.pathsep}{ROOT}",
    )
    return Server("channels", port, _procs.launch(command, env=env, log=log_path), log_path)


def launch_floor() -> Server:
    port = _procs.free_port()
    log_path = WORKDIR / "server-floor.log"
    command = [sys.executable, "-m", "bench._floor", str(port), str(WORKDIR / "timing-floor.log")]
    env = _procs.child_environment(PYTHONPATH=str(ROOT))
    return Server("floor", port, _procs.launch(command, env=env, log=log_path), log_path)


def launch_redis() -> Server:
    port = _procs.free_port()
    directory = WORKDIR / "redis"
    directory.mkdir()
    log_path = WORKDIR / "redis.log"
    command = _procs.redis_command(port, directory)
    return Server(
        "redis", port, _procs.launch(command, env=dict(os.environ), log=log_path), log_path
    )


def read_timings(name: str) -> dict[str, dict[int, float]]:
    """`commit`, `ring` (and for the floor `due`) times by post id, from a server's log."""
    found: dict[str, dict[int, float]] = {"commit": {}, "ring": {}, "due": {}}
    path = WORKDIR / f"timing-{name}.log"
    if path.exists():
        for line in path.read_text().splitlines():
            kind, post_id, at = line.split()
            found.setdefault(kind, {})[int(post_id)] = float(at)
    return found


def server_tracebacks() -> dict[str, int]:
    """Tracebacks in each server's log: there should be none (`--keep-logs` to read them)."""
    return {
        path.stem: path.read_text(errors="replace").count("Traceback")
        for path in sorted(WORKDIR.glob("server-*.log"))
    }


# Posting, as a person does: the thread's reply form.


class Poster:
    def __init__(self, seed: Seed) -> None:
        self.seed = seed
        self.turn = 0

    async def post(self, port: int, note: str):
        cookie, secret = self.seed.poster_cookies[self.turn % len(self.seed.poster_cookies)]
        self.turn += 1
        body = f"Reply {self.turn} ({note}): we use **whole-class feedback** every Friday."
        return await post_reply(port, self.seed.thread_id, cookie, secret, body)


# Measuring.


async def wait_for(clients: list[WebsocketClient], post_ids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(post_id in client.arrivals for client in clients for post_id in post_ids):
            return
        await asyncio.sleep(0.05)


def arrival_figures(
    clients: list[WebsocketClient], post_ids: list[int], timings: dict, due: dict[int, float]
) -> dict:
    from_commit: list[float] = []
    from_due: list[float] = []
    lost = 0
    for client in clients:
        for post_id in post_ids:
            arrived = client.arrivals.get(post_id)
            if arrived is None:
                lost += 1
                continue
            from_commit.append((arrived - timings["commit"][post_id]) * 1000)
            from_due.append((arrived - due[post_id]) * 1000)
    commit_to_ring = [
        (timings["ring"][post_id] - timings["commit"][post_id]) * 1000
        for post_id in post_ids
        if post_id in timings["ring"]
    ]
    due_to_commit = [(timings["commit"][p] - due[p]) * 1000 for p in post_ids]
    notifying = [
        (timings["notified"][p] - timings["notify"][p]) * 1000
        for p in post_ids
        if p in timings.get("notified", {}) and p in timings.get("notify", {})
    ]
    return {
        "save_to_arrival_ms": summary(from_commit),
        "due_to_arrival_ms": summary(from_due),
        "due_to_commit_ms": summary(due_to_commit),
        "commit_to_doorbell_ms": summary(commit_to_ring),
        "followers_notified_before_doorbell_ms": summary(notifying),
        "lost": lost,
    }


async def staffroom_round(
    layer: str, servers: list[Server], clients_wanted: int, seed: Seed, poster: Poster, args
) -> dict:
    path = f"/ws/threads/{seed.thread_id}/"
    cookies = [f"sessionid={key}" for key in seed.reader_sessions[:clients_wanted]]
    ports = [server.port for server in servers]
    clients: list[WebsocketClient] = []
    try:
        for index, port in enumerate(ports):
            clients += await open_clients(port, path, cookies[index :: len(ports)])
        await asyncio.sleep(0.5)
        for number in range(WARM_UP_POSTS):  # templates compiled, connections warm
            await poster.post(ports[number % len(ports)], "warm-up")
        await asyncio.sleep(0.5)
        cpu_before = sum(_procs.cpu_seconds(server.process.pid) for server in servers)

        async def one(number: int, due: float):
            status, post_id = await poster.post(ports[number % len(ports)], f"{layer} {number}")
            return due, status, post_id

        started = time.time() + 0.2
        sends = []
        for number in range(args.posts):
            due = started + number * args.interval
            await asyncio.sleep(max(0.0, due - time.time()))
            sends.append(asyncio.create_task(one(number, due)))
        results = await asyncio.gather(*sends)
        due_by_post = {post_id: due for due, status, post_id in results if post_id}
        refused = [status for _, status, post_id in results if not post_id]
        post_ids = sorted(due_by_post)
        await wait_for(clients, post_ids, timeout=15)
        cpu = sum(_procs.cpu_seconds(server.process.pid) for server in servers) - cpu_before
        timings: dict = {"commit": {}, "ring": {}}
        for name in [layer] if layer == "memory" else ["redis-a", "redis-b"]:
            for kind, values in read_timings(name).items():
                timings.setdefault(kind, {}).update(values)
        frames = [size for client in clients for size in client.frame_bytes]
        return {
            "layer": layer,
            "clients": len(clients),
            "workers": len(ports),
            "posts": len(post_ids),
            "refused_posts": refused,
            **arrival_figures(clients, post_ids, timings, due_by_post),
            "frame_bytes_median": int(statistics.median(frames)) if frames else 0,
            "server_cpu_ms_per_post": round(cpu * 1000 / max(1, len(post_ids)), 1),
        }
    finally:
        await close_clients(clients)
        await asyncio.sleep(0.5)  # let the servers finish closing before the next round


async def floor_round(
    server: Server, clients_wanted: int, frame_bytes: int, args, number: int
) -> dict:
    from websockets.asyncio.client import connect

    port = server.port
    clients: list[WebsocketClient] = []
    try:
        clients = await open_clients(port, "/", ["bench=floor"] * clients_wanted)
        await asyncio.sleep(0.5)
        count = WARM_UP_POSTS + args.posts
        cpu_before = _procs.cpu_seconds(server.process.pid)
        async with connect(f"ws://127.0.0.1:{port}/control") as control:
            await control.send(f"go {count} {args.interval} {max(0, frame_bytes - 60)}")
            await control.recv()
        first = number * 100_000 + WARM_UP_POSTS
        post_ids = list(range(first, first + args.posts))
        await wait_for(clients, post_ids, timeout=15)
        cpu = _procs.cpu_seconds(server.process.pid) - cpu_before
        timings = read_timings(server.name)
        return {
            "clients": len(clients),
            "posts": len(post_ids),
            **arrival_figures(clients, post_ids, timings, timings["due"]),
            "server_cpu_ms_per_post": round(cpu * 1000 / count, 1),
        }
    finally:
        await close_clients(clients)
        await asyncio.sleep(0.3)


async def _open_each(
    port: int, path: str, cookies: list[str], compression: bool = False
) -> tuple[list, int]:
    """The sockets that opened, and how many handshakes were refused: on a very busy machine
    a few are (HTTP 500), and one refusal should not lose the whole figure."""
    gate = asyncio.Semaphore(64)

    async def one(cookie: str) -> list[WebsocketClient]:
        async with gate:
            return await open_clients(port, path, [cookie], concurrency=1, compression=compression)

    results = await asyncio.gather(*(one(cookie) for cookie in cookies), return_exceptions=True)
    opened = [result[0] for result in results if isinstance(result, list)]
    return opened, len(results) - len(opened)


async def idle_memory(server: Server, seed: Seed, sockets: int, compression: bool = False) -> dict:
    """Resident memory of a server that has served nothing yet, before and after `sockets`
    idle thread pages; with `compression`, sockets that offer per-message compression as
    browsers do (the server then keeps a compressor and a decompressor for each)."""
    port, process = server.port, server.process
    path = f"/ws/threads/{seed.thread_id}/"
    sessions = seed.reader_sessions
    cookies = [f"sessionid={sessions[n % len(sessions)]}" for n in range(sockets)]
    clients: list[WebsocketClient] = []
    try:
        # Warm: the first socket and request load code and fill caches that every later
        # connection shares; those are not per-connection costs.
        warm = await open_clients(port, path, cookies[:20])
        await close_clients(warm)
        await asyncio.sleep(1)
        before = _procs.rss_kib(process.pid)
        opened = time.perf_counter()
        clients, refused = await _open_each(port, path, cookies, compression)
        open_s = time.perf_counter() - opened
        await asyncio.sleep(1 + sockets / 1000)  # let the allocator settle
        after = _procs.rss_kib(process.pid)
        alive = sum(1 for client in clients if not client.closed.done())
        return {
            "sockets": sockets,
            "still_open": alive,
            "refused_handshakes": refused,
            "rss_before_kib": before,
            "rss_after_kib": after,
            "kib_per_connection": round((after - before) / max(1, len(clients)), 1),
            "open_all_s": round(open_s, 1),
            "layer": "memory",
            "workers": 1,
            "compression_offered": compression,
            "compression_agreed": sum(1 for client in clients if client.compressed),
        }
    finally:
        await close_clients(clients)
        _procs.stop(process)


def _raise_open_files(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
        soft = limit
    return soft


def _machine() -> dict:
    import channels
    import uvicorn
    import websockets

    return {
        **machine(),
        "channels": channels.__version__,
        "uvicorn": uvicorn.__version__,
        "websockets": websockets.__version__,
        "database": f"SQLite {connection.Database.sqlite_version} (WAL), file in a temp folder",
    }


def _goals(runs: list[dict], ratios: list[dict], idle: dict | None) -> dict:
    def p95(layer: str, clients: int) -> float | None:
        for run in runs:
            if run["layer"] == layer and run["clients"] == clients:
                return run["save_to_arrival_ms"].get("p95_ms")
        return None

    met: dict = {}
    memory = p95("memory", 200)
    if memory is not None:
        met["memory_p95_under_50_ms_at_200"] = memory < GOALS["memory_p95_ms_at_200"]
    redis = p95("redis", 200)
    if redis is not None:
        met["redis_p95_under_100_ms_at_200"] = redis < GOALS["redis_two_workers_p95_ms_at_200"]
    for ratio in ratios:
        met[f"memory_within_3x_floor_at_{ratio['clients']}"] = (
            ratio["memory_p95_over_floor_p95"] is not None
            and ratio["memory_p95_over_floor_p95"] <= GOALS["p95_over_floor_p95"]
        )
    if idle is not None:
        met["idle_under_40_kib"] = idle["kib_per_connection"] < GOALS["idle_kib_per_connection"]
    met["nothing_lost"] = all(run["lost"] == 0 for run in runs)
    return met


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return round(top / bottom, 1) if top is not None and bottom else None


def _figures(
    runs: list[dict], floors: list[dict], channels_floors: list[dict], idle: dict | None
) -> list[dict]:
    """The runner's figures: each round's save-to-arrival, the floor's, Channels' alone (next
    to the floor, no goal of its own), and idle memory."""
    floor_names = {floor["clients"]: f"fanout.floor.N{floor['clients']}" for floor in floors}
    floor_p95 = {floor["clients"]: floor["save_to_arrival_ms"].get("p95_ms") for floor in floors}
    made = []
    for run in runs:
        clients, stats = run["clients"], run["save_to_arrival_ms"]
        p95, whole = stats.get("p95_ms"), run["lost"] == 0 and not run["refused_posts"]
        goal, met = "", None
        if run["layer"] == "memory":
            goal = f"p95 within {GOALS['p95_over_floor_p95']}x the floor, nothing lost"
            if p95 is not None and floor_p95.get(clients):
                met = whole and p95 <= GOALS["p95_over_floor_p95"] * floor_p95[clients]
        elif clients == 200:
            limit = GOALS["redis_two_workers_p95_ms_at_200"]
            goal = f"p95 under {limit} ms at N = 200 over Redis, two workers, nothing lost"
            met = whole and p95 is not None and p95 < limit
        made.append(
            figure(
                f"fanout.{run['layer']}.N{clients}",
                stats=stats,
                floor=floor_names.get(clients, ""),
                goal=goal,
                met=met,
                clients=clients,
                workers=run["workers"],
                posts=run["posts"],
                lost=run["lost"],
                server_cpu_ms_per_post=run["server_cpu_ms_per_post"],
            )
        )
    for floor in floors:
        made.append(
            figure(
                floor_names[floor["clients"]],
                stats=floor["save_to_arrival_ms"],
                clients=floor["clients"],
                lost=floor["lost"],
            )
        )
    for alone in channels_floors:
        made.append(
            figure(
                f"fanout.channels.N{alone['clients']}",
                stats=alone["save_to_arrival_ms"],
                floor=floor_names.get(alone["clients"], ""),
                clients=alone["clients"],
                lost=alone["lost"],
                server_cpu_ms_per_post=alone["server_cpu_ms_per_post"],
            )
        )
    if idle is not None:
        limit = GOALS["idle_kib_per_connection"]
        made.append(
            value_figure(
                "idle.per_connection",
                idle["kib_per_connection"],
                "KiB",
                goal=f"under {limit} KiB per idle websocket ({idle['sockets']} on one worker)",
                met=idle["kib_per_connection"] < limit and idle["still_open"] == idle["sockets"],
                sockets=idle["sockets"],
                still_open=idle["still_open"],
                refused_handshakes=idle["refused_handshakes"],
                workers=1,
            )
        )
    return made


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


async def run(args) -> dict:
    layers = [layer for layer in args.layers.split(",") if layer]
    sizes_of = {"memory": _numbers(args.clients), "redis": _numbers(args.redis_clients)}
    sizes = sorted({size for layer in layers for size in sizes_of.get(layer, [])})
    needed = max([*sizes, args.idle, 1])
    open_files = _raise_open_files(2 * needed + 1024)
    load_at_start = [round(load, 2) for load in os.getloadavg()]
    notes: list[str] = []
    # Servers boot (importing Django and Wagtail takes seconds) while the database is built;
    # they open it only when the first client arrives.
    servers: dict[str, list[Server]] = {}
    if "memory" in layers:
        servers["memory"] = [launch_staffroom("memory")]
    if "redis" in layers:
        if shutil.which("redis-server") is None:
            notes.append("redis-server is not installed: the Redis layer was not measured.")
        else:
            redis = launch_redis()
            redis_url = f"redis://127.0.0.1:{redis.port}/0"
            servers["redis"] = [
                launch_staffroom(name, redis_url) for name in ("redis-a", "redis-b")
            ]
            await asyncio.to_thread(redis.wait)
    floor = channels_floor = None
    if not args.no_floor:
        if importlib.util.find_spec("websockets") is None:
            notes.append("The websockets library is not installed: no floor was measured.")
        else:
            floor = launch_floor()
            channels_floor = launch_channels_floor()  # its control socket uses websockets too
    # Booted now too, so that it has served nothing before its memory is read.
    idle_server = launch_staffroom("idle") if args.idle else None
    log(f"seeding {needed} readers and {POSTERS} posters")
    seed = await asyncio.to_thread(seed_in_thread, needed, args.fast_schema)
    started = [server for group in servers.values() for server in group]
    started += [server for server in (floor, channels_floor) if server is not None]
    for server in [*started, *([idle_server] if idle_server else [])]:
        await asyncio.to_thread(server.wait)
    if "redis" in servers:
        started.append(redis)  # stopped with its servers, after them

    runs: list[dict] = []
    floors: list[dict] = []
    channels_floors: list[dict] = []
    ratios: list[dict] = []
    poster = Poster(seed)
    for index, size in enumerate(sizes, start=1):
        frame_bytes = 0
        memory_p95 = None
        for layer, layer_servers in servers.items():
            if size not in sizes_of[layer]:
                continue
            log(f"{layer}: {size} clients, {args.posts} replies every {args.interval} s")
            result = await staffroom_round(layer, layer_servers, size, seed, poster, args)
            runs.append(result)
            log(f"  p95 {result['save_to_arrival_ms'].get('p95_ms')} ms, lost {result['lost']}")
            if layer == "memory":
                frame_bytes = result["frame_bytes_median"]
                memory_p95 = result["save_to_arrival_ms"].get("p95_ms")
        reference_p95: dict[str, float | None] = {}
        references = (("Channels alone", channels_floor, channels_floors), ("floor", floor, floors))
        for label, server, results in references:
            if server is None:
                continue
            log(f"{label}: {size} clients")
            result = await floor_round(server, size, frame_bytes or 1500, args, index)
            results.append(result)
            reference_p95[server.name] = result["save_to_arrival_ms"].get("p95_ms")
            log(f"  p95 {reference_p95[server.name]} ms, lost {result['lost']}")
        if floor is not None:
            floor_p95, channels_p95 = reference_p95["floor"], reference_p95.get("channels")
            if memory_p95 is not None:
                ratios.append(
                    {
                        "clients": size,
                        "memory_p95_over_floor_p95": _ratio(memory_p95, floor_p95),
                        "channels_p95_over_floor_p95": _ratio(channels_p95, floor_p95),
                        "memory_p95_over_channels_p95": _ratio(memory_p95, channels_p95),
                    }
                )
    for server in started:  # the idle figure needs the machine to itself
        _procs.stop(server.process)

    idle = None
    if idle_server is not None:
        log(f"idle: {args.idle} sockets on one fresh server")
        idle = await idle_memory(idle_server, seed, args.idle, args.idle_compression)
        log(f"  {idle['kib_per_connection']} KiB per connection")

    conditions = {
        "size": args.size,
        "database": f"SQLite {connection.Database.sqlite_version} (WAL), file in a temp folder",
        "layer": "in-memory (one uvicorn process) and Redis (two uvicorn processes)",
        "N": {layer: sizes_of[layer] for layer in servers},
        "idle_sockets": args.idle,
        "staff_with_sessions": needed + POSTERS,
        "schema": "made from the models"
        if args.fast_schema
        else "copied from the runner's migrated database"
        if MIGRATED
        else "migrated",
    }
    return {
        "figures": _figures(runs, floors, channels_floors, idle),
        "machine": _machine(),
        "benchmark": "live fan-out: reply saved (committed) to arrival at every open thread page",
        "goals": {
            "memory_p95_ms_at_200": "< 50",
            "redis_two_workers_p95_ms_at_200": "< 100",
            "memory_p95_over_floor_p95": "<= 3",
            "idle_kib_per_connection": "< 40",
        },
        "meets_goals": _goals(runs, ratios, idle),
        "runs": runs,
        "floor": floors,
        "channels_alone": channels_floors,
        "ratios": ratios,
        "idle": idle,
        "conditions": {
            **conditions,
            "posts_per_round": args.posts,
            "interval_s": args.interval,
            "warm_up_posts": WARM_UP_POSTS,
            "followers_of_the_thread": POSTERS + 1,
            "database_options": "transaction_mode=IMMEDIATE, timeout=20, WAL",
            "posting": "HTTP POST to the thread's reply URL, open loop, fresh connection each",
            "server": "uvicorn, one process per worker, no proxy",
            "clients": "one asyncio process, minimal websocket client, no compression",
            "open_files_limit": open_files,
            "load_average_at_start": load_at_start,
            "load_average_at_end": [round(load, 2) for load in os.getloadavg()],
            "machine": _machine(),
        },
        "server_tracebacks": server_tracebacks(),
        "setup_s": seed.setup_s,
        "notes": notes,
        "command": COMMAND,
    }


def seed_in_thread(readers: int, fast_schema: bool) -> Seed:
    try:
        return seed(readers, fast_schema=fast_schema)
    finally:
        connection.close()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--size", choices=SIZES, default="small", help="default: small")
    parser.add_argument("--clients", help="comma-separated N values (in-memory and floor)")
    parser.add_argument("--redis-clients", help="comma-separated N values over Redis")
    parser.add_argument("--posts", type=int, help="measured replies per round")
    parser.add_argument("--interval", type=float, help="seconds between replies")
    parser.add_argument("--layers", default="memory,redis", help="memory, redis or both")
    parser.add_argument("--idle", type=int, help="idle sockets (0 to skip)")
    parser.add_argument(
        "--idle-compression",
        action="store_true",
        help="idle sockets offer per-message compression, as browsers do",
    )
    parser.add_argument("--no-floor", action="store_true", help="skip the plain broadcast")
    parser.add_argument("--keep-logs", metavar="FOLDER", help="copy the servers' logs here")
    parser.add_argument(
        "--fast-schema",
        action="store_true",
        help="create tables from the models instead of migrating (smoke test only)",
    )
    args = parser.parse_args(argv)
    for key, value in SIZES[args.size].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.fast_schema = args.fast_schema or args.size == "tiny"
    return args


def main(argv: list[str] | None = None) -> None:
    _procs.exit_on_sigterm()
    args = parse(argv)
    started = time.perf_counter()
    try:
        report = asyncio.run(run(args))
        report["total_s"] = round(time.perf_counter() - started, 1)
        print(json.dumps(report, indent=2))
    finally:
        _procs.stop_all()
        connection.close()
        if args.keep_logs:
            Path(args.keep_logs).mkdir(parents=True, exist_ok=True)
            for path in WORKDIR.glob("*.log"):
                shutil.copy(path, args.keep_logs)
        _workdir.cleanup()


if __name__ == "__main__":
    main()

"""Drill: Redis killed mid-discussion and an ASGI worker killed under the same load.

Run from the repository root (the full drill: 60 s of replies, about two minutes in all):

    PYTHONPATH=site:. .venv/bin/python -m drills.live_failures

It starts a throwaway PostgreSQL and Redis, migrates, makes a thread, staff and their sessions,
and serves the site as `make serve` does (uvicorn, two worker processes, the Redis channel
layer). Twenty websocket clients open the thread and behave as the page's scripts do
(templates/static/js/live-socket.js and thread-live.js): on close they reconnect with
exponential backoff and jitter, and on every (re)connect they ask to catch up from the last
post and revision they saw. Replies are posted through the real reply form at a steady rate.
Part way through Redis is killed (SIGKILL) and started again on the same port a few seconds
later; later one uvicorn worker is killed (SIGKILL) and uvicorn's supervisor starts another.

It then waits for the clients to catch up and checks that every acknowledged reply is in the
database and reached every client exactly once, that replying kept working while Redis was
down, and that every client was back within 30 s. It prints one JSON summary and exits 1 if
any check failed (2 if Redis or PostgreSQL is not installed). Progress goes to stderr.
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import _procs
from bench._staff import build_schema, post_reply, session_for

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "PYTHONPATH=site:. .venv/bin/python -m drills.live_failures"
# As live-socket.js: the first retry after about a second, doubling up to 30 s, with jitter.
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
GIVE_UP_CODES = {4401, 4403}  # signed out, or not allowed
# As thread-live.js: a gap in the revisions still open after this long is filled by catching up.
GAP_WAIT_S = 3.0
MAX_HAVE = 200
# The promise: every client is back (connected and caught up) this soon after a fault ends.
BACK_WITHIN_S = 30.0
POSTERS = 30  # replies rotate between them, well inside the per-person posting limit
WORKERS = 2


def log(message: str) -> None:
    print(f"[drill {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# The trust: a thread, readers and posters, each with a session.


@dataclass
class Seed:
    thread_id: int
    last_post_id: int
    last_revision: int
    reader_cookies: list[str]
    poster_cookies: list[tuple[str, str]]  # (Cookie header, CSRF secret)


def seed(readers: int, *, fast_schema: bool) -> Seed:
    from django.contrib.auth.models import Group
    from django.contrib.sessions.models import Session
    from django.utils.crypto import get_random_string

    from forums import services
    from forums.models import Forum, Thread
    from people.models import Person
    from people.roles import Role

    build_schema(fast=fast_schema)
    staff = Group.objects.get_or_create(name=Role.STAFF.value)[0]
    people = [
        Person(email=f"reader{n}@drill.example", first_name="Reader", last_name=str(n))
        for n in range(readers)
    ] + [
        Person(email=f"poster{n}@drill.example", first_name="Poster", last_name=str(n))
        for n in range(POSTERS)
    ]
    for person in people:
        person.set_unusable_password()
    people = Person.objects.bulk_create(people)
    Person.groups.through.objects.bulk_create(
        [Person.groups.through(person_id=person.pk, group_id=staff.pk) for person in people]
    )
    sessions = Session.objects.bulk_create([session_for(person) for person in people])
    forum = Forum.objects.create(
        name="Failure drill", slug="failure-drill", description="Failure drill forum."
    )
    thread = services.thread_create(
        forum=forum,
        author=people[readers],
        title="Reading for pleasure: what is working?",
        body="What has got your classes reading for pleasure this term?",
    )
    thread = Thread.objects.get(pk=thread.pk)
    opening = thread.posts.order_by("-pk").first()
    posters = []
    for session in sessions[readers:]:
        secret = get_random_string(32)
        posters.append((f"sessionid={session.session_key}; csrftoken={secret}", secret))
    return Seed(
        thread_id=thread.pk,
        last_post_id=opening.pk if opening else 0,
        last_revision=thread.revision,
        reader_cookies=[f"sessionid={session.session_key}" for session in sessions[:readers]],
        poster_cookies=posters,
    )


# Clients that behave like the thread page.


@dataclass
class Client:
    number: int
    url: str
    cookie: str
    origin: str
    last_id: int
    last_revision: int  # every change up to here has arrived
    ahead: set[int] = field(default_factory=set)  # revisions received beyond a gap
    # Every post frame received: (post id, revision), in order.
    received: list[tuple[int, int]] = field(default_factory=list)
    opened_at: list[float] = field(default_factory=list)
    caught_up_at: list[float] = field(default_factory=list)
    closed: list[tuple[float, int | None]] = field(default_factory=list)
    refused: int = 0  # handshakes refused (the layer still down: try again later)
    errors: list[str] = field(default_factory=list)
    gave_up: int | None = None
    connected: bool = False
    gap_repairs: int = 0
    _gap: asyncio.Task | None = None

    def catch_up_frame(self) -> str:
        have = sorted(self.ahead)[:MAX_HAVE]
        return json.dumps(
            {
                "action": "catch_up",
                "after": self.last_id,
                "revision": self.last_revision,
                "have": have,
            }
        )

    def settle(self, socket) -> None:
        while self.last_revision + 1 in self.ahead:
            self.last_revision += 1
            self.ahead.discard(self.last_revision)
        self.ahead = {revision for revision in self.ahead if revision > self.last_revision}
        if self.ahead and self._gap is None:
            self._gap = asyncio.create_task(self._fill_gap(socket))
        elif not self.ahead and self._gap is not None:
            self._gap.cancel()
            self._gap = None

    async def _fill_gap(self, socket) -> None:
        await asyncio.sleep(GAP_WAIT_S)
        self._gap = None
        if self.ahead:
            self.gap_repairs += 1
            try:
                await socket.send(self.catch_up_frame())
            except Exception:  # closed meanwhile: the reconnect catches up instead
                pass

    async def on_frame(self, frame: dict, socket) -> None:
        kind = frame.get("type")
        if kind == "caught_up":
            self.last_id = max(self.last_id, frame.get("last_post_id", 0))
            self.last_revision = max(self.last_revision, frame.get("revision", 0))
            self.settle(socket)
            self.caught_up_at.append(time.monotonic())
            if frame.get("more"):
                await socket.send(self.catch_up_frame())
        elif isinstance(kind, str) and kind.startswith("post."):
            revision = frame.get("revision", 0)
            self.received.append((frame["post_id"], revision))
            self.last_id = max(self.last_id, frame["post_id"])
            if revision > self.last_revision:
                self.ahead.add(revision)
            self.settle(socket)
        elif kind == "error":
            self.errors.append(str(frame.get("message")))

    async def run(self, stop: asyncio.Event) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

        attempt = 0
        while not stop.is_set():
            code: int | None = None
            try:
                async with connect(
                    self.url,
                    origin=self.origin,
                    additional_headers={"Cookie": self.cookie},
                    compression=None,
                    open_timeout=10,
                    proxy=None,
                ) as socket:
                    attempt = 0
                    self.connected = True
                    self.opened_at.append(time.monotonic())
                    await socket.send(self.catch_up_frame())
                    await socket.send(json.dumps({"action": "here"}))
                    try:
                        async for text in socket:
                            await self.on_frame(json.loads(text), socket)
                            if stop.is_set():
                                break
                    except ConnectionClosed:
                        pass
                    code = socket.close_code
            except InvalidStatus:
                self.refused += 1  # closed before it was accepted: a browser sees 1006
            except (OSError, InvalidHandshake, TimeoutError, ConnectionClosed):
                pass
            if self._gap is not None:
                self._gap.cancel()
                self._gap = None
            if self.connected:
                self.connected = False
                self.closed.append((time.monotonic(), code))
            if stop.is_set():
                return
            if code in GIVE_UP_CODES:
                self.gave_up = code
                return
            ceiling = min(MAX_DELAY_S, FIRST_DELAY_S * 2**attempt)
            attempt += 1
            delay = ceiling / 2 + random.random() * (ceiling / 2)
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
            except TimeoutError:
                pass


# Servers and faults.


@dataclass
class Redis:
    port: int
    directory: Path
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        command = _procs.redis_command(self.port, self.directory)
        self.process = _procs.start(command, env=dict(os.environ), log=self.log, port=self.port)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def _socket_inodes(port: int) -> set[str]:
    """Inodes of the established TCP connections to the server's port."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                found.add(fields[9])
    return found


def busiest_worker(supervisor: int, port: int) -> int:
    """The worker holding the most connections: killing it drops the most clients."""
    inodes = _socket_inodes(port)

    def held(pid: int) -> int:
        count = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                count += 1
        return count

    return max(worker_pids(supervisor), key=held)


def worker_pids(supervisor: int) -> list[int]:
    """uvicorn's worker processes: the supervisor's children that serve (not the tracker)."""
    pids = []
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children")
    for pid in children.read_text().split():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"resource_tracker" not in command:
            pids.append(int(pid))
    return sorted(pids)


async def wait_for_workers(supervisor: int, count: int, *, other_than: set[int], timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = worker_pids(supervisor)
        if len(pids) >= count and set(pids) - other_than:
            return pids
        await asyncio.sleep(0.2)
    raise RuntimeError(f"uvicorn did not bring back {count} workers within {timeout} s")


# The run.


@dataclass
class Sent:
    at: float  # seconds since posting began
    status: int
    post_id: int | None
    seconds: float
    error: str = ""

    @property
    def ended(self) -> float:
        return self.at + self.seconds


async def drill(args, seed: Seed, redis: Redis, workdir: Path) -> dict:
    port = _procs.free_port()
    server_log = workdir / "uvicorn.log"
    env = _procs.child_environment(
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=f"redis://127.0.0.1:{redis.port}/0",
        DJANGO_SETTINGS_MODULE=os.environ["DJANGO_SETTINGS_MODULE"],
        DEBUG="false",
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONPATH=f"{ROOT / 'site'}{os.pathsep}{ROOT}",
    )
    command = [
        sys.executable, "-m", "uvicorn", "config.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS),
        "--no-server-header", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    server = await asyncio.to_thread(_procs.start, command, env=env, log=server_log, port=port)
    await wait_for_workers(server.pid, WORKERS, other_than=set(), timeout=60)

    path = f"/ws/threads/{seed.thread_id}/"
    clients = [
        Client(
            number=number,
            url=f"ws://127.0.0.1:{port}{path}",
            cookie=cookie,
            origin=f"http://127.0.0.1:{port}",
            last_id=seed.last_post_id,
            last_revision=seed.last_revision,
        )
        for number, cookie in enumerate(seed.reader_cookies)
    ]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(client.run(stop)) for client in clients]
    try:
        # Wait until every client is open and caught up (the workers warm up on the way).
        deadline = time.monotonic() + 90
        while not all(client.caught_up_at for client in clients):
            if time.monotonic() > deadline:
                raise RuntimeError("the clients could not all connect before the drill")
            await asyncio.sleep(0.2)
        log(f"{len(clients)} clients open; replying for {args.duration} s at {args.rate}/s")
        return await _under_load(args, seed, redis, server, port, clients, stop)
    finally:
        stop.set()
        await asyncio.wait(tasks, timeout=15)
        _procs.stop(server)


async def _under_load(args, seed, redis, server, port, clients, stop) -> dict:
    began = time.monotonic()
    sent: list[Sent] = []
    faults: dict = {}

    async def one(number: int) -> None:
        cookie, secret = seed.poster_cookies[number % len(seed.poster_cookies)]
        at = time.monotonic()
        body = f"Reply {number}: we read aloud for ten minutes every day, and it shows."
        try:
            status, post_id = await asyncio.wait_for(
                post_reply(port, seed.thread_id, cookie, secret, body), timeout=30
            )
            sent.append(Sent(at - began, status, post_id, time.monotonic() - at))
        except (OSError, TimeoutError) as error:
            failure = f"{type(error).__name__}: {error}"
            sent.append(Sent(at - began, 0, None, time.monotonic() - at, failure))

    async def redis_fault() -> None:
        await asyncio.sleep(max(0.0, began + args.redis_kill_at - time.monotonic()))
        log("killing Redis (SIGKILL)")
        killed = time.monotonic()
        await asyncio.to_thread(redis.kill)
        await asyncio.sleep(args.redis_down)
        await asyncio.to_thread(redis.start)
        log("Redis is back on the same port, empty")
        faults["redis"] = {"killed": killed, "back": time.monotonic()}

    async def worker_fault() -> None:
        await asyncio.sleep(max(0.0, began + args.worker_kill_at - time.monotonic()))
        victim = busiest_worker(server.pid, port)
        log(f"killing uvicorn worker {victim} (SIGKILL)")
        before = set(worker_pids(server.pid))
        killed = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        replaced = await wait_for_workers(server.pid, WORKERS, other_than=before, timeout=60)
        log(f"uvicorn started worker {sorted(set(replaced) - before)} in its place")
        faults["worker"] = {"killed": killed, "back": killed, "replaced": time.monotonic()}

    fault_tasks = []
    if args.redis_kill_at is not None:
        fault_tasks.append(asyncio.create_task(redis_fault()))
    if args.worker_kill_at is not None:
        fault_tasks.append(asyncio.create_task(worker_fault()))

    posting = []
    count = int(args.duration * args.rate)
    for number in range(count):
        await asyncio.sleep(max(0.0, began + number / args.rate - time.monotonic()))
        posting.append(asyncio.create_task(one(number)))
    await asyncio.gather(*posting, *fault_tasks)
    posted_s = time.monotonic() - began

    acknowledged = sorted(item.post_id for item in sent if item.status == 302 and item.post_id)
    log(f"{len(acknowledged)} of {count} replies acknowledged; waiting for the clients")
    settle_deadline = time.monotonic() + args.settle
    while time.monotonic() < settle_deadline:
        if all(set(acknowledged) <= {post_id for post_id, _ in c.received} for c in clients):
            break
        await asyncio.sleep(0.25)
    await asyncio.sleep(1)  # anything doubled arrives now rather than never
    in_database = await asyncio.to_thread(_stored, acknowledged)
    if args.keep_logs:
        Path(args.keep_logs).mkdir(parents=True, exist_ok=True)
        with open(Path(args.keep_logs) / "replies.tsv", "w") as table:
            table.write("sent_at_s\tseconds\tstatus\tpost_id\terror\n")
            for item in sorted(sent, key=lambda item: item.at):
                table.write(
                    f"{item.at:.2f}\t{item.seconds:.2f}\t{item.status}\t{item.post_id}\t"
                    f"{item.error}\n"
                )
    return _verdict(args, began, posted_s, sent, acknowledged, in_database, faults, clients)


def _stored(post_ids: list[int]) -> set[int]:
    from django.db import connection

    from forums.models import Post

    try:
        return set(Post.objects.filter(pk__in=post_ids).values_list("pk", flat=True))
    finally:
        connection.close()


def _spread(values: list[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "p50": round(ordered[len(ordered) // 2], 2),
        "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2),
        "max": round(ordered[-1], 2),
    }


def _verdict(args, began, posted_s, sent, acknowledged, in_database, faults, clients) -> dict:
    wanted = set(acknowledged)
    per_client = []
    for client in clients:
        frames = Counter(client.received)
        seen = {post_id for post_id, _ in client.received}
        created = Counter(post_id for post_id, _ in client.received if post_id in wanted)
        per_client.append(
            {
                "client": client.number,
                "missing": sorted(wanted - seen),
                # The same post at the same revision sent twice on one page.
                "doubled": sorted({post_id for (post_id, _), n in frames.items() if n > 1}),
                "received_more_than_once": sum(1 for n in created.values() if n > 1),
                "connections": len(client.opened_at),
                "gaps_filled": client.gap_repairs,
                "refused_handshakes": client.refused,
                "errors": client.errors,
                "gave_up": client.gave_up,
                "connected_at_end": client.connected,
            }
        )

    def recovery(name: str, interrupted: list[Sent]) -> dict | None:
        fault = faults.get(name)
        if fault is None:
            return None
        dropped, back_s, never = 0, [], []
        for client in clients:
            if not any(at >= fault["killed"] for at, _ in client.closed):
                continue
            dropped += 1
            returns = [at for at in client.caught_up_at if at >= fault["killed"]]
            if returns:
                back_s.append(max(0.0, returns[0] - fault["back"]))
            else:
                never.append(client.number)
        summary = {
            "at_s": round(fault["killed"] - began, 1),
            "clients_dropped": dropped,
            "slowest_back_s": round(max(back_s), 1) if back_s else None,
            "never_back": never,
        }
        if name == "redis":
            summary["down_s"] = round(fault["back"] - fault["killed"], 1)
            outage = [
                item for item in sent if fault["killed"] - began <= item.at <= fault["back"] - began
            ]
            summary["replies_during_outage"] = len(outage)
            summary["acknowledged_during_outage"] = sum(
                1 for item in outage if item.status == 302 and item.post_id
            )
            # Still waiting in the queue of a worker killed later, so neither saved nor refused.
            summary["lost_with_the_killed_worker"] = sum(
                1 for item in outage if item in interrupted
            )
            summary["slowest_reply_during_outage_s"] = round(
                max((item.seconds for item in outage), default=0), 2
            )
        else:
            # When uvicorn's supervisor started the new process (it serves once Django loads).
            summary["replacement_started_after_s"] = round(fault["replaced"] - fault["killed"], 1)
        return summary

    failed = [item for item in sent if not (item.status == 302 and item.post_id)]
    # A reply in flight to the worker that was killed dies with it, as it would for a person
    # whose request a crashed server dropped: those count as interrupted, not refused.
    interrupted = []
    if "worker" in faults:
        kill_s = faults["worker"]["killed"] - began
        interrupted = [
            item
            for item in failed
            if item.status == 0 and item.at <= kill_s + 0.5 and item.ended >= kill_s - 0.5
        ]
    unexpected = [
        {"at_s": round(item.at, 1), "status": item.status, "error": item.error}
        for item in failed
        if item not in interrupted
    ]
    redis = recovery("redis", interrupted)
    worker = recovery("worker", interrupted)
    failures = []
    if len(in_database) != len(wanted):
        failures.append(f"{len(wanted - in_database)} acknowledged replies are not in the database")
    if unexpected:
        failures.append(f"{len(unexpected)} replies were refused or failed")
    missing = sum(len(item["missing"]) for item in per_client)
    if missing:
        failures.append(f"{missing} replies never reached a client that should have had them")
    doubled = sum(len(item["doubled"]) for item in per_client)
    if doubled:
        failures.append(f"{doubled} replies reached a client twice")
    if any(item["errors"] for item in per_client):
        failures.append("clients were sent error frames")
    if any(item["gave_up"] for item in per_client):
        failures.append("clients were told to give up")
    if not all(item["connected_at_end"] for item in per_client):
        failures.append("clients were not connected at the end")
    for name, fault in (("redis", redis), ("worker", worker)):
        if fault is None:
            continue
        if fault["never_back"]:
            failures.append(f"clients never came back after the {name} fault")
        if fault["slowest_back_s"] is not None and fault["slowest_back_s"] > BACK_WITHIN_S:
            failures.append(f"a client took over {BACK_WITHIN_S:.0f} s to come back ({name})")
    if redis is not None:
        if redis["clients_dropped"] != len(clients):
            failures.append(
                f"only {redis['clients_dropped']} of {len(clients)} clients were told to "
                "reconnect when Redis lost their group"
            )
        if (
            redis["acknowledged_during_outage"] + redis["lost_with_the_killed_worker"]
            != redis["replies_during_outage"]
        ):
            failures.append("replying failed while Redis was down")
        if not redis["acknowledged_during_outage"]:
            failures.append("no reply was acknowledged while Redis was down")
    if worker is not None and not worker["clients_dropped"]:
        failures.append("no client was connected to the worker that was killed")
    return {
        "drill": "live discussion: Redis killed and an ASGI worker killed under load",
        "passed": not failures,
        "failures": failures,
        "replies": {
            "sent": len(sent),
            "acknowledged": len(acknowledged),
            "in_database": len(in_database),
            "refused": unexpected,
            "interrupted_by_worker_kill": len(interrupted),
            "seconds": _spread([item.seconds for item in sent]),
        },
        "clients": {
            "count": len(clients),
            "missing": missing,
            "doubled": doubled,
            # Received twice in all (a live frame and the catch-up crossing): pages apply each
            # post by id, so it still shows once.
            "posts_received_more_than_once": sum(
                item["received_more_than_once"] for item in per_client
            ),
            "connections": sum(item["connections"] for item in per_client),
            "refused_handshakes": sum(item["refused_handshakes"] for item in per_client),
            "gaps_filled": sum(item["gaps_filled"] for item in per_client),
            "problems": [
                item
                for item in per_client
                if item["missing"] or item["doubled"] or item["errors"] or item["gave_up"]
            ],
        },
        "redis_fault": redis,
        "worker_fault": worker,
        "conditions": {
            "duration_s": args.duration,
            "posting_s": round(posted_s, 1),
            "replies_per_s": args.rate,
            "clients": len(clients),
            "uvicorn_workers": WORKERS,
            "channel_layer": "channels_redis.core.RedisChannelLayer",
            "database": "PostgreSQL (throwaway)",
            "back_within_s": BACK_WITHIN_S,
        },
        "command": COMMAND,
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m drills.live_failures", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds of replies")
    parser.add_argument("--rate", type=float, default=3, help="replies per second")
    parser.add_argument("--clients", type=int, default=20, help="websocket clients")
    parser.add_argument(
        "--redis-kill-at", type=float, default=15, help="seconds in; a negative value skips it"
    )
    parser.add_argument("--redis-down", type=float, default=4, help="seconds before restarting")
    parser.add_argument(
        "--worker-kill-at", type=float, default=40, help="seconds in; a negative value skips it"
    )
    parser.add_argument("--settle", type=float, default=45, help="seconds allowed to catch up")
    parser.add_argument(
        "--fast-schema",
        action="store_true",
        help="create tables from the models instead of migrating (for the CI test)",
    )
    parser.add_argument("--keep-logs", metavar="FOLDER", help="copy the servers' logs here")
    args = parser.parse_args(argv)
    for name in ("redis_kill_at", "worker_kill_at"):
        if getattr(args, name) < 0:
            setattr(args, name, None)
    return args


def _stop(signum, frame) -> None:
    raise SystemExit(128 + signum)  # so that `finally` stops every server we started


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    args = parse(argv)
    if shutil.which("redis-server") is None:
        print("redis-server is not installed (apt-get install redis-server).", file=sys.stderr)
        return 2
    import pytest

    from tests.services import postgres_server

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="staffroom-drill-") as folder:
        workdir = Path(folder)
        try:
            with postgres_server() as postgres:
                return _with_postgres(args, postgres.url("postgres"), workdir, started)
        except (pytest.skip.Exception, pytest.fail.Exception) as missing:
            print(str(missing), file=sys.stderr)
            return 2
        finally:
            _procs.stop_all()
            if args.keep_logs:
                Path(args.keep_logs).mkdir(parents=True, exist_ok=True)
                for path in workdir.glob("*.log"):
                    shutil.copy(path, args.keep_logs)


def _with_postgres(args, database_url: str, workdir: Path, started: float) -> int:
    # This process only builds the trust and checks the database; the servers carry the load.
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL="",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="ERROR",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    from django.db import connection

    (workdir / "redis").mkdir()
    redis = Redis(_procs.free_port(), workdir / "redis", workdir / "redis.log")
    redis.start()
    log("migrating and seeding PostgreSQL")
    trust = seed(args.clients, fast_schema=args.fast_schema)
    connection.close()
    report = asyncio.run(drill(args, trust, redis, workdir))
    report["server_tracebacks"] = (
        (workdir / "uvicorn.log").read_text(errors="replace").count("Traceback")
    )
    report["total_s"] = round(time.monotonic() - started, 1)
    connection.close()
    print(json.dumps(report, indent=2))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

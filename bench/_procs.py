"""Child processes for benchmarks: started on free ports, always stopped.

Every process started here is stopped by `stop_all()` (called from a `finally`), and on Linux
also gets SIGTERM from the kernel if the benchmark itself dies, so nothing is left running.
"""

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

STARTUP_SECONDS = 60
_started: list[subprocess.Popen] = []
# What a bench keeps for its whole run (a PostgreSQL server, a floor's connection): closed in
# the bench's `finally`, or at exit however the bench ends.
services = ExitStack()
atexit.register(services.close)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def launch(
    command: list[str], *, env: dict[str, str], log: Path, pass_fds: tuple[int, ...] = ()
) -> subprocess.Popen:
    """Start a server without waiting for it (several can boot at once); `pass_fds` hands it
    open descriptors, such as a listening socket several processes share."""
    with open(log, "ab") as output:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
            pass_fds=pass_fds,
        )
    _started.append(process)
    return process


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-3000:]
    except OSError:
        return ""


def wait_until_listening(process: subprocess.Popen, port: int, log: Path) -> None:
    command = " ".join(str(part) for part in process.args[:4])
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited ({process.returncode}):\n{_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{command} did not listen on port {port}:\n{_tail(log)}")


def start(command: list[str], *, env: dict[str, str], log: Path, port: int) -> subprocess.Popen:
    """Start a server and wait until it listens on `port`."""
    process = launch(command, env=env, log=log)
    wait_until_listening(process, port, log)
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if process in _started:
        _started.remove(process)


def stop_all() -> None:
    for process in list(reversed(_started)):
        stop(process)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time every core of the machine has spent working so far (not idle or waiting)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def redis_command(port: int, directory: Path) -> list[str]:
    return [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--dir", str(directory),
    ]  # fmt: skip


def child_environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env


def children(pid: int) -> list[int]:
    """The process's direct children (uvicorn's and daphne's workers), from /proc."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            pass
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (processes gone since count no more)."""
    total = 0.0
    for each in [pid, *children(pid)]:
        try:
            total += cpu_seconds(each)
        except OSError:
            pass
    return total


def open_sockets(pid: int) -> int:
    """How many sockets the process holds (idle websockets land on one worker or another)."""
    count = 0
    for link in Path(f"/proc/{pid}/fd").glob("*"):
        try:
            count += os.readlink(link).startswith("socket:")
        except OSError:
            pass
    return count


def exit_on_sigterm() -> None:
    """Let SIGTERM (the runner's, on a timeout) end the bench as an exception does, so its
    `finally` blocks and exit hooks stop what it started and remove its temporary folders."""
    signal.signal(signal.SIGTERM, _exit)


def _exit(signum, frame) -> None:
    # What the bench started is stopped here first: an exception raised while Python runs a
    # finaliser is printed and ignored (seen during migrations), and the bench went on with
    # its servers. Without them it soon fails, and its `finally` blocks run then.
    stop_all()
    services.close()
    raise SystemExit(128 + signum)


def throwaway_postgres(database: str, *, bench: str) -> str:
    """A PostgreSQL server for this run, started from the installed binaries (as the tests'
    is), with an empty `database`: its URL. It stops when `services` closes; a machine
    without PostgreSQL ends the benchmark with the reason."""
    exit_on_sigterm()
    import psycopg
    import pytest

    from tests.services import postgres_server

    try:
        server = services.enter_context(postgres_server())
    except (pytest.skip.Exception, pytest.fail.Exception) as error:
        sys.exit(f"bench.{bench}: {error}")
    with psycopg.connect(server.url(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {database}")
    return server.url(database)

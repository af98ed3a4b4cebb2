"""Throwaway Redis and PostgreSQL servers for the tests that need the real thing.

Each starts from the installed binaries in a temporary directory on a free port and is
stopped at the end of the run. Outside CI a missing binary skips those tests with a note on
how to install it; with CI=true it fails the run.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

STARTUP_SECONDS = 30


def missing(what: str, how: str) -> None:
    message = f"{what} is not installed here ({how})."
    if os.environ.get("CI") == "true":
        pytest.fail(message + " CI must install it: see .ci/run.")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not start listening on port {port}")


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen
    directory: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def restart(self) -> None:
        """Stop and start again on the same port, losing everything held in memory."""
        self.stop()
        self.process = _start_redis_process(self.port, self.directory)


def _start_redis_process(port: int, directory: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            "redis-server",
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_for_port(port, process, "redis-server")
    return process


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        missing("redis-server", "apt-get install redis-server")
    with tempfile.TemporaryDirectory(prefix="staffroom-redis-") as directory:
        port = free_port()
        server = RedisServer(port, _start_redis_process(port, Path(directory)), Path(directory))
        try:
            yield server
        finally:
            server.stop()


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


@dataclass
class PostgresServer:
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{database}"


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = _postgres_bin()
    if bin_dir is None:
        missing("PostgreSQL", "apt-get install postgresql")
    # PostgreSQL refuses to run as root: run it as an unprivileged account.
    run_as: list[str] = []
    if os.geteuid() == 0:
        account = next((name for name in ("postgres", "nobody") if _has_account(name)), None)
        if account is None:
            missing("an unprivileged account for PostgreSQL", "useradd postgres")
        run_as = ["runuser", "-u", account, "--"]
    with tempfile.TemporaryDirectory(prefix="staffroom-pg-") as directory:
        data = Path(directory) / "data"
        if run_as:
            shutil.chown(directory, user=run_as[2])
        subprocess.run(
            [*run_as, str(bin_dir / "initdb"), "-D", str(data), "-U", "staffroom",
             "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"],
            check=True,
            capture_output=True,
        )  # fmt: skip
        port = free_port()
        process = subprocess.Popen(
            [*run_as, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
             "-c", "listen_addresses=127.0.0.1", "-k", directory, "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for_port(port, process, "postgres")
            _wait_until_accepting(bin_dir, port)
            yield PostgresServer(port=port, user="staffroom")
        finally:
            process.terminate()
            process.wait(timeout=20)


def _has_account(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _wait_until_accepting(bin_dir: Path, port: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        ready = subprocess.run(
            [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
            capture_output=True,
        )
        if ready.returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("PostgreSQL did not accept connections")

"""Throwaway Redis, PostgreSQL and clamd servers for the tests that need the real thing.

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


@dataclass
class ClamdServer:
    port: int
    process: subprocess.Popen
    directory: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def clamd_signatures(directory: Path, known_bad: dict[str, bytes], body: dict[str, bytes]) -> None:
    """The project's own signature database, in place of the public one (which cannot be
    downloaded here): `sigtool --md5` lines (whole-file MD5, size, name) for each known-bad
    file, and body signatures (hex content, matched anywhere in a file) for each pattern."""
    if shutil.which("sigtool") is None:
        missing("sigtool", "apt-get install clamav")
    hashes = []
    for name, content in known_bad.items():
        sample = directory / "sample"
        sample.write_bytes(content)
        line = subprocess.run(
            ["sigtool", "--md5", str(sample)], check=True, capture_output=True, text=True
        ).stdout.strip()
        digest, size, _ = line.split(":", 2)
        hashes.append(f"{digest}:{size}:{name}\n")
        sample.unlink()
    # clamd refuses an empty database file, so each is written only when it has lines.
    if hashes:
        (directory / "staffroom.hdb").write_text("".join(hashes))
    if body:
        (directory / "staffroom.ndb").write_text(
            "".join(f"{name}:0:*:{pattern.hex()}\n" for name, pattern in body.items())
        )


def clamd_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"zPING\0")
            return sock.recv(16).startswith(b"PONG")
    except OSError:
        return False


@contextmanager
def clamd_server(
    known_bad: dict[str, bytes], body: dict[str, bytes], stream_max_bytes: int
) -> Iterator[ClamdServer]:
    """clamd on a free port, loading only the signatures given; ready once it answers PONG."""
    # /usr/sbin is not on every account's PATH.
    clamd = shutil.which("clamd") or shutil.which("clamd", path="/usr/sbin")
    if clamd is None:
        missing("clamd", "apt-get install clamav-daemon")
    with tempfile.TemporaryDirectory(prefix="staffroom-clamd-") as name:
        directory = Path(name)
        clamd_signatures(directory, known_bad, body)
        port = free_port()
        account = pwd.getpwuid(os.geteuid()).pw_name
        config = directory / "clamd.conf"
        config.write_text(
            "\n".join(
                [
                    "Foreground yes",
                    f"TCPSocket {port}",
                    "TCPAddr 127.0.0.1",
                    f"DatabaseDirectory {directory}",
                    f"User {account}",
                    "Bytecode no",
                    f"StreamMaxLength {stream_max_bytes}",
                    f"MaxFileSize {stream_max_bytes}",
                    f"MaxScanSize {stream_max_bytes * 4}",
                    f"LogFile {directory / 'clamd.log'}",
                    "",
                ]
            )
        )
        process = subprocess.Popen(
            [clamd, "--config-file", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        server = ClamdServer(port, process, directory)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while not clamd_ping(port):
                if process.poll() is not None:
                    log = (directory / "clamd.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"clamd exited with code {process.returncode}: {log}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"clamd did not answer PING on port {port}")
                time.sleep(0.1)
            yield server
        finally:
            server.stop()

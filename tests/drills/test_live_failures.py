"""Drill: Redis killed mid-discussion and an ASGI worker killed under the same load, run end to
end by drills/live_failures.py against real servers (PostgreSQL, Redis, uvicorn with two
workers) and twenty websocket clients that behave like the thread page.

CI runs a shorter drill (24 s of replies, Redis killed at 4 s, a worker at 14 s); the full one
is the script's default: `PYTHONPATH=site:. .venv/bin/python -m drills.live_failures`.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import missing

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.timeout(900)]


def test_no_acknowledged_reply_is_lost_or_doubled_when_redis_and_a_worker_die(tmp_path):
    if shutil.which("redis-server") is None:
        missing("redis-server", "apt-get install redis-server")
    env = dict(os.environ)
    env.update(PYTHONPATH=f"{ROOT / 'site'}{os.pathsep}{ROOT}")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    finished = subprocess.run(
        [
            sys.executable, "-m", "drills.live_failures", "--fast-schema",
            "--duration", "24", "--redis-kill-at", "4", "--redis-down", "3",
            "--worker-kill-at", "14", "--keep-logs", str(tmp_path),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
    )  # fmt: skip
    if finished.returncode == 2:  # the drill found no PostgreSQL to start
        missing("PostgreSQL", finished.stderr.strip()[-300:])
    assert finished.returncode in (0, 1), finished.stderr[-3000:]
    report = json.loads(finished.stdout)

    assert report["failures"] == [], json.dumps(report, indent=2)
    assert report["passed"] is True
    assert finished.returncode == 0
    replies, clients = report["replies"], report["clients"]
    assert replies["acknowledged"] >= 0.75 * replies["sent"]
    assert replies["in_database"] == replies["acknowledged"]
    assert replies["refused"] == []
    assert (clients["count"], clients["missing"], clients["doubled"]) == (20, 0, 0)

    redis = report["redis_fault"]
    assert redis["clients_dropped"] == 20
    assert redis["never_back"] == []
    assert redis["slowest_back_s"] <= 30
    assert redis["acknowledged_during_outage"] >= 1
    assert (
        redis["acknowledged_during_outage"] + redis["lost_with_the_killed_worker"]
        == redis["replies_during_outage"]
    )

    worker = report["worker_fault"]
    assert worker["clients_dropped"] >= 1
    assert worker["never_back"] == []
    assert worker["slowest_back_s"] <= 30

"""Drill: the documented backup (pg_dump and a media archive) restored into a fresh database
and folder matches the original in every table's rows and every file's hash."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import _postgres_bin, missing

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


def test_a_restored_backup_matches_the_original():
    if _postgres_bin() is None:
        missing("PostgreSQL", "apt-get install postgresql")
    result = subprocess.run(
        [sys.executable, "-m", "drills.backup_restore", "--resources", "20"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'site'}:{ROOT}"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    summary = json.loads(result.stdout)
    assert summary["restored_matches"], summary["compare_output"]
    assert summary["tampering_noticed"]
    assert summary["files"] >= 20
    assert summary["rows"] > 1_000

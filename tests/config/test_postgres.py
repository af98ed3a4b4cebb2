"""The suites whose behaviour can differ between databases, run again on a real
PostgreSQL server (case-insensitive email uniqueness, JSON fields, migrations)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
SUITES_THAT_TOUCH_THE_DATABASE_DIFFERENTLY = [
    "tests/people",
    "tests/forums/test_notifications.py",
    "tests/audit",
    "tests/cms",
    "tests/config/test_health.py",
    "tests/config/test_idempotency.py",
    "tests/networks/test_services.py",
    "tests/resources/test_browse.py",
    "tests/resources/test_selectors.py",
    "tests/resources/test_curriculum_map.py",
    "tests/search/test_contract.py",
    "tests/search/test_database.py",
    "tests/search/test_columns.py",
    # Writers that commit out of order, which SQLite's single writer never does.
    "tests/search/test_matches.py",
    "tests/search/test_concurrent_reindex.py",
    # Ids chosen by the generator, then PostgreSQL's sequences moved past them.
    "tests/bench/test_seed.py",
    # PostgreSQL refuses NULs and 64-bit overflows where SQLite shrugs: hostile input again.
    "tests/security/test_fuzz_http.py",
]

pytestmark = pytest.mark.postgres


# The suites run again in full (about ten minutes, more on a busy machine).
@pytest.mark.timeout(1800)
def test_the_database_suites_pass_on_postgresql(postgres_server):
    environment = {**os.environ, "DATABASE_URL": postgres_server.url("staffroom")}
    suites = [
        suite
        for suite in SUITES_THAT_TOUCH_THE_DATABASE_DIFFERENTLY
        if (REPOSITORY / suite).exists()
    ]

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-m", "not browser and not redis and not postgres and not elasticsearch", *suites],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=1800,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout

"""Workers reindexing the same records at the same moment (two saves of one resource, a
replay beside a save) take turns: no unique-key error, and each record ends with exactly one
row, one row of words and its side rows, holding what the last writer sent.

Runs on PostgreSQL through tests/config/test_postgres.py, and on a file-based SQLite database
in a subprocess of its own (pytest-django's SQLite test database is otherwise in memory)."""

import os
import random
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from search.backends.database import DISPLAY_TABLE, TEXT_TABLE, DatabaseBackend, dialect
from search.models import IndexedAudience, IndexedPrinciple, IndexedRecord
from search.query import SearchRequest
from search.records import STAFF, SearchRecord

REPOSITORY = Path(__file__).resolve().parents[2]
FILE_DATABASE = "STAFFROOM_TEST_SQLITE_FILE"
RECORDS = 30
WORKERS = 6
ROUNDS = 4

if os.environ.get(FILE_DATABASE):

    @pytest.fixture(scope="session")
    def django_db_modify_db_settings() -> None:
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ[FILE_DATABASE]
        # Tables straight from the models, as --nomigrations would, in seconds; search keeps
        # its migrations, which make the full-text tables the models cannot.
        settings.MIGRATION_MODULES = {
            app.label: None for app in apps.get_app_configs() if app.label != "search"
        }


def resource(pk: int, title: str) -> SearchRecord:
    return SearchRecord(
        kind="resource",
        pk=pk,
        title=title,
        url=f"/resources/{pk}/",
        body=f"Fractions lesson {pk}",
        audience=(STAFF, "network:4"),
        principles=(7,),
    )


def rows_in(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # nosec B608: a constant name
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_workers_reindexing_the_same_records_at_once_leave_one_row_each():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Its shared cache locks whole tables without waiting; the file-based run below and
        # the PostgreSQL run are where writers truly collide.
        pytest.skip("SQLite's in-memory test database cannot hold two writers at once")
    # The words tables are not models, so an earlier transactional test's flush left its
    # words behind (the backend replaces them when an id comes back): start from none.
    with connection.cursor() as cursor:
        dialect().delete_text(cursor, None)
    backend = DatabaseBackend()
    backend.index([resource(pk, "First draft") for pk in range(1, RECORDS + 1)])
    start = threading.Barrier(WORKERS)
    failures: list[BaseException] = []
    last_titles: dict[int, set[str]] = {pk: set() for pk in range(1, RECORDS + 1)}

    def reindex(worker: int) -> None:
        # Each worker sends the records in its own order, so the two orders cross.
        order = random.Random(worker).sample(range(1, RECORDS + 1), RECORDS)
        try:
            start.wait()
            for round_ in range(ROUNDS):
                title = f"Round {round_} from worker {worker}"
                backend.index([resource(pk, title) for pk in order])
            for pk in order:
                last_titles[pk].add(f"Round {ROUNDS - 1} from worker {worker}")
        except BaseException as error:  # noqa: BLE001 (reported below)
            failures.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=reindex, args=(n,)) for n in range(WORKERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    assert failures == []
    records = dict(IndexedRecord.objects.values_list("object_pk", "title"))
    assert sorted(records) == list(range(1, RECORDS + 1))
    assert all(records[pk] in last_titles[pk] for pk in records)
    assert rows_in(TEXT_TABLE) == RECORDS
    if connection.vendor == "postgresql":
        assert rows_in(DISPLAY_TABLE) == RECORDS
    assert IndexedAudience.objects.count() == RECORDS
    assert IndexedPrinciple.objects.count() == RECORDS
    found = backend.search(SearchRequest(terms=("fractions",), page_size=50), None)
    assert sorted(hit.pk for hit in found.hits) == list(range(1, RECORDS + 1))


def test_the_same_race_on_a_file_based_sqlite_database():
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL run covers its own database")
    with tempfile.TemporaryDirectory(prefix="staffroom-sqlite-") as directory:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             f"{Path(__file__).relative_to(REPOSITORY)}::"
             "test_workers_reindexing_the_same_records_at_once_leave_one_row_each"],
            cwd=REPOSITORY,
            env={**os.environ, FILE_DATABASE: str(Path(directory) / "race.sqlite3"),
                 "DATABASE_URL": f"sqlite:///{Path(directory) / 'staffroom.sqlite3'}"},
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout

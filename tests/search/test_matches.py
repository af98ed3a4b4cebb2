"""The ids matching a common word (or every id), kept per process and brought up to date by
each search: what is written, changed or removed in that time counts at once.

These run outside a test transaction (as a server does), so the kept sets are the ones used;
a set counts as large here from three ids."""

import threading

import pytest
from django.db import connection, transaction

from search.backends import columns, matches
from search.backends.database import DatabaseBackend, dialect
from search.query import SearchRequest
from search.records import STAFF
from tests.search.conftest import staff_resource as record

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def small_sets(monkeypatch):
    monkeypatch.setattr(matches, "LARGE", 3)
    matches.forget()
    columns.forget()
    yield
    matches.forget()
    columns.forget()


@pytest.fixture
def reads(monkeypatch) -> list[int]:
    """The `after` of every read of matching ids (or of every id): 0 is a whole read."""
    made: list[int] = []
    engine = type(dialect())
    matched, every = engine.matched_ids, engine.every_id

    def counted_matches(self, cursor, groups, after=0):
        made.append(after)
        return matched(self, cursor, groups, after)

    def counted_every(self, cursor, after=0):
        made.append(after)
        return every(self, cursor, after)

    monkeypatch.setattr(engine, "matched_ids", counted_matches)
    monkeypatch.setattr(engine, "every_id", counted_every)
    return made


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(matches.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def backend() -> DatabaseBackend:
    return DatabaseBackend()


def search(
    backend: DatabaseBackend, audience=(STAFF,), terms=("fractions",)
) -> tuple[int, dict, list[int]]:
    results = backend.search(SearchRequest(terms=terms, page_size=50), audience)
    subjects = {count.value: count.count for count in results.facets["subject"]}
    return results.total, subjects, sorted(hit.pk for hit in results.hits)


def test_a_large_set_is_read_whole_once_then_only_what_was_written_since(backend, reads):
    backend.index([record(pk, "Fractions wall", subject=1) for pk in (1, 2, 3)])
    assert search(backend) == (3, {1: 3}, [1, 2, 3])
    assert search(backend) == (3, {1: 3}, [1, 2, 3])
    assert reads == [0]  # nothing written: nothing read again

    backend.index([record(4, "Fractions games", subject=2), record(5, "Decimals", subject=2)])
    assert search(backend) == (4, {1: 3, 2: 1}, [1, 2, 3, 4])
    assert len(reads) == 2 and reads[1] > 0  # only ids written since


def test_changed_and_removed_records_count_at_once(backend, reads):
    backend.index([record(pk, "Fractions wall", subject=1) for pk in (1, 2, 3, 4)])
    assert search(backend) == (4, {1: 4}, [1, 2, 3, 4])
    # One network turns private (the record is written again for its members only), one
    # resource changes subject and one is removed.
    backend.index(
        [
            record(2, "Fractions wall", subject=1, audience=("network:9",)),
            record(3, "Fractions wall", subject=5),
        ]
    )
    backend.delete(["resource:4"])
    assert search(backend) == (2, {1: 1, 5: 1}, [1, 3])
    assert search(backend, audience=(STAFF, "network:9")) == (3, {1: 2, 5: 1}, [1, 2, 3])
    assert reads[0] == 0 and all(after > 0 for after in reads[1:])


def test_a_kept_set_is_read_whole_again_after_five_minutes(backend, reads, clock):
    backend.index([record(pk, "Fractions wall") for pk in (1, 2, 3)])
    search(backend)
    clock[0] += matches.KEEP_SECONDS + 0.1
    search(backend)
    assert reads == [0, 0]


def test_a_search_with_no_words_keeps_every_id_the_same_way(backend, reads):
    backend.index([record(pk, "Fractions wall") for pk in (1, 2, 3)])
    assert search(backend, terms=())[0] == 3
    backend.index([record(4, "Decimals"), record(2, "Fractions wall", subject=5)])
    backend.delete(["resource:3"])
    assert search(backend, terms=()) == (3, {5: 1}, [1, 2, 4])
    assert reads[0] == 0 and len(reads) == 2 and reads[1] > 0


def test_a_write_that_commits_after_a_later_one_was_seen_still_counts(backend, reads, clock):
    """Two writers at once on PostgreSQL: the first numbers its record, the second numbers a
    later one and commits first, a search sees the later one, then the first commits."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time, so its ids commit in order")
    backend.index([record(pk, "Fractions wall") for pk in (1, 2, 3)])
    assert search(backend)[0] == 3
    numbered, finish = threading.Event(), threading.Event()

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                backend.index([record(4, "Fractions games")])
                numbered.set()
                finish.wait(30)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert numbered.wait(30)
    backend.index([record(5, "Fractions cards")])
    assert search(backend)[2] == [1, 2, 3, 5]
    clock[0] += matches.SETTLE_SECONDS / 2
    assert search(backend)[2] == [1, 2, 3, 5]
    finish.set()
    writer.join(30)
    # The update that first saw the later record is now settled; the late write still counts.
    clock[0] += matches.SETTLE_SECONDS / 2 + 2
    assert search(backend)[2] == [1, 2, 3, 4, 5]
    assert search(backend)[2] == [1, 2, 3, 4, 5]
    assert reads[0] == 0 and all(after > 0 for after in reads[1:])


def test_a_rebuild_starts_every_kept_set_again(backend, reads):
    backend.index([record(pk, "Fractions wall") for pk in (1, 2, 3)])
    assert search(backend)[0] == 3
    backend.rebuild([record(pk, "Fractions wall") for pk in (1, 2, 3, 6)])
    assert search(backend) == (4, {}, [1, 2, 3, 6])
    assert reads == [0, 0]


def test_removals_no_longer_remembered_make_a_whole_read(backend, reads, monkeypatch):
    monkeypatch.setattr(matches, "REMOVALS_KEPT", 1)
    backend.index([record(pk, "Fractions wall") for pk in (1, 2, 3, 4, 5)])
    assert search(backend)[0] == 5
    backend.delete(["resource:1"])
    backend.delete(["resource:2"])
    backend.delete(["resource:3"])  # the first two removals are forgotten
    assert search(backend) == (2, {}, [4, 5])
    assert reads == [0, 0]


def test_small_sets_are_read_whole_each_time(backend, reads, monkeypatch):
    # (Words a flushed test database leaves behind make the sets here a little larger.)
    monkeypatch.setattr(matches, "LARGE", 1_000)
    backend.index([record(1, "Fractions wall"), record(2, "Fractions games")])
    search(backend)
    search(backend)
    assert reads == [0, 0]


def test_searches_in_a_transaction_read_whole_sets_and_keep_nothing(backend, reads):
    backend.index([record(pk, "Fractions wall") for pk in (1, 2, 3)])
    with transaction.atomic():
        search(backend)
        search(backend)
    assert reads == [0, 0]
    assert not matches._held


def test_the_longest_unused_set_goes_first_when_too_many_ids_are_held(backend, reads, monkeypatch):
    monkeypatch.setattr(matches, "HELD_IDS", 5)
    backend.index([record(pk, "Fractions wall") for pk in (1, 2, 3)])
    backend.index([record(pk, "Decimals wall") for pk in (4, 5, 6)])
    search(backend, terms=("fractions",))
    search(backend, terms=("decimals",))  # six ids held: fractions' set goes
    search(backend, terms=("decimals",))
    search(backend, terms=("fractions",))
    assert reads == [0, 0, 0]

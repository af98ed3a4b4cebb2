"""The database backend's in-memory facet columns, shared by the searches of one process.

These run outside a test transaction (as a server does), so the shared cache is the one
used; inside a transaction the backend reads a private copy instead."""

import numpy as np
import pytest
from django.db import connection

from search.backends import columns
from search.backends.database import DatabaseBackend, dialect
from search.models import IndexedRecord
from search.query import Filters, SearchRequest
from search.records import STAFF
from tests.search.conftest import staff_resource as record

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_cache():
    columns.forget()
    yield
    columns.forget()


@pytest.fixture
def backend() -> DatabaseBackend:
    return DatabaseBackend()


def subjects(backend: DatabaseBackend, *terms: str, audience=(STAFF,)) -> tuple[int, dict]:
    results = backend.search(SearchRequest(terms=terms), audience)
    return results.total, {count.value: count.count for count in results.facets["subject"]}


def test_a_search_outside_a_transaction_uses_the_shared_columns(backend):
    backend.index([record(1, "Fraction wall", subject=1), record(2, "Fraction games", subject=2)])
    assert subjects(backend, "fractions") == (2, {1: 1, 2: 1})
    held = columns._shared
    assert held.generation is not None
    assert sorted(held["id"].tolist()) == sorted(IndexedRecord.objects.values_list("id", flat=True))
    subjects(backend, "fractions")
    assert columns._shared is held  # nothing new: nothing read again


def test_new_records_are_counted_as_soon_as_they_are_indexed(backend):
    backend.index([record(1, "Fraction wall", subject=1)])
    assert subjects(backend, "fractions") == (1, {1: 1})
    backend.index([record(2, "Fractions games", subject=2, principles=(7,))])
    assert subjects(backend, "fractions") == (2, {1: 1, 2: 1})
    results = backend.search(SearchRequest(terms=("fractions",)), (STAFF,))
    assert [(count.value, count.count) for count in results.facets["principle"]] == [(7, 1)]


def test_a_changed_record_is_counted_with_its_new_values_and_audience(backend):
    backend.index([record(1, "Fraction wall", subject=1), record(2, "Fraction games", subject=1)])
    assert subjects(backend, "fractions") == (2, {1: 2})
    # The network turns private: the record is indexed again for its members only.
    backend.index([record(2, "Fractions games", subject=3, audience=("network:4",))])
    assert subjects(backend, "fractions") == (1, {1: 1})
    assert subjects(backend, "fractions", audience=(STAFF, "network:4")) == (2, {1: 1, 3: 1})


def test_deleted_records_are_not_counted(backend):
    backend.index([record(1, "Fraction wall", subject=1), record(2, "Fraction games", subject=2)])
    assert subjects(backend, "fractions")[0] == 2
    backend.delete(["resource:2"])
    assert subjects(backend, "fractions") == (1, {1: 1})
    assert subjects(backend) == (1, {1: 1})  # no words: every record


def test_a_rebuild_starts_every_process_cache_again(backend):
    backend.index([record(pk, f"Fractions {pk}", subject=1) for pk in range(1, 6)])
    subjects(backend, "fractions")
    before = columns._shared.generation
    backend.rebuild([record(pk, f"Fractions {pk}", subject=2) for pk in range(1, 4)])
    assert subjects(backend, "fractions") == (3, {2: 3})
    assert columns._shared.generation != before
    assert len(columns._shared["id"]) == 3  # the replaced rows are not kept


def test_an_emptied_index_whose_ids_are_reused_is_read_again(backend):
    backend.index([record(1, "Fraction wall", subject=1)])
    assert subjects(backend, "fractions") == (1, {1: 1})
    # Emptied by hand (or `flush`), with the id sequence reset: the next row reuses id 1.
    with connection.cursor() as cursor:
        words = ["search_indexed_text"]
        if connection.vendor == "sqlite":
            words.append("search_indexed_title")
        for table in [*words, "search_indexed_record"]:
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("DELETE FROM search_index_state")
        if connection.vendor == "sqlite":
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = 'search_indexed_record'")
    backend.index([record(5, "Fractions games", subject=9)])
    assert subjects(backend, "fractions") == (1, {9: 1})


def test_a_row_committed_below_the_ids_already_held_is_read(backend):
    # On PostgreSQL two transactions can commit their ids out of order.
    backend.index([record(pk, f"Fractions {pk}", subject=pk) for pk in range(1, 4)])
    subjects(backend, "fractions")
    held = columns._shared
    middle = int(np.sort(held["id"])[1])
    kept = held["id"] != middle
    columns._shared = columns.Columns(
        held.generation,
        {
            name: values if name.startswith("principle") else values[kept]
            for name, values in held.arrays.items()
        },
        held.codes,
    )
    assert subjects(backend, "fractions") == (3, {1: 1, 2: 1, 3: 1})
    assert middle in columns._shared["id"].tolist()


def test_filters_and_facets_count_from_the_shared_columns(backend):
    backend.index(
        [
            record(1, "Fraction wall", subject=1, year_groups=("y3",), resource_type="worksheet"),
            record(2, "Fractions games", subject=1, year_groups=("y8",), resource_type="game"),
            record(3, "Fractions quiz", subject=2, year_groups=("y4",), endorsed=True),
        ]
    )
    request = SearchRequest(terms=("fractions",), filters=Filters(subject=frozenset({1})))
    results = backend.search(request, (STAFF,))
    assert results.total == 2
    facets = {facet: {c.value: c.count for c in counts} for facet, counts in results.facets.items()}
    assert facets["subject"] == {1: 2, 2: 1}  # its own filter left out
    assert facets["resource_type"] == {"worksheet": 1, "game": 1}
    assert facets["year_group"] == {"y3": 1, "y8": 1}


def test_rows_of_records_indexed_again_do_not_pile_up(backend, monkeypatch):
    monkeypatch.setattr(columns, "MINIMUM_CHECK", 4)
    backend.index([record(pk, f"Fractions {pk}", subject=1) for pk in range(1, 5)])
    subjects(backend, "fractions")
    for _ in range(3):  # each post re-indexes its thread under a new id
        for pk in range(1, 5):
            backend.index([record(pk, f"Fractions {pk}", subject=2)])
            assert subjects(backend, "fractions")[0] == 4
    assert len(columns._shared["id"]) <= 4 * columns.GROWTH
    assert subjects(backend, "fractions") == (4, {2: 4})


def test_words_left_without_a_record_are_not_read_for_at_every_search(backend):
    backend.index([record(1, "Fraction wall", subject=1)])
    # Words whose record row is gone, as a table emptied by hand (or a test's flush) leaves.
    orphan = 10_000
    with connection.cursor() as cursor:
        dialect().insert_text(cursor, [(orphan, "Fractions left behind", "", "", "", "", "")])
    assert subjects(backend, "fractions") == (1, {1: 1})
    held = columns._shared
    assert orphan in held.absent.tolist()
    assert subjects(backend, "fractions") == (1, {1: 1})
    assert columns._shared is held  # nothing read again

"""The database backend's own promises, beyond the contract every backend keeps."""

import dataclasses
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from search.backends.database import REBUILD_BATCH_SIZE, DatabaseBackend, text_groups
from search.query import Filters, SearchRequest
from search.records import SearchRecord
from tests.search.conftest import Trust


@pytest.fixture
def backend() -> DatabaseBackend:
    return DatabaseBackend()


@pytest.fixture
def indexed(backend: DatabaseBackend, trust: Trust) -> Trust:
    backend.rebuild(trust.records)
    return trust


def record(pk: int, title: str, **fields) -> SearchRecord:
    return SearchRecord(kind="resource", pk=pk, title=title, url=f"/r/{pk}/", **fields)


def found(backend: DatabaseBackend, *terms: str, audience=None) -> list[int]:
    results = backend.search(SearchRequest(terms=terms, page_size=50), audience)
    return [hit.pk for hit in results.hits]


def test_the_words_table_is_fts5_on_sqlite_and_a_tsvector_on_postgresql(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE name IN "
                "('search_indexed_text', 'search_indexed_title') ORDER BY name"
            )
            text, title = (row[0] for row in cursor.fetchall())
            assert "fts5" in text and "porter unicode61 remove_diacritics 2" in text
            assert "fts5" in title and "porter" not in title
        else:
            cursor.execute(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = 'search_indexed_text' AND column_name = 'document'"
            )
            assert cursor.fetchone()[0] == "tsvector"
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'search_indexed_text' "
                "AND indexname = 'search_indexed_text_document'"
            )
            assert "gin" in cursor.fetchone()[0].lower()
            # Ranking a common word reads every match's row: the words table holds no text.
            cursor.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_name IN ('search_indexed_text', 'search_indexed_display_text') "
                "ORDER BY table_name, ordinal_position"
            )
            columns: dict[str, list[str]] = {}
            for table, column in cursor.fetchall():
                columns.setdefault(table, []).append(column)
            shown = ["id", "title", "summary", "tags", "curriculum", "body"]
            assert columns == {
                "search_indexed_text": ["id", "document", "title_words"],
                "search_indexed_display_text": shown,
            }


def test_a_term_is_expanded_with_its_synonyms_several_words_as_a_phrase():
    groups = text_groups(SearchRequest(terms=("ks2", "fractions"), phrases=(("year", "6"),)))
    assert groups[0][:2] == [("ks2",), ("key", "stage", "2")]
    assert groups[1] == [("fractions",)]
    assert groups[2][:2] == [("year", "6"), ("y6",)]


def test_terms_given_straight_to_the_backend_are_still_only_words(backend, db):
    backend.index([record(1, "Fractions of amounts", body='He said "NEAR" (twice) *loudly*')])
    hostile = ('"', "fractions OR", "x*", "NEAR(", "title:", "'); DROP TABLE x; --", "")
    for term in hostile:
        results = backend.search(SearchRequest(terms=(term,)), None)
        assert results.total in (0, 1)
    assert found(backend, 'fractions"') == [1]
    assert found(backend, "near") == [1]


def test_a_rebuild_that_fails_part_way_leaves_the_old_index(backend, db):
    backend.rebuild([record(1, "Fractions of amounts"), record(2, "Fraction walls")])

    def failing():
        yield record(3, "Photosynthesis")
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        backend.rebuild(failing())
    assert sorted(found(backend, "fraction")) == [1, 2]
    assert found(backend, "photosynthesis") == []
    assert backend.counts()["resource"] == 2


def test_a_rebuild_reports_its_running_total_after_each_batch(backend, db):
    told: list[int] = []
    batch = REBUILD_BATCH_SIZE
    records = [record(pk, f"Worksheet {pk}") for pk in range(1, 2 * batch + 203)]
    assert backend.rebuild(records, progress=told.append) == 2 * batch + 202
    assert told == [batch, 2 * batch, 2 * batch + 202]
    assert backend.counts()["resource"] == 2 * batch + 202


def test_a_record_given_twice_to_a_rebuild_is_indexed_once_as_given_last(backend, db):
    records = [record(pk, f"Worksheet {pk}") for pk in range(1, REBUILD_BATCH_SIZE + 2)]
    records.append(record(1, "Photosynthesis"))

    assert backend.rebuild(records) == REBUILD_BATCH_SIZE + 2

    assert backend.counts()["resource"] == REBUILD_BATCH_SIZE + 1
    assert found(backend, "photosynthesis") == [1]
    backend.index([record(REBUILD_BATCH_SIZE + 5, "Photosynthesis again")])
    assert sorted(found(backend, "photosynthesis")) == [1, REBUILD_BATCH_SIZE + 5]


def test_a_search_costs_the_same_queries_however_many_it_finds(backend, db):
    backend.index(record(pk, f"Fractions worksheet {pk}", principles=(1,)) for pk in range(1, 60))
    backend.index([record(100, "Photosynthesis organiser", principles=(1,))])
    filters = Filters(principle=frozenset({1}), kind=frozenset({"resource"}))
    counts = []
    for terms in (("fractions",), ("photosynthesis",), (), ("nothing",)):
        with CaptureQueriesContext(connection) as queries:
            backend.search(SearchRequest(terms=terms, filters=filters), ("staff",))
        counts.append(len(queries))
    # Inside a transaction (as here) the facet columns are read afresh: the index state, the
    # rows and the principles; then the matching ids, the page with its records, their
    # highlights.
    assert counts[0] == counts[1] == 6
    assert counts[2] == 5  # nothing to highlight
    assert counts[3] == 4  # nothing found: no page


def test_stale_words_under_a_reused_id_never_show(backend, db):
    backend.index([record(1, "Fractions of amounts")])
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_indexed_record")  # as a test database flush does
    backend.index([record(2, "Photosynthesis organiser")])
    assert found(backend, "fractions") == []
    assert found(backend, "photosynthesis") == [2]


def test_highlight_markers_typed_into_a_document_are_not_marks(backend, db):
    backend.index([record(1, "Fractions \x02of\x03 amounts", summary="Use \x02 and \x03.")])
    (hit,) = backend.search(SearchRequest(terms=("amounts",)), None).hits
    assert hit.title_html == "Fractions  of  <mark>amounts</mark>"
    (plain,) = backend.search(SearchRequest(), None).hits
    assert "<mark>" not in plain.snippet


def test_accents_are_folded_and_other_scripts_are_words(backend, db):
    backend.index(
        [
            record(1, "Café culture in Year 9 French"),
            record(2, "الكسور للصف الرابع"),
        ]
    )
    assert found(backend, "cafe") == [1]
    assert found(backend, "الكسور") == [2]


def test_re_indexing_a_record_keeps_one_copy(backend, indexed):
    first = indexed.records[0]
    backend.index([first, dataclasses.replace(first, title="Renamed")])
    assert sum(backend.counts().values()) == len(indexed.records)
    assert backend.search(SearchRequest(terms=("renamed",)), None).total == 1


def test_on_postgresql_a_record_leaves_its_words_and_display_text_together(backend, db):
    if connection.vendor != "postgresql":
        pytest.skip("the display text has its own table only on PostgreSQL")

    def rows() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT COUNT(*) FROM search_indexed_text), "
                "(SELECT COUNT(*) FROM search_indexed_display_text)"
            )
            return cursor.fetchone()

    first = record(1, "Fractions of amounts", body="Halves and quarters of a number line")
    backend.index([first, record(2, "Fraction walls")])
    backend.index([dataclasses.replace(first, title="Fractions of quantities")])
    assert rows() == (2, 2)
    (hit,) = backend.search(SearchRequest(terms=("quantities",)), None).hits
    assert hit.title_html == "Fractions of <mark>quantities</mark>"
    (hit,) = backend.search(SearchRequest(terms=("quarters",)), None).hits
    assert "<mark>quarters</mark>" in hit.snippet
    backend.delete([first.key])
    assert rows() == (1, 1)
    backend.rebuild([record(3, "Photosynthesis")])
    assert rows() == (1, 1)


def related(backend: DatabaseBackend, pk: int, limit: int = 10) -> list[int]:
    return [hit.pk for hit in backend.more_like_this(f"resource:{pk}", None, limit)]


def test_related_resources_share_a_topic_not_only_a_year_group(backend, db):
    year_9 = {"year_groups": ("y9",), "key_stages": ("ks3",), "curriculum": "Year 9 Y9 KS3"}
    backend.index(
        [
            record(1, "Normans: knowledge organiser for Year 9", **year_9),
            record(2, "Photosynthesis quiz for Year 9", **year_9),
            record(3, "Normans: castles worksheet", year_groups=("y4",), key_stages=("ks2",)),
        ]
    )
    assert related(backend, 1) == [3]


def test_related_resources_in_the_same_key_stage_come_first(backend, db):
    backend.index(
        [
            record(1, "Normans castles", key_stages=("ks3",)),
            # Newer and otherwise the same: only the key stage tells them apart.
            record(2, "Normans castles", key_stages=("ks2",)),
            record(3, "Normans castles", key_stages=("ks3", "ks4")),
        ]
    )
    assert related(backend, 1) == [3, 2]


def test_a_passing_mention_in_a_file_does_not_make_a_resource_related(backend, db):
    backend.index(
        [
            record(1, "Normans castles"),
            record(2, "Cold war timeline", body="Unlike the Normans castles of 1066…"),
            record(3, "Castles of Wales", summary="Built after the Normans."),
        ]
    )
    assert related(backend, 1) == [3]


def test_related_resources_are_ranked_among_the_newest_that_share_a_word(backend, db, monkeypatch):
    # Ranking every match of a common word costs too much in a big trust: a bounded window
    # of the newest readable matches is ranked instead. Newest is the last indexed on SQLite
    # and the last published on PostgreSQL (each in its index's order): here they agree.
    monkeypatch.setattr("search.backends.database.LIKE_WINDOW", 2)
    older, newer = datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
    backend.index([record(1, "Fractions wall", tags=("fractions", "wall"), published_at=older)])
    backend.index(
        [record(2, "Fractions wall display", tags=("fractions", "wall"), published_at=older)]
    )
    backend.index([record(pk, "Fractions", published_at=newer) for pk in (3, 4)])
    assert sorted(related(backend, 1)) == [3, 4]
    monkeypatch.setattr("search.backends.database.LIKE_WINDOW", 10)
    assert related(backend, 1)[0] == 2


def test_beyond_the_tier_the_newest_matches_are_ranked_first_then_the_older(
    backend, db, monkeypatch
):
    # Ranking every match of a word on most records cost most of a search in a big trust.
    monkeypatch.setattr("search.backends.database.RANK_TIER", 3)
    strong = "Fractions fractions fractions"
    backend.index(
        [record(pk, strong if pk % 2 else "Worksheet", body="fractions") for pk in range(1, 8)]
    )
    everything = backend.search(SearchRequest(terms=("fractions",), page_size=50), None)
    order = [hit.pk for hit in everything.hits]
    # The newest three (5 to 7) by relevance, then the older four by relevance; ties by key.
    assert order == [5, 7, 6, 1, 3, 2, 4]
    assert everything.total == 7
    # Pages of two, one of them across the tiers' edge, give the same order without a gap.
    paged = []
    for page in (1, 2, 3, 4):
        request = SearchRequest(terms=("fractions",), page=page, page_size=2)
        paged += [hit.pk for hit in backend.search(request, None).hits]
    assert paged == order
    # Below the tier, every match is ranked together.
    monkeypatch.setattr("search.backends.database.RANK_TIER", 10)
    assert found(backend, "fractions") == [1, 3, 5, 7, 2, 4, 6]


def test_a_word_deep_in_a_long_body_is_marked_in_the_snippet(backend, db):
    # PostgreSQL cuts the snippet from a window around the first searched word (parsing a
    # whole long thread cost 10 ms a hit); the window must still hold the word.
    filler = "Pupils practised their times tables in pairs before the plenary. " * 400
    body = filler + "Then Ms Okafor modelled photosynthesis with a leaf under glass. " + filler
    backend.index([record(1, "Year 5 science week", body=body)])
    for typed in ("photosynthesis", "Photosynthesis"):
        (hit,) = backend.search(SearchRequest(terms=(typed,)), None).hits
        assert "<mark>photosynthesis</mark>" in hit.snippet.lower()
        assert "modelled" in hit.snippet
        assert not hit.snippet.startswith("Pupils practised")
    # A word found only in another form ("pairs" for "pairing") starts from the beginning.
    (hit,) = backend.search(SearchRequest(terms=("pairing",)), None).hits
    assert "<mark>pairs</mark>" in hit.snippet

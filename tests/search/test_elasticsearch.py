"""The Elasticsearch backend: the exact index, bulk and query bodies it sends (no server
needed), and its behaviour against a server (osmem-server, or real Elasticsearch when
ELASTICSEARCH_URL is set)."""

import re
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from elasticsearch import Elasticsearch

from search.backends.base import SearchUnavailable
from search.backends.elasticsearch import (
    ElasticsearchBackend,
    more_like_this_body,
    search_body,
    suggest_body,
)
from search.documents import index_body
from search.query import FACETS, Filters, SearchRequest
from search.records import SearchRecord
from search.text import synonym_lines
from tests.search.elasticsearch_fixtures import (  # noqa: F401
    Recorder,
    elasticsearch_backend,
    elasticsearch_server,
    recording_client,
)
from tests.services import free_port

FIELDS = ["title^3", "summary^2", "tags^2", "curriculum", "body", "author"]
EACH_TERM = {"fields": FIELDS, "operator": "and", "zero_terms_query": "all"}
ENGLISH = {
    "analyzer": "staffroom_english",
    "search_analyzer": "staffroom_english_search",
    "type": "text",
}


def record(pk: int, title: str, **fields) -> SearchRecord:
    fields.setdefault("kind", "resource")
    return SearchRecord(pk=pk, title=title, url=f"/resources/{pk}/", **fields)


def recording_backend(**answers) -> tuple[ElasticsearchBackend, Recorder]:
    recorder = Recorder(answers=answers)
    return ElasticsearchBackend(client=recording_client(recorder), alias="records"), recorder


# The index


def test_the_index_has_english_analysers_with_search_time_synonyms_and_a_strict_mapping():
    assert index_body() == {
        "settings": {
            "number_of_shards": 1,
            "analysis": {
                "analyzer": {
                    "staffroom_english": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": [
                            "staffroom_possessive",
                            "lowercase",
                            "asciifolding",
                            "staffroom_stop",
                            "staffroom_stemmer",
                        ],
                    },
                    "staffroom_english_search": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": [
                            "staffroom_possessive",
                            "lowercase",
                            "asciifolding",
                            "staffroom_synonyms",
                            "staffroom_stop",
                            "staffroom_stemmer",
                        ],
                    },
                    "staffroom_folded": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": ["lowercase", "asciifolding"],
                    },
                },
                "filter": {
                    "staffroom_possessive": {"type": "stemmer", "language": "possessive_english"},
                    "staffroom_stop": {"type": "stop", "stopwords": "_english_"},
                    "staffroom_stemmer": {"type": "stemmer", "language": "english"},
                    "staffroom_synonyms": {
                        "type": "synonym_graph",
                        "synonyms": synonym_lines(),
                        "lenient": True,
                    },
                },
            },
        },
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "key": {"type": "keyword"},
                "kind": {"type": "keyword"},
                "pk": {"type": "long"},
                "title": {
                    **ENGLISH,
                    "fields": {
                        "suggest": {"type": "search_as_you_type", "analyzer": "staffroom_folded"}
                    },
                },
                "summary": ENGLISH,
                "tags": ENGLISH,
                "curriculum": ENGLISH,
                "body": ENGLISH,
                "author": ENGLISH,
                "url": {"type": "keyword", "index": False},
                "year_groups": {"type": "keyword"},
                "key_stages": {"type": "keyword"},
                "phases": {"type": "keyword"},
                "resource_type": {"type": "keyword"},
                "audience": {"type": "keyword"},
                "subject": {"type": "integer"},
                "school": {"type": "integer"},
                "network": {"type": "integer"},
                "principles": {"type": "integer"},
                "downloads": {"type": "long"},
                "shared_focus": {"type": "boolean"},
                "endorsed": {"type": "boolean"},
                "published_at": {"type": "date"},
            },
        },
    }


def test_the_synonyms_come_from_the_repositorys_file_with_multi_word_terms():
    synonyms = index_body()["settings"]["analysis"]["filter"]["staffroom_synonyms"]["synonyms"]

    assert "ks2, key stage 2, keystage 2" in synonyms
    assert "maths, mathematics, math, numeracy" in synonyms
    assert "send, special educational needs, sen, additional needs" in synonyms


# Bulk actions


def test_indexing_upserts_each_record_under_its_key_through_the_alias():
    backend, recorder = recording_backend(**{"GET /_alias/records": {"records-1": {}}})
    published = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)

    backend.index(
        [
            record(
                7,
                "Fractions of amounts",
                summary="Year 6 maths",
                body="Notes",
                tags=("fractions",),
                curriculum="Year 6 Y6 Key stage 2 KS2 Primary",
                author="Amira Khan",
                year_groups=("y6",),
                key_stages=("ks2",),
                phases=("primary",),
                subject=3,
                resource_type="lesson",
                school=2,
                network=5,
                principles=(11, 12),
                shared_focus=True,
                endorsed=True,
                published_at=published,
                downloads=9,
                audience=("staff", "author:4"),
            ),
            record(8, "Staff voice", kind="thread"),
        ]
    )

    assert recorder.paths() == ["GET /_alias/records", "PUT /_bulk"]
    assert recorder.requests[1].body == [
        {"index": {"_index": "records", "_id": "resource:7"}},
        {
            "key": "resource:7",
            "kind": "resource",
            "pk": 7,
            "title": "Fractions of amounts",
            "summary": "Year 6 maths",
            "tags": ["fractions"],
            "curriculum": "Year 6 Y6 Key stage 2 KS2 Primary",
            "body": "Notes",
            "author": "Amira Khan",
            "url": "/resources/7/",
            "year_groups": ["y6"],
            "key_stages": ["ks2"],
            "phases": ["primary"],
            "resource_type": "lesson",
            "audience": ["staff", "author:4"],
            "subject": 3,
            "school": 2,
            "network": 5,
            "principles": [11, 12],
            "downloads": 9,
            "shared_focus": True,
            "endorsed": True,
            "published_at": "2025-03-04T09:30:00+00:00",
        },
        {"index": {"_index": "records", "_id": "thread:8"}},
        {
            "key": "thread:8",
            "kind": "thread",
            "pk": 8,
            "title": "Staff voice",
            "summary": "",
            "tags": [],
            "curriculum": "",
            "body": "",
            "author": "",
            "url": "/resources/8/",
            "year_groups": [],
            "key_stages": [],
            "phases": [],
            "resource_type": None,
            "audience": ["staff"],
            "subject": None,
            "school": None,
            "network": None,
            "principles": [],
            "downloads": 0,
            "shared_focus": False,
            "endorsed": False,
            "published_at": None,
        },
    ]


def test_the_first_write_to_an_empty_cluster_creates_a_versioned_index_behind_the_alias():
    backend, recorder = recording_backend(**{"GET /_alias/records": (404, {"status": 404})})

    backend.delete(["resource:1", "resource:1", "thread:2"])

    created = recorder.requests[1]
    assert created.method == "PUT" and re.fullmatch(r"/records-\d{20}", created.path)
    assert created.body == index_body()
    assert recorder.requests[2].body == {
        "actions": [{"add": {"index": created.path[1:], "alias": "records"}}]
    }
    assert recorder.requests[3].body == [
        {"delete": {"_index": "records", "_id": "resource:1"}},
        {"delete": {"_index": "records", "_id": "thread:2"}},
    ]


def test_deleting_what_is_not_there_is_fine_but_other_bulk_failures_are_not():
    gone = {"delete": {"_id": "resource:1", "status": 404, "result": "not_found"}}
    refused = {"index": {"_id": "resource:2", "status": 400, "error": {"type": "mapper"}}}
    backend, _ = recording_backend(
        **{
            "GET /_alias/records": {"records-1": {}},
            "PUT /_bulk": [{"errors": True, "items": [gone]}, {"errors": True, "items": [refused]}],
        }
    )

    backend.delete(["resource:1"])
    with pytest.raises(SearchUnavailable, match="1 bulk actions failed"):
        backend.index([record(2, "Photosynthesis")])


def test_a_rebuild_fills_a_new_index_in_chunks_then_swaps_the_alias_in_one_call():
    backend, recorder = recording_backend(
        **{"GET /_alias/records": {"records-20250101000000000000": {"aliases": {"records": {}}}}}
    )
    backend.chunk_size = 2
    seen: list[int] = []

    count = backend.rebuild((record(pk, f"Lesson {pk}") for pk in range(1, 6)), seen.append)

    new = recorder.requests[0].path[1:]
    assert count == 5 and seen == [2, 4, 5]
    assert recorder.paths() == [
        f"PUT /{new}",
        "PUT /_bulk",
        "PUT /_bulk",
        "PUT /_bulk",
        f"PUT /{new}/_settings",
        f"POST /{new}/_refresh",
        "GET /_alias/records",
        "POST /_aliases",
        "DELETE /records-20250101000000000000",
    ]
    loading = index_body()
    loading["settings"]["refresh_interval"] = "-1"
    assert recorder.requests[0].body == loading
    assert [action["index"]["_index"] for action in recorder.requests[1].body[::2]] == [new, new]
    assert recorder.requests[4].body == {"index": {"refresh_interval": None}}
    assert recorder.requests[7].body == {
        "actions": [
            {"remove": {"index": "records-20250101000000000000", "alias": "records"}},
            {"add": {"index": new, "alias": "records"}},
        ]
    }


def test_a_failed_rebuild_drops_its_half_built_index_and_keeps_the_alias():
    backend, recorder = recording_backend(**{"PUT /_bulk": (503, {"error": "unavailable"})})

    with pytest.raises(SearchUnavailable):
        backend.rebuild([record(1, "Fractions")])

    new = recorder.requests[0].path[1:]
    assert recorder.paths() == [f"PUT /{new}", "PUT /_bulk", f"DELETE /{new}"]


# Query bodies


def test_a_search_with_text_filters_facets_sort_and_page_sends_this_body():
    backend, recorder = recording_backend()
    request = SearchRequest(
        terms=("fractions", "amounts"),
        phrases=(("knowledge", "organiser"),),
        filters=Filters(
            phase=frozenset({"primary"}),
            key_stage=frozenset({"ks2", "ks1"}),
            subject=frozenset({3}),
            endorsed_only=True,
            published_from=date(2025, 1, 1),
            published_to=date(2025, 12, 31),
        ),
        sort="downloads",
        page=3,
    )

    backend.search(request, ("staff", "network:5"))

    phase = {"terms": {"phases": ["primary"]}}
    key_stage = {"terms": {"key_stages": ["ks1", "ks2"]}}
    subject = {"terms": {"subject": [3]}}

    def counted(field, *others):
        terms = {
            "field": field,
            "size": 1000,
            "order": [{"_count": "desc"}, {"_key": "asc"}],
        }
        return {
            "filter": {"bool": {"filter": list(others)}} if others else {"match_all": {}},
            "aggs": {"values": {"terms": terms}},
        }

    assert recorder.paths() == ["POST /records/_search"]
    assert recorder.requests[0].body == {
        "query": {
            "bool": {
                "must": [
                    {"multi_match": {"query": "fractions", **EACH_TERM}},
                    {"multi_match": {"query": "amounts", **EACH_TERM}},
                    {
                        "multi_match": {
                            "query": "knowledge organiser",
                            "fields": FIELDS,
                            "type": "phrase",
                        }
                    },
                ],
                "filter": [
                    {"terms": {"audience": ["staff", "network:5"]}},
                    {"term": {"endorsed": True}},
                    {
                        "range": {
                            "published_at": {
                                "gte": "2025-01-01",
                                "lt": "2026-01-01",
                                "time_zone": "Europe/London",
                            }
                        }
                    },
                ],
            }
        },
        "post_filter": {"bool": {"filter": [phase, key_stage, subject]}},
        "aggs": {
            "kind": counted("kind", phase, key_stage, subject),
            "phase": counted("phases", key_stage, subject),
            "key_stage": counted("key_stages", phase, subject),
            "year_group": counted("year_groups", phase, key_stage, subject),
            "subject": counted("subject", phase, key_stage),
            "resource_type": counted("resource_type", phase, key_stage, subject),
            "school": counted("school", phase, key_stage, subject),
            "network": counted("network", phase, key_stage, subject),
            "principle": counted("principles", phase, key_stage, subject),
        },
        "sort": [
            {"downloads": {"order": "desc", "missing": "_last"}},
            {"published_at": {"order": "desc", "missing": "_last"}},
            {"key": {"order": "asc"}},
        ],
        "from": 40,
        "size": 20,
        "track_total_hits": True,
        "_source": [
            "kind",
            "pk",
            "title",
            "summary",
            "url",
            "published_at",
            "endorsed",
            "year_groups",
            "subject",
            "resource_type",
            "school",
            "network",
        ],
        "highlight": {
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "encoder": "html",
            "fields": {
                "title": {"number_of_fragments": 0},
                "body": {"fragment_size": 200, "number_of_fragments": 1},
                "summary": {"fragment_size": 200, "number_of_fragments": 1},
            },
        },
    }


def test_relevance_boosts_endorsed_recent_and_title_matches_for_everyone_in_the_central_team():
    backend, recorder = recording_backend()

    backend.search(SearchRequest(terms=("fractions",), filters=Filters(shared_focus=True)), None)

    body = recorder.requests[0].body
    assert "post_filter" not in body
    assert body["sort"] == [
        "_score",
        {"published_at": {"order": "desc", "missing": "_last"}},
        {"key": {"order": "asc"}},
    ]
    assert body["query"]["function_score"]["functions"] == [
        {"weight": 1},
        {"filter": {"term": {"endorsed": True}}, "weight": 0.5},
        {
            "gauss": {"published_at": {"origin": "now", "scale": "365d", "decay": 0.5}},
            "weight": 0.5,
        },
        {"filter": {"match": {"title": {"query": "fractions", "operator": "and"}}}, "weight": 1},
    ]
    assert body["query"]["function_score"]["score_mode"] == "sum"
    assert body["query"]["function_score"]["boost_mode"] == "multiply"
    # The central team has no audience filter; shared focus still narrows.
    assert body["query"]["function_score"]["query"]["bool"]["filter"] == [
        {"term": {"shared_focus": True}}
    ]


def test_no_text_lists_everything_allowed_newest_first_without_highlighting():
    backend, recorder = recording_backend()

    backend.search(SearchRequest(), ("staff",))

    body = recorder.requests[0].body
    assert body["query"] == {
        "bool": {"must": [{"match_all": {}}], "filter": [{"terms": {"audience": ["staff"]}}]}
    }
    assert "highlight" not in body
    assert body["sort"][0] == {"published_at": {"order": "desc", "missing": "_last"}}


def test_someone_with_no_audience_gets_nothing_without_asking_the_server():
    backend, recorder = recording_backend()

    results = backend.search(SearchRequest(terms=("fractions",)), ())

    assert results.total == 0 and results.hits == []
    assert recorder.requests == []


def test_without_synonym_filters_the_query_spells_out_each_way_of_saying_a_term():
    request = SearchRequest(terms=("ks2", "fractions"), phrases=(("special", "needs"),))

    must = search_body(request, None, expand_synonyms=True)["query"]["function_score"]["query"]

    def phrase(text):
        return {"multi_match": {"query": text, "fields": FIELDS, "type": "phrase"}}

    assert must["bool"]["must"] == [
        {
            "bool": {
                "should": [
                    {"multi_match": {"query": "ks2", **EACH_TERM}},
                    phrase("key stage 2"),
                    phrase("keystage 2"),
                ],
                "minimum_should_match": 1,
            }
        },
        {"multi_match": {"query": "fractions", **EACH_TERM}},
        phrase("special needs"),
    ]


def test_suggestions_ask_for_titles_starting_with_what_was_typed():
    backend, recorder = recording_backend()

    backend.suggest('Fract "of*', ("staff",), limit=5)

    assert recorder.requests[0].body == suggest_body(["fract", "of"], ("staff",), 5)
    assert suggest_body(["fract", "of"], ("staff",), 5)["query"] == {
        "bool": {
            "should": [
                {
                    "multi_match": {
                        "query": "fract of",
                        "type": "bool_prefix",
                        "fields": ["title.suggest", "title.suggest._2gram", "title.suggest._3gram"],
                    }
                },
                {"match": {"title": {"query": "fract of", "operator": "and"}}},
            ],
            "minimum_should_match": 1,
            "filter": [{"terms": {"audience": ["staff"]}}],
        }
    }
    assert recorder.requests[0].body["size"] == 5


def test_more_like_this_asks_for_other_resources_like_the_stored_one():
    backend, recorder = recording_backend()

    backend.more_like_this("resource:7", ("staff", "network:5"), limit=4)

    assert recorder.paths() == ["POST /records/_search"]
    body = recorder.requests[0].body
    assert body == more_like_this_body("records", "resource:7", ("staff", "network:5"), 4)
    assert body["size"] == 4
    assert body["query"] == {
        "bool": {
            "must": [
                {
                    "more_like_this": {
                        "fields": ["title", "summary", "tags", "curriculum", "body"],
                        "like": [{"_index": "records", "_id": "resource:7"}],
                        "min_term_freq": 1,
                        "min_doc_freq": 1,
                        "max_query_terms": 25,
                    }
                }
            ],
            "filter": [
                {"term": {"kind": "resource"}},
                {"terms": {"audience": ["staff", "network:5"]}},
            ],
            "must_not": [{"ids": {"values": ["resource:7"]}}],
        }
    }


def test_a_refused_more_like_this_is_search_unavailable():
    refusal = (400, {"error": {"type": "parsing_exception"}, "status": 400})
    backend, _ = recording_backend(**{"POST /records/_search": refusal})

    with pytest.raises(SearchUnavailable):
        backend.more_like_this("resource:7", ("staff",))


def test_counts_ask_for_a_terms_aggregation_by_kind():
    answer = {
        "hits": {"total": {"value": 3}, "hits": []},
        "aggregations": {"kinds": {"buckets": [{"key": "resource", "doc_count": 3}]}},
    }
    backend, recorder = recording_backend(**{"POST /records/_search": answer})

    assert backend.counts() == {
        "resource": 3,
        "thread": 0,
        "news": 0,
        "principle": 0,
        "page": 0,
    }
    assert recorder.requests[0].body == {
        "size": 0,
        "track_total_hits": True,
        "aggs": {"kinds": {"terms": {"field": "kind", "size": 5}}},
    }


def test_an_answer_becomes_hits_with_safe_html_and_facet_counts():
    answer = {
        "hits": {
            "total": {"value": 2, "relation": "eq"},
            "hits": [
                {
                    "_id": "resource:7",
                    "_source": {
                        "kind": "resource",
                        "pk": 7,
                        "title": "Fractions <b>& more</b>",
                        "summary": "Year 6 <em>numbers</em>",
                        "url": "/resources/7/",
                        "published_at": "2025-03-04T09:30:00+00:00",
                        "endorsed": True,
                        "year_groups": ["y6"],
                        "subject": 3,
                    },
                    "highlight": {
                        "summary": ["Year 6 &lt;em&gt;<mark>fractions</mark>"],
                        "body": ["Pupils find <mark>fractions</mark> &amp; more"],
                    },
                },
                {
                    "_id": "thread:8",
                    "_source": {
                        "kind": "thread",
                        "pk": 8,
                        "title": "Q&A",
                        "summary": "<em>Hi</em>",
                    },
                },
            ],
        },
        "aggregations": {
            "subject": {"values": {"buckets": [{"key": 4, "doc_count": 2}]}},
            "phase": {
                "values": {
                    "buckets": [
                        {"key": "secondary", "doc_count": 1},
                        {"key": "primary", "doc_count": 1},
                        {"key": "eyfs", "doc_count": 3},
                    ]
                }
            },
        },
    }
    backend, _ = recording_backend(**{"POST /records/_search": answer})

    results = backend.search(SearchRequest(terms=("fractions",)), ("staff",))

    hit, thread = results.hits
    assert thread.snippet == "&lt;em&gt;Hi&lt;/em&gt;" and thread.title_html == "Q&amp;A"
    assert thread.published_at is None and thread.url == "" and not thread.endorsed
    assert hit.kind == "resource" and hit.pk == 7 and hit.endorsed
    assert hit.snippet == "Pupils find <mark>fractions</mark> &amp; more"
    assert hit.title_html == "Fractions &lt;b&gt;&amp; more&lt;/b&gt;"
    assert hit.published_at == datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    assert hit.year_groups == ("y6",) and hit.subject == 3
    assert results.total == 2 and results.backend == "elasticsearch"
    assert [(c.value, c.count) for c in results.facets["phase"]] == [
        ("eyfs", 3),
        ("primary", 1),
        ("secondary", 1),
    ]
    assert [(c.value, c.count) for c in results.facets["subject"]] == [(4, 2)]
    assert set(results.facets) == set(FACETS)


# Against a server: osmem-server, or real Elasticsearch when ELASTICSEARCH_URL is set.

NOW = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)

RECORDS = [
    record(
        1,
        "Fractions of amounts",
        summary="Finding fractions of quantities with bar models.",
        body="Pupils compare unit fractions & non-unit fractions <script>.",
        curriculum="Year 6 Y6 Key stage 2 KS2 Primary",
        year_groups=("y6",),
        key_stages=("ks2",),
        phases=("primary",),
        subject=3,
        resource_type="lesson",
        school=1,
        network=10,
        endorsed=True,
        downloads=40,
        published_at=NOW,
    ),
    record(
        2,
        "Equivalent fraction walls",
        summary="A mathematics display for the classroom.",
        curriculum="Year 4 Y4 Key stage 2 KS2 Primary",
        year_groups=("y4",),
        key_stages=("ks2",),
        phases=("primary",),
        subject=3,
        resource_type="display",
        school=2,
        network=10,
        downloads=5,
        published_at=datetime(2024, 5, 1, tzinfo=UTC),
    ),
    record(
        3,
        "Photosynthesis knowledge organiser",
        summary="Plants, light and glucose for Year 7 science.",
        curriculum="Year 7 Y7 Key stage 3 KS3 Secondary",
        year_groups=("y7",),
        key_stages=("ks3",),
        phases=("secondary",),
        subject=4,
        resource_type="organiser",
        school=3,
        network=20,
        downloads=12,
        published_at=datetime(2025, 9, 1, tzinfo=UTC),
        # A private network's resource.
        audience=("network:20", "author:9"),
    ),
    record(
        4,
        "Maths mastery across the trust",
        kind="thread",
        summary="How do your schools teach times tables?",
        published_at=datetime(2025, 10, 1, tzinfo=UTC),
    ),
    record(
        5,
        "Phonics for pupils with SEND",
        summary="Adapting phonics for special educational needs.",
        curriculum="Reception Early years EYFS",
        year_groups=("r",),
        key_stages=("eyfs",),
        phases=("eyfs",),
        subject=5,
        resource_type="lesson",
        school=1,
        network=30,
        published_at=datetime(2025, 6, 1, tzinfo=UTC),
    ),
]


def keys(results) -> set[str]:
    return {f"{hit.kind}:{hit.pk}" for hit in results.hits}


def find(backend, text: tuple[str, ...], audience=("staff",), **filters):
    return backend.search(SearchRequest(terms=text, filters=Filters(**filters)), audience)


@pytest.mark.elasticsearch
class TestAgainstAServer:
    @pytest.fixture
    def backend(self, elasticsearch_backend):  # noqa: F811
        assert elasticsearch_backend.rebuild(RECORDS) == len(RECORDS)
        return elasticsearch_backend

    def test_stemming_finds_fraction_for_fractions(self, backend):
        assert keys(find(backend, ("fractions",))) == {"resource:1", "resource:2"}

    def test_synonyms_find_mathematics_for_maths_and_key_stage_2_for_ks2(self, backend):
        assert keys(find(backend, ("maths",))) == {"resource:2", "thread:4"}
        assert keys(find(backend, ("ks2",))) == {"resource:1", "resource:2"}
        assert keys(find(backend, ("send",), audience=None)) == {"resource:5"}
        assert keys(find(backend, ("special", "educational", "needs"))) == {"resource:5"}

    def test_every_term_must_match_somewhere_and_stop_words_alone_are_ignored(self, backend):
        assert keys(find(backend, ("fractions", "glucose"))) == set()
        assert keys(find(backend, ("fraction", "classroom"))) == {"resource:2"}
        assert keys(find(backend, ("the", "fraction", "classroom"))) == {"resource:2"}

    def test_a_private_networks_resource_is_found_only_by_its_members(self, backend):
        assert keys(find(backend, ("photosynthesis",))) == set()
        assert keys(find(backend, ("photosynthesis",), ("staff", "network:20"))) == {"resource:3"}
        assert keys(find(backend, ("photosynthesis",), None)) == {"resource:3"}

    def test_facet_counts_equal_the_truth_with_every_other_filter_applied(self, backend):
        chosen = Filters(phase=frozenset({"primary", "eyfs"}), subject=frozenset({3}))
        results = backend.search(SearchRequest(filters=chosen), None)

        def truth(facet: str, field: str) -> dict:
            allowed = chosen.without(facet)
            counted: Counter = Counter()
            for item in RECORDS:
                if allowed.phase and not set(item.phases) & allowed.phase:
                    continue
                if allowed.subject and item.subject not in allowed.subject:
                    continue
                value = getattr(item, field)
                for one in value if isinstance(value, tuple) else [value]:
                    if one not in (None, ""):
                        counted[one] += 1
            return dict(counted)

        assert keys(results) == {"resource:1", "resource:2"} and results.total == 2
        for facet, field in [
            ("phase", "phases"),
            ("subject", "subject"),
            ("key_stage", "key_stages"),
            ("year_group", "year_groups"),
            ("school", "school"),
            ("kind", "kind"),
        ]:
            counts = {count.value: count.count for count in results.facets[facet]}
            assert counts == truth(facet, field), facet
        # Choosing another subject would add the EYFS lesson; no other phase has maths.
        assert {c.value: c.count for c in results.facets["subject"]} == {3: 2, 5: 1}
        assert {c.value: c.count for c in results.facets["phase"]} == {"primary": 2}

    def test_non_facet_filters_narrow_hits_and_counts(self, backend):
        endorsed = find(backend, (), audience=None, endorsed_only=True)
        dated = find(
            backend,
            (),
            audience=None,
            published_from=date(2025, 6, 1),
            published_to=date(2025, 9, 1),
        )

        assert keys(endorsed) == {"resource:1"}
        assert {c.value: c.count for c in endorsed.facets["kind"]} == {"resource": 1}
        assert keys(dated) == {"resource:3", "resource:5"}

    def test_highlights_mark_the_words_and_escape_the_rest(self, backend):
        [hit] = find(backend, ("compare",)).hits

        assert "<mark>compare</mark>" in hit.snippet
        assert "&lt;script&gt;" in hit.snippet and "<script>" not in hit.snippet
        [titled] = find(backend, ("photosynthesis",), None).hits
        assert titled.title_html == "<mark>Photosynthesis</mark> knowledge organiser"

    def test_sorting_and_pages_are_stable_and_complete(self, backend):
        pages = [
            backend.search(SearchRequest(sort="downloads", page=n, page_size=2), None)
            for n in (1, 2, 3)
        ]
        newest = backend.search(SearchRequest(sort="newest"), None)

        assert [[hit.pk for hit in page.hits] for page in pages] == [[1, 3], [2, 4], [5]]
        assert all(page.total == 5 for page in pages)
        assert [hit.pk for hit in newest.hits] == [1, 4, 3, 5, 2]

    def test_deleted_records_are_no_longer_found(self, backend):
        backend.delete(["resource:1", "resource:404"])

        assert keys(find(backend, ("fractions",))) == {"resource:2"}
        assert backend.counts()["resource"] == 3

    def test_indexing_replaces_a_record_under_its_key(self, backend):
        backend.index([record(2, "Decimal place value", summary="Tenths and hundredths")])

        assert keys(find(backend, ("fractions",))) == {"resource:1"}
        assert keys(find(backend, ("decimals",))) == {"resource:2"}
        assert backend.counts() == {
            "resource": 4,
            "thread": 1,
            "news": 0,
            "principle": 0,
            "page": 0,
        }

    def test_results_stay_during_and_after_a_rebuild(self, backend):
        during: list[set[str]] = []

        def progress(done: int) -> None:
            during.append(keys(find(backend, ("fractions",))))

        backend.chunk_size = 2
        backend.rebuild([*RECORDS[1:], record(6, "Fractions on a number line")], progress)

        assert during == [{"resource:1", "resource:2"}] * 3
        assert keys(find(backend, ("fractions",))) == {"resource:2", "resource:6"}
        assert len(backend._indices_behind_alias()) == 1


@pytest.mark.elasticsearch
def test_typeahead_finds_titles_by_their_first_letters(elasticsearch_backend):  # noqa: F811
    elasticsearch_backend.rebuild(RECORDS)

    titles = [hit.title for hit in elasticsearch_backend.suggest("fract", ("staff",))]
    private = elasticsearch_backend.suggest("photo", ("staff",))

    assert set(titles) == {"Fractions of amounts", "Equivalent fraction walls"}
    assert private == []


@pytest.mark.elasticsearch
def test_more_like_this_finds_other_visible_resources_sharing_words(elasticsearch_backend):  # noqa: F811
    elasticsearch_backend.rebuild(RECORDS)

    related = elasticsearch_backend.more_like_this("resource:1", ("staff",))

    found = [f"{hit.kind}:{hit.pk}" for hit in related]
    assert "resource:2" in found
    assert "resource:1" not in found and "resource:3" not in found
    assert all(key.startswith("resource:") for key in found)


# When the server is down or failing


def test_a_closed_port_is_search_unavailable_quickly():
    backend = ElasticsearchBackend(f"http://127.0.0.1:{free_port()}", alias="records")
    started = time.monotonic()

    with pytest.raises(SearchUnavailable):
        backend.search(SearchRequest(terms=("fractions",)), ("staff",))
    with pytest.raises(SearchUnavailable):
        backend.index([record(1, "Fractions")])

    assert time.monotonic() - started < 3


class Unavailable(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        body = b'{"error": "unavailable", "status": 503}'
        self.send_response(503)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def failing_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_answering_503_is_search_unavailable_quickly(failing_server):
    backend = ElasticsearchBackend(failing_server, alias="records")
    started = time.monotonic()

    for attempt in (
        lambda: backend.search(SearchRequest(terms=("fractions",)), ("staff",)),
        lambda: backend.suggest("fra", ("staff",)),
        lambda: backend.counts(),
        lambda: backend.rebuild([record(1, "Fractions")]),
    ):
        with pytest.raises(SearchUnavailable):
            attempt()

    assert time.monotonic() - started < 3


def test_the_default_client_has_short_timeouts_and_few_retries():
    backend = ElasticsearchBackend("http://127.0.0.1:9200")

    assert isinstance(backend.client, Elasticsearch)
    assert backend.client._request_timeout == 2.5
    assert backend.client._max_retries == 1
    assert backend.client._retry_on_timeout is False

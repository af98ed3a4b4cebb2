"""The Elasticsearch backend: one versioned index behind an alias, queried with the post-filter
pattern for facets and the reader's audience inside the query.

Every request body is built by a pure function below, so tests can assert exactly what is sent
(including the parts an emulator cannot run). Anything going wrong on the wire (down, slow,
answering an error) becomes SearchUnavailable, and the service falls back to the database.
"""

import copy
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from django.conf import settings
from django.utils.html import escape
from elasticsearch import ApiError, Elasticsearch, TransportError

from search.backends.base import Audience, SearchUnavailable
from search.documents import (
    ALIAS,
    FACET_FIELDS,
    MORE_LIKE_THIS_FIELDS,
    SUGGEST_FIELDS,
    TEXT_FIELDS,
    document,
    index_body,
    versioned_name,
)
from search.query import (
    FACETS,
    ID_FACETS,
    KINDS,
    RESOURCE,
    FacetCount,
    Filters,
    Hit,
    SearchRequest,
    SearchResults,
)
from search.records import SearchRecord
from search.text import synonyms_of, words

# Searches must answer fast or not at all (the database backend is the fallback); writes and
# rebuilds move more data and may take longer.
SEARCH_TIMEOUT = 2.5
WRITE_TIMEOUT = 30.0
REBUILD_TIMEOUT = 120.0
CHUNK_SIZE = 500
# Elasticsearch's default index.max_result_window: from + size beyond it is refused.
RESULT_WINDOW = 10_000
# Enough buckets for every value a facet can have in one trust.
FACET_SIZE = 1_000
SNIPPET_CHARACTERS = 200
SUMMARY_CHARACTERS = 300
# What a hit needs from the stored document: never the (long) body.
HIT_SOURCE = [
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
]


# Request bodies


def audience_filter(audience: Audience) -> list[dict[str, Any]]:
    """The permission filter: none for the central team, else any shared audience token."""
    if audience is None:
        return []
    return [{"terms": {"audience": list(audience)}}]


def facet_filter(facet: str, values: Iterable) -> dict[str, Any]:
    return {"terms": {FACET_FIELDS[facet]: sorted(values)}}


def facet_filters(filters: Filters, *, leaving_out: str | None = None) -> list[dict[str, Any]]:
    """A terms filter per facet with a choice, in FACETS order, except the one left out."""
    return [
        facet_filter(facet, filters.chosen(facet))
        for facet in FACETS
        if facet != leaving_out and filters.chosen(facet)
    ]


def other_filters(filters: Filters) -> list[dict[str, Any]]:
    """Filters that are not facets: they narrow the counts too, so they go in the query."""
    clauses: list[dict[str, Any]] = []
    if filters.shared_focus:
        clauses.append({"term": {"shared_focus": True}})
    if filters.endorsed_only:
        clauses.append({"term": {"endorsed": True}})
    published: dict[str, str] = {}
    if filters.published_from:
        published["gte"] = filters.published_from.isoformat()
    if filters.published_to:
        # Whole days, inclusive: before the start of the next day.
        published["lt"] = (filters.published_to + timedelta(days=1)).isoformat()
    if published:
        clauses.append({"range": {"published_at": {**published, "time_zone": settings.TIME_ZONE}}})
    return clauses


def text_clauses(request: SearchRequest, *, expand_synonyms: bool = False) -> list[dict[str, Any]]:
    """Every term must match in some field (each expanded by the synonym analyser), and every
    phrase must appear as written. Only cleaned words reach here, never query syntax."""
    clauses = [_term_clause(term, expand_synonyms) for term in request.terms]
    clauses += [_phrase_clause(" ".join(phrase), expand_synonyms) for phrase in request.phrases]
    return clauses


def _phrase_clause(text: str, expand_synonyms: bool) -> dict[str, Any]:
    alternatives = synonyms_of(text)[1:] if expand_synonyms else ()
    if not alternatives:
        return _phrase(text)
    return {
        "bool": {
            "should": [_phrase(text), *(_phrase(other) for other in alternatives)],
            "minimum_should_match": 1,
        }
    }


def _term_clause(term: str, expand_synonyms: bool) -> dict[str, Any]:
    matches = {
        "multi_match": {
            "query": term,
            "fields": list(TEXT_FIELDS),
            "operator": "and",
            # A stop word on its own ("the") analyses to nothing: it must not empty the results.
            "zero_terms_query": "all",
        }
    }
    alternatives = synonyms_of(term)[1:] if expand_synonyms else ()
    if not alternatives:
        return matches
    # For servers whose analysers lack synonym filters: any way of saying the term matches.
    return {
        "bool": {
            "should": [matches, *(_phrase(other) for other in alternatives)],
            "minimum_should_match": 1,
        }
    }


def _phrase(text: str) -> dict[str, Any]:
    return {"multi_match": {"query": text, "fields": list(TEXT_FIELDS), "type": "phrase"}}


def relevance(query: dict[str, Any], request: SearchRequest) -> dict[str, Any]:
    """Scores multiplied by 1 plus boosts: endorsed, recent, and the title holding the words."""
    functions: list[dict[str, Any]] = [
        {"weight": 1},
        {"filter": {"term": {"endorsed": True}}, "weight": 0.5},
        {
            "gauss": {"published_at": {"origin": "now", "scale": "365d", "decay": 0.5}},
            "weight": 0.5,
        },
    ]
    if request.terms:
        title = {"match": {"title": {"query": " ".join(request.terms), "operator": "and"}}}
        functions.append({"filter": title, "weight": 1})
    return {
        "function_score": {
            "query": query,
            "functions": functions,
            "score_mode": "sum",
            "boost_mode": "multiply",
        }
    }


SORTS = {
    "relevance": ["_score", {"published_at": {"order": "desc", "missing": "_last"}}],
    "newest": [{"published_at": {"order": "desc", "missing": "_last"}}],
    "downloads": [
        {"downloads": {"order": "desc", "missing": "_last"}},
        {"published_at": {"order": "desc", "missing": "_last"}},
    ],
}
# Ties are broken by the record's key, so pages never overlap or skip.
TIE_BREAK = {"key": {"order": "asc"}}

HIGHLIGHT = {
    "pre_tags": ["<mark>"],
    "post_tags": ["</mark>"],
    # Escape the text around the marks, so that a snippet is safe HTML.
    "encoder": "html",
    "fields": {
        "title": {"number_of_fragments": 0},
        "body": {"fragment_size": SNIPPET_CHARACTERS, "number_of_fragments": 1},
        "summary": {"fragment_size": SNIPPET_CHARACTERS, "number_of_fragments": 1},
    },
}


def search_body(
    request: SearchRequest, audience: Audience, *, expand_synonyms: bool = False
) -> dict[str, Any]:
    filters = request.filters
    text = text_clauses(request, expand_synonyms=expand_synonyms)
    query: dict[str, Any] = {
        "bool": {
            "must": text or [{"match_all": {}}],
            "filter": audience_filter(audience) + other_filters(filters),
        }
    }
    # Without words to rank by, "relevance" lists the newest first.
    sort = request.sort if request.has_text or request.sort != "relevance" else "newest"
    if sort == "relevance":
        query = relevance(query, request)
    offset, size = request.offset, request.page_size
    if offset + size > RESULT_WINDOW:
        # Past what Elasticsearch pages through: no hits, but the total and facets still.
        offset, size = 0, 0
    body: dict[str, Any] = {
        "query": query,
        "aggs": {facet: facet_aggregation(facet, filters) for facet in FACETS},
        "sort": [*SORTS.get(sort, SORTS["relevance"]), TIE_BREAK],
        "from": offset,
        "size": size,
        "track_total_hits": True,
        "_source": HIT_SOURCE,
    }
    chosen = facet_filters(filters)
    if chosen:
        body["post_filter"] = {"bool": {"filter": chosen}}
    if request.has_text:
        body["highlight"] = HIGHLIGHT
    return body


def facet_aggregation(facet: str, filters: Filters) -> dict[str, Any]:
    """The facet's values counted with every other facet's choice applied but its own."""
    others = facet_filters(filters, leaving_out=facet)
    return {
        "filter": {"bool": {"filter": others}} if others else {"match_all": {}},
        "aggs": {
            "values": {
                "terms": {
                    "field": FACET_FIELDS[facet],
                    "size": FACET_SIZE,
                    "order": [{"_count": "desc"}, {"_key": "asc"}],
                }
            }
        },
    }


def suggest_body(prefix_words: list[str], audience: Audience, limit: int) -> dict[str, Any]:
    typed = " ".join(prefix_words)
    return {
        "query": {
            "bool": {
                # The last word as a prefix of a title word, or every word whole (stemmed, so
                # "fractions" suggests "Equivalent fraction wall").
                "should": [
                    {
                        "multi_match": {
                            "query": typed,
                            "type": "bool_prefix",
                            "fields": list(SUGGEST_FIELDS),
                        }
                    },
                    {"match": {"title": {"query": typed, "operator": "and"}}},
                ],
                "minimum_should_match": 1,
                "filter": audience_filter(audience),
            }
        },
        "size": limit,
        "_source": HIT_SOURCE,
    }


def more_like_this_body(alias: str, key: str, audience: Audience, limit: int) -> dict[str, Any]:
    return {
        "query": {
            "bool": {
                "must": [
                    {
                        "more_like_this": {
                            "fields": list(MORE_LIKE_THIS_FIELDS),
                            "like": [{"_index": alias, "_id": key}],
                            "min_term_freq": 1,
                            "min_doc_freq": 1,
                            "max_query_terms": 25,
                        }
                    }
                ],
                "filter": [{"term": {"kind": RESOURCE}}, *audience_filter(audience)],
                "must_not": [{"ids": {"values": [key]}}],
            }
        },
        "size": limit,
        "_source": HIT_SOURCE,
    }


def counts_body() -> dict[str, Any]:
    return {
        "size": 0,
        "track_total_hits": True,
        "aggs": {"kinds": {"terms": {"field": "kind", "size": len(KINDS)}}},
    }


def index_actions(target: str, records: Iterable[SearchRecord]) -> list[dict[str, Any]]:
    """Bulk operations writing each record under its key (a write replaces what was there)."""
    actions: list[dict[str, Any]] = []
    for record in records:
        actions += [{"index": {"_index": target, "_id": record.key}}, document(record)]
    return actions


def delete_actions(target: str, keys: Iterable[str]) -> list[dict[str, Any]]:
    return [{"delete": {"_index": target, "_id": key}} for key in keys]


# Reading answers


def hit_from(raw: dict[str, Any]) -> Hit:
    source = raw.get("_source", {})
    highlight = raw.get("highlight", {})
    title = source.get("title", "")
    published = source.get("published_at")
    return Hit(
        kind=source["kind"],
        pk=int(source["pk"]),
        title=title,
        url=source.get("url") or "",
        snippet=snippet_from(highlight, source.get("summary") or ""),
        title_html=(highlight.get("title") or [escape(title)])[0],
        published_at=datetime.fromisoformat(published) if published else None,
        endorsed=bool(source.get("endorsed")),
        year_groups=tuple(source.get("year_groups") or ()),
        subject=source.get("subject"),
        resource_type=source.get("resource_type") or "",
        school=source.get("school"),
        network=source.get("network"),
    )


def snippet_from(highlight: dict[str, list[str]], summary: str) -> str:
    """The body's or the summary's fragment with the words marked (escaped by Elasticsearch's
    html encoder), as the database backend chooses; else the summary's opening, escaped."""
    for name in ("body", "summary"):
        marked = [text for text in highlight.get(name, []) if "<mark>" in text]
        if marked:
            return marked[0]
    return escape(shortened(summary))


def shortened(text: str) -> str:
    if len(text) <= SUMMARY_CHARACTERS:
        return text
    return text[:SUMMARY_CHARACTERS].rsplit(" ", 1)[0] + "…"


def results_from(response: dict[str, Any], request: SearchRequest, backend: str) -> SearchResults:
    aggregations = response.get("aggregations", {})
    facets = {}
    for facet in FACETS:
        buckets = aggregations.get(facet, {}).get("values", {}).get("buckets", [])
        counts = [
            FacetCount(_facet_value(facet, bucket["key"]), bucket["doc_count"])
            for bucket in buckets
            if bucket["doc_count"]
        ]
        facets[facet] = sorted(counts, key=lambda c: (-c.count, c.value))
    return SearchResults(
        hits=[hit_from(raw) for raw in response["hits"]["hits"]],
        total=response["hits"]["total"]["value"],
        facets=facets,
        page=request.page,
        page_size=request.page_size,
        backend=backend,
    )


def _facet_value(facet: str, key: Any) -> str | int:
    return int(key) if facet in ID_FACETS else str(key)


def _chunks(items: Iterable[SearchRecord], size: int) -> Iterator[list[SearchRecord]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class ElasticsearchBackend:
    name = "elasticsearch"

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Elasticsearch | None = None,
        alias: str = ALIAS,
        index_body: dict[str, Any] | None = None,
        expand_synonyms: bool = False,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        if client is None:
            # One retry at most and none on timeouts: a slow cluster must not hold a page.
            client = Elasticsearch(
                url,
                request_timeout=SEARCH_TIMEOUT,
                max_retries=1,
                retry_on_timeout=False,
            )
        self.client = client
        self.alias = alias
        # For servers that lack some analysis filters (the osmem emulator in tests): their own
        # index body, and synonyms expanded in the query instead of by the search analyser.
        self.index_body = index_body
        self.expand_synonyms = expand_synonyms
        self.chunk_size = chunk_size
        self._alias_known = False

    # Reading

    def search(self, request: SearchRequest, audience: Audience) -> SearchResults:
        if audience == ():
            # Signed out or deactivated: nothing to see, nothing to ask.
            nothing = {facet: [] for facet in FACETS}
            return SearchResults([], 0, nothing, request.page, request.page_size, backend=self.name)
        with self._unavailable_on_error():
            body = search_body(request, audience, expand_synonyms=self.expand_synonyms)
            response = self.client.search(index=self.alias, body=body)
        return results_from(response.body, request, self.name)

    def suggest(self, prefix: str, audience: Audience, limit: int = 8) -> list[Hit]:
        typed = words(prefix[:100])[:5]
        if not typed or audience == () or limit <= 0:
            return []
        with self._unavailable_on_error():
            response = self.client.search(
                index=self.alias, body=suggest_body(typed, audience, limit)
            )
        return [hit_from(raw) for raw in response["hits"]["hits"]]

    def more_like_this(self, key: str, audience: Audience, limit: int = 5) -> list[Hit]:
        if audience == () or limit <= 0:
            return []
        with self._unavailable_on_error():
            response = self.client.search(
                index=self.alias, body=more_like_this_body(self.alias, key, audience, limit)
            )
        return [hit_from(raw) for raw in response["hits"]["hits"]]

    def counts(self) -> dict[str, int]:
        with self._unavailable_on_error():
            response = self.client.search(index=self.alias, body=counts_body())
        counts = dict.fromkeys(KINDS, 0)
        for bucket in response["aggregations"]["kinds"]["buckets"]:
            counts[bucket["key"]] = bucket["doc_count"]
        return counts

    # Writing

    def index(self, records: Iterable[SearchRecord]) -> None:
        self._ensure_alias()
        for batch in _chunks(records, self.chunk_size):
            self._bulk(index_actions(self.alias, batch), WRITE_TIMEOUT)

    def delete(self, keys: Iterable[str]) -> None:
        self._ensure_alias()
        keys = list(dict.fromkeys(keys))
        for start in range(0, len(keys), self.chunk_size):
            self._bulk(delete_actions(self.alias, keys[start : start + self.chunk_size]))

    def rebuild(
        self, records: Iterable[SearchRecord], progress: Callable[[int], None] | None = None
    ) -> int:
        """Fill a new index while the alias still serves the old one, then swap in one step."""
        # No refreshes while loading (much faster bulk indexing); nobody searches it yet.
        name = self.create_index(refresh_interval="-1")
        done = 0
        try:
            for batch in _chunks(records, self.chunk_size):
                self._bulk(index_actions(name, batch), REBUILD_TIMEOUT)
                done += len(batch)
                if progress is not None:
                    progress(done)
            with self._unavailable_on_error():
                loaded = self.client.options(request_timeout=REBUILD_TIMEOUT)
                loaded.indices.put_settings(
                    index=name, settings={"index": {"refresh_interval": None}}
                )
                loaded.indices.refresh(index=name)
            old = self._indices_behind_alias()
            self._swap_alias(old, name)
        except BaseException:
            # A half-built index is never served: drop it and leave the old one in place.
            with suppress(SearchUnavailable):
                self._delete_indices([name])
            raise
        self._delete_indices(old)
        return done

    def create_index(self, refresh_interval: str | None = None) -> str:
        name = versioned_name(self.alias)
        body = copy.deepcopy(self.index_body or index_body())
        if refresh_interval is not None:
            body["settings"]["refresh_interval"] = refresh_interval
        with self._unavailable_on_error():
            self.client.options(request_timeout=WRITE_TIMEOUT).indices.create(index=name, body=body)
        return name

    def drop(self) -> None:
        """Delete the alias and every index behind it (tests and tidying up)."""
        self._delete_indices(self._indices_behind_alias())
        self._alias_known = False

    # Plumbing

    def _ensure_alias(self) -> None:
        """The first write to an empty cluster makes the first index (a rebuild replaces it)."""
        if self._alias_known:
            return
        if not self._indices_behind_alias():
            self._swap_alias([], self.create_index())
        self._alias_known = True

    def _indices_behind_alias(self) -> list[str]:
        with self._unavailable_on_error():
            response = self.client.options(ignore_status=404).indices.get_alias(name=self.alias)
        if response.meta.status == 404:
            return []
        return sorted(response.body)

    def _swap_alias(self, old: list[str], new: str) -> None:
        actions: list[dict[str, Any]] = [
            {"remove": {"index": index, "alias": self.alias}} for index in old
        ]
        actions.append({"add": {"index": new, "alias": self.alias}})
        with self._unavailable_on_error():
            self.client.options(request_timeout=WRITE_TIMEOUT).indices.update_aliases(
                actions=actions
            )

    def _delete_indices(self, names: list[str]) -> None:
        if not names:
            return
        with self._unavailable_on_error():
            self.client.options(request_timeout=WRITE_TIMEOUT, ignore_status=404).indices.delete(
                index=",".join(names)
            )

    def _bulk(self, actions: list[dict[str, Any]], timeout: float = WRITE_TIMEOUT) -> None:
        if not actions:
            return
        with self._unavailable_on_error():
            response = self.client.options(request_timeout=timeout).bulk(operations=actions)
        if not response.get("errors"):
            return
        failed = [
            outcome
            for item in response["items"]
            for action, outcome in item.items()
            # Deleting what is already gone is fine.
            if not (action == "delete" and outcome.get("status") == 404)
            and outcome.get("status", 500) >= 300
        ]
        if failed:
            raise SearchUnavailable(f"{len(failed)} bulk actions failed: {failed[0].get('error')}")

    @contextmanager
    def _unavailable_on_error(self) -> Iterator[None]:
        try:
            yield
        except (ApiError, TransportError) as error:
            raise SearchUnavailable(f"Elasticsearch: {error}") from error

"""The Elasticsearch index: its analysers, its mapping, and how a record becomes a document.

One document type holds every kind of record (resources, threads, news, principles, pages),
so that one query ranks them together and the facets count across them. Concrete indices are
versioned (`staffroom-records-20261126013000123456`) behind an alias that searches and writes
use, so a rebuild can fill a new index and swap the alias without a moment of empty results.
"""

from datetime import UTC, datetime
from typing import Any

from elasticsearch import dsl

from search.records import SearchRecord
from search.text import synonym_lines

ALIAS = "staffroom-records"

# Index time: English words reduced to their stems ("fractions" -> "fraction"), accents folded.
possessive = dsl.token_filter("staffroom_possessive", "stemmer", language="possessive_english")
english_stop = dsl.token_filter("staffroom_stop", "stop", stopwords="_english_")
english_stemmer = dsl.token_filter("staffroom_stemmer", "stemmer", language="english")
# Search time only: synonyms expand the query, so changing synonyms.txt needs no reindex, and
# the graph filter keeps multi-word synonyms ("key stage 2") as phrases. It runs before the
# stop words, so that "a level" and "design and technology" are still whole when matched.
school_synonyms = dsl.token_filter(
    "staffroom_synonyms", "synonym_graph", synonyms=synonym_lines(), lenient=True
)

english = dsl.analyzer(
    "staffroom_english",
    tokenizer="standard",
    filter=[possessive, "lowercase", "asciifolding", english_stop, english_stemmer],
)
english_search = dsl.analyzer(
    "staffroom_english_search",
    tokenizer="standard",
    filter=[
        possessive,
        "lowercase",
        "asciifolding",
        school_synonyms,
        english_stop,
        english_stemmer,
    ],
)
# Typeahead matches what was typed, letter for letter, without stemming.
folded = dsl.analyzer(
    "staffroom_folded", tokenizer="standard", filter=["lowercase", "asciifolding"]
)


def _text(**kwargs: Any) -> dsl.Text:
    return dsl.Text(analyzer=english, search_analyzer=english_search, **kwargs)


class RecordDocument(dsl.Document):
    # A keyword copy of the record's key ("resource:42"): the tie-break for stable pages.
    key = dsl.Keyword()
    kind = dsl.Keyword()
    pk = dsl.Long()
    title = _text(fields={"suggest": dsl.SearchAsYouType(analyzer=folded)})
    summary = _text()
    tags = _text()
    curriculum = _text()
    body = _text()
    author = _text()
    url = dsl.Keyword(index=False)
    year_groups = dsl.Keyword()
    key_stages = dsl.Keyword()
    phases = dsl.Keyword()
    resource_type = dsl.Keyword()
    audience = dsl.Keyword()
    subject = dsl.Integer()
    school = dsl.Integer()
    network = dsl.Integer()
    principles = dsl.Integer()
    downloads = dsl.Long()
    shared_focus = dsl.Boolean()
    endorsed = dsl.Boolean()
    published_at = dsl.Date()

    class Meta:
        # Records are flat and known: an unexpected field is a bug, not something to guess.
        dynamic = dsl.MetaField("strict")


# The text fields a query searches, the title weighted above the rest.
TEXT_FIELDS = ("title^3", "summary^2", "tags^2", "curriculum", "body", "author")
MORE_LIKE_THIS_FIELDS = ("title", "summary", "tags", "curriculum", "body")
SUGGEST_FIELDS = ("title.suggest", "title.suggest._2gram", "title.suggest._3gram")

# Each facet of search.query.FACETS and the document field it counts.
FACET_FIELDS = {
    "kind": "kind",
    "phase": "phases",
    "key_stage": "key_stages",
    "year_group": "year_groups",
    "subject": "subject",
    "resource_type": "resource_type",
    "school": "school",
    "network": "network",
    "principle": "principles",
}


def index_body() -> dict[str, Any]:
    """The settings (with analysers) and mapping a new concrete index is created with."""
    index = dsl.Index("unused")
    index.settings(number_of_shards=1)
    index.document(RecordDocument)
    body = index.to_dict()
    return {"settings": body["settings"], "mappings": body["mappings"]}


def versioned_name(alias: str, now: datetime | None = None) -> str:
    """A new concrete index name under the alias; microseconds keep quick rebuilds apart."""
    moment = now or datetime.now(UTC)
    return f"{alias}-{moment:%Y%m%d%H%M%S%f}"


def document(record: SearchRecord) -> dict[str, Any]:
    """The record as the index stores it."""
    return {
        "key": record.key,
        "kind": record.kind,
        "pk": record.pk,
        "title": record.title,
        "summary": record.summary,
        "tags": list(record.tags),
        "curriculum": record.curriculum,
        "body": record.body,
        "author": record.author,
        "url": record.url,
        "year_groups": list(record.year_groups),
        "key_stages": list(record.key_stages),
        "phases": list(record.phases),
        "resource_type": record.resource_type or None,
        "audience": list(record.audience),
        "subject": record.subject,
        "school": record.school,
        "network": record.network,
        "principles": list(record.principles),
        "downloads": record.downloads,
        "shared_focus": record.shared_focus,
        "endorsed": record.endorsed,
        "published_at": record.published_at.isoformat() if record.published_at else None,
    }

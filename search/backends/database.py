"""The embedded search backend: the project's own database does the searching.

Each record is a row of `IndexedRecord` (filter, sort and display fields as plain columns, year
groups, key stages and phases as bit masks) with side tables for its audience tokens and
principles, and a row of words in `search_indexed_text`: an FTS5 table on SQLite, a weighted
tsvector with a GIN index on PostgreSQL (both made by migration 0002). On PostgreSQL the text
shown in highlights has its own table, `search_indexed_display_text` (migration 0004), so ranking
a common word reads only the tsvectors. Everything typed reaches the database as query
parameters, built from `search.text`'s cleaned words, each one quoted. The SQL strings are
formatted only with constant table and column names, `%s` placeholders and clauses made of
those, which bandit cannot tell apart from formatted values: hence each `nosec B608`.

A search costs a fixed number of queries, whatever it finds: the ids whose words match (one
comma-separated value), counted against the filter columns held in memory (search.backends.
columns: the total and every facet, with the post-filter rule); then the page of hits ranked
in SQL, their records, and their highlights. Joining every match to its record row and
grouping it once per facet in SQL cost most of a search for a common word.
"""

import hashlib
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

import numpy as np
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from django.utils.html import escape

from networks.curriculum import YEAR_BIT, KeyStage, Phase, YearGroup
from search.backends import matches
from search.backends.base import Audience
from search.backends.columns import (
    COLUMNS,
    MISSING,
    Columns,
    columns_for,
    ensure_generation,
    new_generation,
)
from search.models import IndexedRecord
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
from search.records import STAFF, SearchRecord
from search.text import synonyms_of, words

TEXT_TABLE = "search_indexed_text"
# PostgreSQL only: the text the words were made from, read by id for highlights and more like this.
DISPLAY_TABLE = "search_indexed_display_text"
BATCH_SIZE = 500
# A rebuild writes in bigger batches: fewer statements, and nothing else waits on them.
REBUILD_BATCH_SIZE = 2_000
# PostgreSQL advisory locks that make writers of the same record take turns: the first number
# says "search index" (other users of advisory locks pick their own), the second is a bucket.
LOCK_NAMESPACE = 0x5EA4C4
LOCK_BUCKETS = 256
# Highlight markers: control characters no document keeps (they are stripped on the way in),
# so the text can be escaped first and the markers turned into <mark> after.
START, STOP = "\x02", "\x03"
SNIPPET_WORDS = 24
# PostgreSQL cuts a body's snippet from this many characters (about 300 words) from a little
# before the first searched word (PostgresDialect._body_window): the lead is some 50 words, more
# than a snippet reaches back, so it does not begin with a word cut in half. Up to
# HIGHLIGHT_WORDS words are looked for.
HIGHLIGHT_WINDOW = 2_000
HIGHLIGHT_LEAD = 300
HIGHLIGHT_WORDS = 6
SUMMARY_CHARACTERS = 300
# Relevance boosts: an endorsed resource counts half as much again; a new one up to 30% more,
# fading to nothing over two years.
ENDORSED_BOOST = 1.5
RECENT_BOOST = 0.3
RECENT_DAYS = 730
# More like this: the record's words that say what it is about, weighted by where they are.
# Curriculum words ("Year 9", "KS3", "Secondary") are on nearly every record: ranking them
# cost most of the panel and said nothing, so a shared key stage counts instead.
LIKE_WORDS = 12
LIKE_WEIGHTS = (("title", 3), ("tags", 2), ("summary", 1))
SAME_KEY_STAGE_BOOST = 1.25
SAME_KEY_STAGE = (
    f"(CASE WHEN (e.key_stage_bits & %s) <> 0 THEN {SAME_KEY_STAGE_BOOST} ELSE 1.0 END)"
)
# Only the newest resources sharing a word (that the reader may see) are ranked: ranking
# every match of a common word cost 300 ms at 100,000 resources.
LIKE_WINDOW = 2_000
# A search ranked by relevance ranks at most this many of its newest matches together (see
# DatabaseBackend._tiers).
RANK_TIER = 5_000
# Up to this many passing ids, PostgreSQL's page query names them (PostgresDialect.only).
ONLY_IDS_UP_TO = 20_000
STOP_WORDS = frozenset(
    "a an and are as at be by for from has have in into is it its of on or our the their "
    "this to was we were will with you your all can how what when who why use using".split()
)
CURRICULUM_WORDS = frozenset(
    word
    for choices in (Phase, KeyStage, YearGroup)
    for value, label in choices.choices
    for word in words(f"{value} {label}")
)

KEY_STAGE_BIT = {value: 1 << index for index, value in enumerate(KeyStage.values)}
PHASE_BIT = {value: 1 << index for index, value in enumerate(Phase.values)}
# Bit facets: (facet, column, the bit of each value).
BIT_FACETS = {
    "year_group": ("year_bits", YEAR_BIT),
    "key_stage": ("key_stage_bits", KEY_STAGE_BIT),
    "phase": ("phase_bits", PHASE_BIT),
}
COLUMN_FACETS = {
    "kind": "kind",
    "subject": "subject",
    "resource_type": "resource_type",
    "school": "school",
    "network": "network",
}

Phrase = tuple[str, ...]
# Every group must match; any phrase of a group may (a term and its synonyms).
Groups = list[list[Phrase]]


@dataclass
class Clause:
    sql: str
    params: list


def _clean(text: str) -> str:
    return (text or "").replace(START, " ").replace(STOP, " ").replace("\x00", " ")


def _folded(text: str) -> str:
    """The text without accents, as FTS5's remove_diacritics reads it; PostgreSQL's english
    configuration keeps them (and the unaccent extension needs a superuser to install)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(char for char in decomposed if not unicodedata.combining(char))
    )


def _marked(text: str) -> str:
    return escape(text).replace(START, "<mark>").replace(STOP, "</mark>")


def _placeholders(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


def text_groups(request: SearchRequest) -> Groups:
    """Each term with its synonyms (several-word ones as phrases), and each phrase."""
    groups: Groups = []
    for term in request.terms:
        alternatives: list[Phrase] = []
        for alternative in synonyms_of(" ".join(words(term))):
            phrase = tuple(words(alternative))
            if phrase and phrase not in alternatives:
                alternatives.append(phrase)
        if alternatives:
            groups.append(alternatives)
    for phrase in request.phrases:
        cleaned = tuple(word for part in phrase for word in words(part))
        if not cleaned:
            continue
        # A quoted synonym ("key stage 2") finds its other forms ("ks2") too.
        alternatives = [cleaned]
        for alternative in synonyms_of(" ".join(cleaned))[1:]:
            other = tuple(words(alternative))
            if other and other not in alternatives:
                alternatives.append(other)
        groups.append(alternatives)
    return groups


def _int_values(values: Iterable) -> list[int]:
    numbers = []
    for value in values:
        try:
            numbers.append(int(value))
        except (TypeError, ValueError):
            continue
    return sorted(set(numbers))


def facet_clause(facet: str, values: frozenset) -> Clause:
    """The condition that a record has any of the facet's chosen values."""
    if facet in BIT_FACETS:
        column, bits = BIT_FACETS[facet]
        mask = 0
        for value in values:
            mask |= bits.get(value, 0)
        if not mask:
            return Clause("1 = 0", [])
        return Clause(f"(e.{column} & %s) <> 0", [mask])
    chosen = _int_values(values) if facet in ID_FACETS else sorted(str(v) for v in values)
    if not chosen:
        return Clause("1 = 0", [])
    if facet == "principle":
        return Clause(
            "e.id IN (SELECT record_id FROM search_indexed_principle "
            f"WHERE principle IN ({_placeholders(chosen)}))",
            chosen,
        )
    return Clause(f"e.{COLUMN_FACETS[facet]} IN ({_placeholders(chosen)})", chosen)


def fixed_clauses(filters: Filters) -> list[Clause]:
    """The filters that are not facets: always applied, to counts too."""
    clauses = []
    if filters.shared_focus:
        clauses.append(Clause("e.shared_focus", []))
    if filters.endorsed_only:
        clauses.append(Clause("e.endorsed", []))
    if filters.published_from is not None:
        clauses.append(Clause("e.published_day >= %s", [filters.published_from.toordinal()]))
    if filters.published_to is not None:
        clauses.append(Clause("e.published_day <= %s", [filters.published_to.toordinal()]))
    return clauses


def audience_clause(audience: Audience) -> Clause:
    if audience is None:
        return Clause("1 = 1", [])
    tokens = sorted({token for token in audience if token != STAFF})
    parts, params = [], []
    if STAFF in audience:
        parts.append("e.public")
    if tokens:
        parts.append(
            "e.id IN (SELECT record_id FROM search_indexed_audience "
            f"WHERE token IN ({_placeholders(tokens)}))"
        )
        params += tokens
    if not parts:
        return Clause("1 = 0", [])
    return Clause("(" + " OR ".join(parts) + ")", params)


def _joined(clauses: Iterable[Clause]) -> Clause:
    clauses = [clause for clause in clauses if clause.sql]
    if not clauses:
        return Clause("1 = 1", [])
    return Clause(
        " AND ".join(f"({clause.sql})" for clause in clauses),
        [param for clause in clauses for param in clause.params],
    )


class Dialect:
    """What differs between SQLite FTS5 and PostgreSQL full text."""

    # A join to the text table and a condition, matching the groups (all of them).
    def match(self, groups: Groups) -> tuple[str, Clause]:
        raise NotImplementedError

    # Higher is better; only valid alongside `match`.
    def score(self) -> str:
        raise NotImplementedError

    def greatest(self, left: str, right: str) -> str:
        raise NotImplementedError

    def prefix_match(self, complete: list[str], prefix: str) -> Clause | None:
        """Titles holding the complete words and a word starting with the prefix, or the
        prefix as a whole (stemmed) word."""
        raise NotImplementedError

    def like_match(self, terms: list[str]) -> tuple[str, Clause]:
        """Records with any of the terms in their title, summary or tags (where more_like_this
        picks its terms: a passing mention in a file's text is not what a record is about)."""
        raise NotImplementedError

    def only(self, ids: np.ndarray) -> Clause | None:
        """A condition naming the ids that pass the audience and filters, where the database
        plans that better than the conditions themselves (None: keep the conditions)."""
        return None

    def matched_ids(self, cursor, groups: Groups, after: int = 0) -> np.ndarray:
        """Every id above `after` whose words match, sorted, read as one comma-separated value
        (a row per id costs more than the scan itself for a common word)."""
        raise NotImplementedError

    def every_id(self, cursor, after: int = 0) -> np.ndarray:
        """Every indexed id above `after`, sorted, read as matched_ids reads them."""
        raise NotImplementedError

    def insert_text(self, cursor, rows: list[tuple]) -> None:
        raise NotImplementedError

    def lock_buckets(self, cursor, buckets: list[int]) -> None:
        """Hold these key buckets (`_lock_bucket`) until the transaction ends, so two workers
        reindexing the same record take turns: otherwise both delete the old row and the
        second insert meets the first's new row under the unique key."""
        raise NotImplementedError

    def delete_text(self, cursor, ids: list[int] | None) -> None:
        """Remove these ids' words (None: everyone's)."""
        raise NotImplementedError

    def highlights(self, cursor, ids: list[int], groups: Groups) -> dict[int, tuple[str, ...]]:
        """Per id: the title, the body snippet and the summary snippet, with markers."""
        raise NotImplementedError

    # Where a record's words are kept, joined to the record `e` as `t`.
    LIKE_TEXT_JOIN = ""

    def like_text(self, cursor, key: str) -> tuple[int, int, dict[str, str]] | None:
        """The record's id, its key stages (bits) and the words more_like_this picks from, or
        None if not indexed."""
        cursor.execute(
            f"SELECT e.id, e.key_stage_bits, {LIKE_COLUMNS} "  # nosec B608: values bound as %s
            f"FROM search_indexed_record e {self.LIKE_TEXT_JOIN} WHERE e.key = %s",
            [key],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        fields = [field for field, _ in LIKE_WEIGHTS]
        text = {field: value or "" for field, value in zip(fields, row[2:], strict=True)}
        return row[0], row[1], text

    # A match's id in the words table, joined to the record: ids go up in the order records
    # were indexed, and the words index reads them in that order and seeks ranges of them.
    TEXT_ID = ""
    # The order more_like_this reads its window of newest matches in (see there).
    LIKE_NEWEST = ""


class SqliteDialect(Dialect):
    LIKE_TEXT_JOIN = f"LEFT JOIN {TEXT_TABLE} t ON t.rowid = e.id"
    TEXT_ID = f"{TEXT_TABLE}.rowid"
    # FTS5 hands its matches over in rowid order: the most recently indexed first.
    LIKE_NEWEST = f"{TEXT_ID} DESC"
    # bm25 column weights, in the table's column order: title, summary, tags, curriculum,
    # body, author. A title match outweighs any number of body mentions of a word.
    WEIGHTS = "10.0, 4.0, 4.0, 3.0, 1.0, 0.5"

    def lock_buckets(self, cursor, buckets: list[int]) -> None:
        # Nothing to do: transactions begin IMMEDIATE (config.settings.base), so one writer
        # at a time holds the whole database and the next waits for its commit.
        return None

    @staticmethod
    def _phrase(phrase: Phrase) -> str:
        # FTS5 strings are double-quoted with inner quotes doubled; inside one, every
        # character is text, never syntax.
        return '"' + " ".join(phrase).replace('"', '""') + '"'

    def _expression(self, groups: Groups) -> str:
        return " AND ".join(
            "(" + " OR ".join(self._phrase(phrase) for phrase in group) + ")" for group in groups
        )

    def _join(self, expression: str) -> tuple[str, Clause]:
        join = f"JOIN {TEXT_TABLE} ON {TEXT_TABLE}.rowid = e.id"
        return join, Clause(f"{TEXT_TABLE} MATCH %s", [expression])

    def match(self, groups: Groups) -> tuple[str, Clause]:
        return self._join(self._expression(groups))

    def score(self) -> str:
        return f"-bm25({TEXT_TABLE}, {self.WEIGHTS})"

    def greatest(self, left: str, right: str) -> str:
        return f"max({left}, {right})"

    def prefix_match(self, complete: list[str], prefix: str) -> Clause | None:
        whole = [self._phrase((word,)) for word in [*complete, prefix]]
        started = [*whole[:-1], self._phrase((prefix,)) + " *"]
        return Clause(
            "e.id IN (SELECT rowid FROM search_indexed_title WHERE search_indexed_title MATCH %s) "
            f"OR e.id IN (SELECT rowid FROM {TEXT_TABLE} WHERE {TEXT_TABLE} MATCH %s)",
            [" AND ".join(started), "title : (" + " AND ".join(whole) + ")"],
        )

    def like_match(self, terms: list[str]) -> tuple[str, Clause]:
        either = " OR ".join(self._phrase((term,)) for term in terms)
        return self._join(f"{{title summary tags}} : ({either})")

    def matched_ids(self, cursor, groups: Groups, after: int = 0) -> np.ndarray:
        cursor.execute(
            f"SELECT group_concat(rowid) FROM {TEXT_TABLE} "  # nosec B608: values bound as %s
            f"WHERE {TEXT_TABLE} MATCH %s AND rowid > %s",
            [self._expression(groups), after],
        )
        return _id_array(cursor.fetchone()[0])

    def every_id(self, cursor, after: int = 0) -> np.ndarray:
        cursor.execute("SELECT group_concat(id) FROM search_indexed_record WHERE id > %s", [after])
        return _id_array(cursor.fetchone()[0])

    def insert_text(self, cursor, rows: list[tuple]) -> None:
        cursor.executemany(
            f"INSERT INTO {TEXT_TABLE} "
            "(rowid, title, summary, tags, curriculum, body, author) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",  # nosec B608: values bound as %s
            rows,
        )
        cursor.executemany(
            "INSERT INTO search_indexed_title (rowid, title) VALUES (%s, %s)",
            [row[:2] for row in rows],
        )

    def delete_text(self, cursor, ids: list[int] | None) -> None:
        for table in (TEXT_TABLE, "search_indexed_title"):
            if ids is None:
                # Dropped and made again as it was: deleting every row of an FTS5 table
                # tokenises each one again, over a third of a rebuild.
                cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [table])
                (made,) = cursor.fetchone()
                cursor.execute(f"DROP TABLE {table}")
                cursor.execute(made)
            else:
                cursor.execute(
                    f"DELETE FROM {table} "  # nosec B608: values bound as %s
                    f"WHERE rowid IN ({_placeholders(ids)})",
                    ids,
                )

    def highlights(self, cursor, ids: list[int], groups: Groups) -> dict[int, tuple[str, ...]]:
        # One branch per hit: FTS5 seeks straight to `rowid = ?` within the match, where
        # `rowid IN (...)` would walk every match of a common word.
        branch = (
            f"SELECT rowid, highlight({TEXT_TABLE}, 0, %s, %s), "
            f"snippet({TEXT_TABLE}, 4, %s, %s, '…', {SNIPPET_WORDS}), "
            f"snippet({TEXT_TABLE}, 1, %s, %s, '…', {SNIPPET_WORDS}) "
            f"FROM {TEXT_TABLE} WHERE {TEXT_TABLE} MATCH %s AND rowid = %s"
        )
        expression = self._expression(groups)
        cursor.execute(
            " UNION ALL ".join([branch] * len(ids)),
            [param for pk in ids for param in (*[START, STOP] * 3, expression, pk)],
        )
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


class PostgresDialect(Dialect):
    LIKE_TEXT_JOIN = f"LEFT JOIN {DISPLAY_TABLE} t ON t.id = e.id"
    TEXT_ID = "t.id"
    # Read in the text's id order, a window merged the record and text tables by id, testing
    # the words of every newer record first: after a rebuild that is every thread (indexed after
    # the resources), 98 ms of the resource page at 100,000 resources. By publication date the
    # records are read first from their own index, threads and records out of sight skipped
    # there, and only the resources kept have their words tested (50 ms).
    LIKE_NEWEST = "e.published_ts DESC, e.key"  # search_record_newest
    HEADLINE = (
        f"StartSel={START}, StopSel={STOP}, MaxWords={SNIPPET_WORDS}, MinWords=12, "
        'MaxFragments=2, FragmentDelimiter=" … "'
    )
    TITLE_HEADLINE = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"

    def lock_buckets(self, cursor, buckets: list[int]) -> None:
        # Transaction-level advisory locks, all taken at once in sorted order so two workers
        # cannot each hold what the other waits for. Buckets, not keys: a reindex of the
        # whole trust would otherwise fill PostgreSQL's lock table (about 6,400 locks by
        # default). After the wait, READ COMMITTED lets the next statement see the other
        # worker's new row, which is then replaced in turn: the last to commit wins.
        if buckets:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, bucket) "
                "FROM unnest(%s::int[]) WITH ORDINALITY AS held(bucket, position) "
                "ORDER BY position",
                [LOCK_NAMESPACE, buckets],
            )

    @staticmethod
    def _query(groups: Groups) -> Clause:
        # phraseto_tsquery reads its argument as plain words (never tsquery syntax) and keeps
        # their order; alternatives are joined with ||, groups with &&.
        parts, params = [], []
        for group in groups:
            parts.append("(" + " || ".join("phraseto_tsquery('english', %s)" for _ in group) + ")")
            params += [_folded(" ".join(phrase)) for phrase in group]
        return Clause("(" + " && ".join(parts) + ")", params)

    def _join(self, query: Clause) -> tuple[str, Clause]:
        join = f"JOIN {TEXT_TABLE} t ON t.id = e.id CROSS JOIN (SELECT {query.sql} AS query) q"
        return join, Clause("t.document @@ q.query", query.params)

    def match(self, groups: Groups) -> tuple[str, Clause]:
        # The query's parameters are the join's, so this clause must come first in the WHERE
        # (statements bind select list, join, then WHERE).
        return self._join(self._query(groups))

    def score(self) -> str:
        return "ts_rank_cd(t.document, q.query, 1)"

    def greatest(self, left: str, right: str) -> str:
        return f"GREATEST({left}, {right})"

    @staticmethod
    def _lexeme(word: str) -> str | None:
        # Only plain letters and digits go into to_tsquery's syntax.
        word = _folded(word).replace("'", "")
        return word if word.isascii() and word.isalnum() else None

    def prefix_match(self, complete: list[str], prefix: str) -> Clause | None:
        lexemes = [self._lexeme(word) for word in [*complete, prefix]]
        if None in lexemes:
            return None
        started = " & ".join([*lexemes[:-1], f"{lexemes[-1]}:*"])
        whole = " & ".join(f"{lexeme}:A" for lexeme in lexemes)
        return Clause(
            f"e.id IN (SELECT id FROM {TEXT_TABLE} "
            "WHERE title_words @@ to_tsquery('simple', %s) "
            "OR document @@ to_tsquery('english', %s))",
            [started, whole],
        )

    def like_match(self, terms: list[str]) -> tuple[str, Clause]:
        # Weights A and B hold the title, summary and tags (insert_text). A word that is not
        # plain letters and digits is matched anywhere rather than written into tsquery syntax.
        parts, params = [], []
        for term in terms:
            lexeme = self._lexeme(term)
            if lexeme is None:
                parts.append("plainto_tsquery('english', %s)")
                params.append(_folded(term))
            else:
                parts.append("to_tsquery('english', %s)")
                params.append(f"{lexeme}:AB")
        return self._join(Clause("(" + " || ".join(parts) + ")", params))

    def only(self, ids: np.ndarray) -> Clause | None:
        # PostgreSQL plans `public OR id IN (audience)` as a scan of every record, even when
        # the words match a handful; a list of ids is looked up by primary key instead.
        if len(ids) > ONLY_IDS_UP_TO:
            return None
        return Clause("e.id = ANY(%s)", [ids.tolist()])

    def matched_ids(self, cursor, groups: Groups, after: int = 0) -> np.ndarray:
        query = self._query(groups)
        cursor.execute(
            f"SELECT string_agg(t.id::text, ',') FROM {TEXT_TABLE} t "
            f"CROSS JOIN (SELECT {query.sql} AS query) q "
            "WHERE t.document @@ q.query AND t.id > %s",  # nosec B608: values bound as %s
            [*query.params, after],
        )
        return _id_array(cursor.fetchone()[0])

    def every_id(self, cursor, after: int = 0) -> np.ndarray:
        cursor.execute(
            "SELECT string_agg(id::text, ',') FROM search_indexed_record WHERE id > %s", [after]
        )
        return _id_array(cursor.fetchone()[0])

    def insert_text(self, cursor, rows: list[tuple]) -> None:
        # One statement a record, the display text written by a CTE: measured 15-30% faster
        # than a second INSERT.
        cursor.executemany(
            f"WITH shown AS (INSERT INTO {DISPLAY_TABLE} "
            "(id, title, summary, tags, curriculum, body) VALUES (%s, %s, %s, %s, %s, %s)) "
            f"INSERT INTO {TEXT_TABLE} (id, document, title_words) "
            "VALUES (%s, "  # nosec B608: values bound as %s
            "setweight(to_tsvector('english', %s), 'A') || "
            "setweight(to_tsvector('english', %s), 'B') || "
            "setweight(to_tsvector('english', %s), 'C') || "
            "setweight(to_tsvector('english', %s), 'D'), "
            "to_tsvector('simple', %s))",
            [
                (pk, title, summary, tags, curriculum, body,
                 pk, *map(_folded, (title, f"{summary}\n{tags}\n{curriculum}", author, body,
                                    title)))
                for pk, title, summary, tags, curriculum, body, author in rows
            ],
        )  # fmt: skip

    def delete_text(self, cursor, ids: list[int] | None) -> None:
        for table in (TEXT_TABLE, DISPLAY_TABLE):
            if ids is None:
                cursor.execute(f"DELETE FROM {table}")  # nosec B608: values bound as %s
            else:
                cursor.execute(
                    f"DELETE FROM {table} "  # nosec B608: values bound as %s
                    f"WHERE id IN ({_placeholders(ids)})",
                    ids,
                )

    def highlights(self, cursor, ids: list[int], groups: Groups) -> dict[int, tuple[str, ...]]:
        query, body = self._query(groups), self._body_window(groups)
        cursor.execute(
            "SELECT t.id, ts_headline('english', t.title, q.query, %s), "
            f"ts_headline('english', {body.sql}, q.query, %s), "  # nosec B608: values bound as %s
            "ts_headline('english', t.summary, q.query, %s) "
            f"FROM {DISPLAY_TABLE} t CROSS JOIN (SELECT {query.sql} AS query) q "
            f"WHERE t.id IN ({_placeholders(ids)})",
            [self.TITLE_HEADLINE, *body.params, self.HEADLINE, self.HEADLINE, *query.params, *ids],
        )
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}

    @staticmethod
    def _body_window(groups: Groups) -> Clause:
        """The part of the body the snippet is cut from. ts_headline parses all the text it is
        given, and a common word ranks the longest threads first: their 20 bodies came to 1 MB
        and 250 ms. So it gets HIGHLIGHT_WINDOW characters from a little before the first place
        a searched word appears as typed (from the start if none does: a stemmed form only)."""
        searched = list(dict.fromkeys(word.lower() for group in groups for phrase in group
                                      for word in phrase))[:HIGHLIGHT_WORDS]  # fmt: skip
        if not searched:
            return Clause("t.body", [])
        found = ", ".join("NULLIF(strpos(lower(t.body), %s), 0)" for _ in searched)
        return Clause(
            f"substr(t.body, GREATEST(1, COALESCE(LEAST({found}), 1) - {HIGHLIGHT_LEAD}), "
            f"{HIGHLIGHT_WINDOW})",
            searched,
        )


# The words more_like_this picks from, from the text table `t`.
LIKE_COLUMNS = ", ".join(f"t.{field}" for field, _ in LIKE_WEIGHTS)


def _lock_bucket(key: str) -> int:
    """The key's lock bucket, the same in every process (unlike hash())."""
    digest = hashlib.blake2b(key.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % LOCK_BUCKETS


def dialect() -> Dialect:
    return PostgresDialect() if connection.vendor == "postgresql" else SqliteDialect()


def _bits(values: Iterable[str], table: dict[str, int]) -> int:
    bits = 0
    for value in values:
        bits |= table.get(value, 0)
    return bits


def _day(moment: datetime | None, tz=None) -> int | None:
    if moment is None:
        return None
    if timezone.is_aware(moment):
        moment = moment.astimezone(tz or timezone.get_current_timezone())
    return moment.date().toordinal()


# search_indexed_record's columns after id, in _record_values' order.
RECORD_COLUMNS = (
    "key", "kind", "object_pk", "title", "url", "summary", "published_at", "published_ts",
    "published_day", "endorsed", "downloads", "subject", "resource_type", "school", "network",
    "shared_focus", "year_groups", "year_bits", "key_stage_bits", "phase_bits", "public",
)  # fmt: skip


def _record_values(record: SearchRecord, tz) -> dict:
    """The record's row, by column (RECORD_COLUMNS), with the time zone read once by the
    caller: looking it up per record cost a tenth of a reindex."""
    published = record.published_at
    return {
        "key": record.key,
        "kind": record.kind,
        "object_pk": record.pk,
        "title": _clean(record.title),
        "url": record.url,
        "summary": _clean(record.summary),
        "published_at": published,
        "published_ts": published.timestamp() if published else 0,
        "published_day": _day(published, tz),
        "endorsed": record.endorsed,
        "downloads": record.downloads,
        "subject": record.subject,
        "resource_type": record.resource_type,
        "school": record.school,
        "network": record.network,
        "shared_focus": record.shared_focus,
        "year_groups": ",".join(record.year_groups),
        "year_bits": _bits(record.year_groups, YEAR_BIT),
        "key_stage_bits": _bits(record.key_stages, KEY_STAGE_BIT),
        "phase_bits": _bits(record.phases, PHASE_BIT),
        "public": STAFF in record.audience,
    }


def _id_array(joined: str | None) -> np.ndarray:
    if not joined:
        return np.empty(0, dtype=np.int64)
    # Parsed in C: a Python int per id would cost more than the scan that found them.
    return np.sort(np.fromstring(joined, dtype=np.int64, sep=","))


def _visible(cursor, ids: np.ndarray, values: dict[str, np.ndarray], audience: Audience):
    """Which of the ids the audience may see: read from the database each time, so a
    network turning private counts at once."""
    if audience is None:
        return np.ones(len(ids), dtype=bool)
    visible = values["public"] == 1 if STAFF in audience else np.zeros(len(ids), dtype=bool)
    tokens = sorted({token for token in audience if token != STAFF})
    if tokens:
        cursor.execute(
            "SELECT record_id FROM search_indexed_audience "
            f"WHERE token IN ({_placeholders(tokens)})",  # nosec B608: values bound as %s
            tokens,
        )
        allowed = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
        visible |= np.isin(ids, allowed)
    return visible


def _fixed(values: dict[str, np.ndarray], filters: Filters) -> np.ndarray:
    """The filters that are not facets (fixed_clauses, as arrays)."""
    mask = np.ones(len(values["id"]), dtype=bool)
    if filters.shared_focus:
        mask &= values["shared_focus"] == 1
    if filters.endorsed_only:
        mask &= values["endorsed"] == 1
    day = values["published_day"]
    if filters.published_from is not None:
        mask &= (day != MISSING) & (day >= filters.published_from.toordinal())
    if filters.published_to is not None:
        mask &= (day != MISSING) & (day <= filters.published_to.toordinal())
    return mask


def _chosen(
    facet: str, chosen: frozenset, ids: np.ndarray, values: dict[str, np.ndarray], columns: Columns
) -> np.ndarray:
    """Which ids have any of the facet's chosen values (facet_clause, as an array)."""
    if facet in BIT_FACETS:
        column, bits = BIT_FACETS[facet]
        return (values[column] & _bits(chosen, bits)) != 0
    if facet == "principle":
        wanted = np.isin(columns["principle"], _int_values(chosen))
        return np.isin(ids, columns["principle_record"][wanted])
    column = COLUMN_FACETS[facet]
    if facet in ID_FACETS:
        wanted = _int_values(chosen)
    else:
        wanted = [columns.code(column, str(value)) for value in chosen]
    return np.isin(values[column], np.array(wanted, dtype=np.int64))


def _decoded(
    facet: str, column: str, found: np.ndarray, counts: np.ndarray, columns: Columns
) -> dict:
    counted: dict = defaultdict(int)
    if facet in BIT_FACETS:
        # A count per bit pattern: each pattern's count goes to every value it holds.
        for pattern, count in zip(found.tolist(), counts.tolist(), strict=True):
            for name, bit in BIT_FACETS[facet][1].items():
                if pattern & bit:
                    counted[name] += count
        return counted
    coded = column in columns.codes
    names = {code: name for name, code in columns.codes.get(column, {}).items()}
    for value, count in zip(found.tolist(), counts.tolist(), strict=True):
        value = names.get(value, "") if coded else value
        if value not in (MISSING, ""):
            counted[value] += count
    return counted


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class DatabaseBackend:
    name = "database"

    # Writing

    def index(self, records: Iterable[SearchRecord]) -> None:
        records = list(records)
        with transaction.atomic():
            ensure_generation()
            self._lock([record.key for record in records])
            for batch in _chunks(records, BATCH_SIZE):
                # The last record with a key wins, as a later update would.
                latest = {record.key: record for record in batch}
                self._delete_keys(list(latest))
                self._insert(list(latest.values()))

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        with transaction.atomic():
            ensure_generation()
            self._lock(keys)
            for batch in _chunks(keys, BATCH_SIZE):
                self._delete_keys(batch)

    def _lock(self, keys: list[str] | None) -> None:
        """Take turns with other writers of these keys (None: of every key)."""
        buckets = range(LOCK_BUCKETS) if keys is None else {_lock_bucket(key) for key in keys}
        with connection.cursor() as cursor:
            dialect().lock_buckets(cursor, sorted(buckets))

    def rebuild(
        self, records: Iterable[SearchRecord], progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace everything in one transaction: readers see the old index until commit.
        progress(n) is told how many records have gone in so far, after each batch.

        Rows go in as plain multi-row statements with ids chosen here, continuing from the
        old highest: the ORM's bulk_create spent half a reindex compiling its SQL."""
        done = 0
        with transaction.atomic(), connection.cursor() as cursor:
            self._lock(None)  # an update under way finishes first; later ones wait for this
            new_generation()
            cursor.execute("SELECT MAX(id) FROM search_indexed_record")
            next_id = (cursor.fetchone()[0] or 0) + 1
            dialect().delete_text(cursor, None)
            for table in (
                "search_indexed_audience",
                "search_indexed_principle",
                "search_indexed_record",
                "search_removed_record",  # every process starts again: a new generation
            ):
                cursor.execute(f"DELETE FROM {table}")  # nosec B608: values bound as %s
            written: dict[str, int] = {}
            for batch in _chunks(records, REBUILD_BATCH_SIZE):
                latest = list({record.key: record for record in batch}.values())
                # A key given twice: the later record replaces the earlier, as in index().
                again = [written[record.key] for record in latest if record.key in written]
                if again:
                    self._delete_ids(again)
                ids = list(range(next_id, next_id + len(latest)))
                next_id += len(latest)
                self._write_records(cursor, latest, ids)
                self._write_side(cursor, latest, ids)
                written.update(zip((record.key for record in latest), ids, strict=True))
                done += len(latest)
                if progress is not None:
                    progress(done)
            if connection.vendor == "postgresql":
                # Ids were chosen here: move the sequence past them for later inserts.
                for statement in connection.ops.sequence_reset_sql(no_style(), [IndexedRecord]):
                    cursor.execute(statement)
                # Fresh statistics now, not when autovacuum gets round to it: with none, the
                # first searches after a rebuild were measured 5-10 times slower.
                cursor.execute(
                    f"ANALYZE {TEXT_TABLE}, {DISPLAY_TABLE}, search_indexed_record, "
                    "search_indexed_audience, search_indexed_principle"
                )
        return done

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(KINDS, 0)
        with connection.cursor() as cursor:
            cursor.execute("SELECT kind, COUNT(*) FROM search_indexed_record GROUP BY kind")
            counts.update(dict(cursor.fetchall()))
        return counts

    def _delete_keys(self, keys: list[str]) -> None:
        ids = list(IndexedRecord.objects.filter(key__in=keys).values_list("id", flat=True))
        if ids:
            self._delete_ids(ids)

    def _delete_ids(self, ids: list[int]) -> None:
        # Plain deletes: the side tables are ours alone, so no cascade needs collecting.
        with connection.cursor() as cursor:
            dialect().delete_text(cursor, ids)
            for table, column in (
                ("search_indexed_audience", "record_id"),
                ("search_indexed_principle", "record_id"),
                ("search_indexed_record", "id"),
            ):
                cursor.execute(
                    f"DELETE FROM {table} "  # nosec B608: values bound as %s
                    f"WHERE {column} IN ({_placeholders(ids)})",
                    ids,
                )
            # Told to the processes holding common words' matches (search.backends.matches).
            cursor.executemany(
                "INSERT INTO search_removed_record (record_id) VALUES (%s)", [(pk,) for pk in ids]
            )
            cursor.execute(
                "DELETE FROM search_removed_record "
                "WHERE id <= (SELECT MAX(id) FROM search_removed_record) - %s",
                [matches.REMOVALS_KEPT],
            )

    def _insert(self, records: list[SearchRecord]) -> None:
        tz = timezone.get_current_timezone()
        rows = IndexedRecord.objects.bulk_create(
            [IndexedRecord(**_record_values(record, tz)) for record in records]
        )
        ids = [row.id for row in rows]
        with connection.cursor() as cursor:
            # A table flushed by a test (or emptied by hand) can leave words under a reused id.
            dialect().delete_text(cursor, ids)
            self._write_side(cursor, records, ids)

    @staticmethod
    def _write_records(cursor, records: list[SearchRecord], ids: list[int]) -> None:
        tz = timezone.get_current_timezone()
        adapt = connection.ops.adapt_datetimefield_value
        rows = []
        for pk, record in zip(ids, records, strict=True):
            values = _record_values(record, tz)
            values["published_at"] = adapt(values["published_at"])
            rows.append((pk, *values.values()))
        names = ", ".join(["id", *RECORD_COLUMNS])
        cursor.executemany(
            f"INSERT INTO search_indexed_record ({names}) "  # nosec B608: values bound as %s
            f"VALUES ({_placeholders(rows[0])})",
            rows,
        )

    @staticmethod
    def _write_side(cursor, records: list[SearchRecord], ids: list[int]) -> None:
        """The words, audience tokens and principles of records whose rows have these ids."""
        dialect().insert_text(
            cursor,
            [
                (
                    pk,
                    _clean(record.title),
                    _clean(record.summary),
                    _clean(", ".join(record.tags)),
                    _clean(record.curriculum),
                    _clean(record.body),
                    _clean(record.author),
                )
                for pk, record in zip(ids, records, strict=True)
            ],
        )
        tokens = [
            (pk, token)
            for pk, record in zip(ids, records, strict=True)
            for token in dict.fromkeys(record.audience)
            if token != STAFF
        ]
        if tokens:
            cursor.executemany(
                "INSERT INTO search_indexed_audience (record_id, token) VALUES (%s, %s)", tokens
            )
        principles = [
            (pk, principle)
            for pk, record in zip(ids, records, strict=True)
            for principle in dict.fromkeys(record.principles)
        ]
        if principles:
            cursor.executemany(
                "INSERT INTO search_indexed_principle (record_id, principle) VALUES (%s, %s)",
                principles,
            )

    # Reading

    def search(self, request: SearchRequest, audience: Audience) -> SearchResults:
        groups = text_groups(request)
        engine = dialect()
        join, text = engine.match(groups) if groups else ("", Clause("", []))
        base = _joined([text, audience_clause(audience), *fixed_clauses(request.filters)])
        chosen = {
            facet: facet_clause(facet, request.filters.chosen(facet))
            for facet in FACETS
            if request.filters.chosen(facet)
        }
        with connection.cursor() as cursor:
            total, facets, passing = self._facets(cursor, engine, groups, audience, request.filters)
            records: list[IndexedRecord] = []
            for ids, tier, offset, limit in self._tiers(engine, request, groups, passing):
                only = engine.only(ids)
                where = _joined([text, only] if only else [base, *chosen.values()])
                if tier is not None:
                    where = _joined([where, tier])
                records += self._page(cursor, engine, request, groups, join, where, offset, limit)
            hits = self._hits(cursor, engine, records, groups)
        return SearchResults(
            hits=hits,
            total=total,
            facets=facets,
            page=request.page,
            page_size=request.page_size,
            backend=self.name,
        )

    def _facets(
        self, cursor, engine: Dialect, groups: Groups, audience: Audience, filters: Filters
    ) -> tuple[int, dict[str, list[FacetCount]], np.ndarray]:
        """The total, every facet's counts and the ids that pass everything, from the ids
        matching the text and the in-memory columns (see search.backends.columns): each facet
        counts the matches that pass every other chosen facet."""
        ids = matches.matched_ids(cursor, engine, groups)
        columns = columns_for(cursor, ids)
        gone = columns.unheld(ids)  # deleted since the match was read
        if len(gone):
            ids = ids[~np.isin(ids, gone)]
        rows = columns.positions(ids)
        values = {name: columns[name][rows] for name in COLUMNS}
        allowed = _visible(cursor, ids, values, audience) & _fixed(values, filters)
        chosen = {
            facet: _chosen(facet, filters.chosen(facet), ids, values, columns)
            for facet in FACETS
            if filters.chosen(facet)
        }

        def others(facet: str | None) -> np.ndarray:
            mask = allowed
            for other, flags in chosen.items():
                if other != facet:
                    mask = mask & flags
            return mask

        passing = ids[others(None)]
        counted: dict[str, dict] = {}
        for facet in FACETS:
            mask = others(facet)
            if facet == "principle":
                held = np.isin(columns["principle_record"], ids[mask])
                found, counts = np.unique(columns["principle"][held], return_counts=True)
                counted[facet] = dict(zip(found.tolist(), counts.tolist(), strict=True))
                continue
            column = BIT_FACETS[facet][0] if facet in BIT_FACETS else COLUMN_FACETS[facet]
            found, counts = np.unique(values[column][mask], return_counts=True)
            counted[facet] = _decoded(facet, column, found, counts, columns)
        facets = {
            facet: [
                FacetCount(value, count)
                for value, count in sorted(
                    counted[facet].items(), key=lambda item: (-item[1], item[0])
                )
                if count
            ]
            for facet in FACETS
        }
        return len(passing), facets, passing

    @staticmethod
    def _tiers(
        engine: Dialect, request: SearchRequest, groups: Groups, passing: np.ndarray
    ) -> list[tuple[np.ndarray, Clause | None, int, int]]:
        """The parts of the page: (ids, the range of the words index they are in, offset, limit).

        Ranking every match of a word on most records cost most of a search in a big trust,
        so beyond RANK_TIER matches the newest RANK_TIER are ranked first, then the older
        ones after them: each part in one query, counts and facets untouched."""
        offset, size = max(0, request.offset), max(1, request.page_size)
        if not passing.size:
            return []
        if not groups:
            return [(passing, None, offset, size)]

        def span(ids: np.ndarray) -> Clause:
            # Matches outside the passing ids' range cannot pass: the words index skips them
            # (in a bench trust, every thread indexed after the resources a filter keeps).
            return Clause(f"{engine.TEXT_ID} BETWEEN %s AND %s", [int(ids[0]), int(ids[-1])])

        if not _by_relevance(request, groups) or len(passing) <= RANK_TIER:
            return [(passing, span(passing), offset, size)]
        # Ids are in the order records were indexed.
        newest, older = passing[-RANK_TIER:], passing[:-RANK_TIER]
        parts = []
        if offset < RANK_TIER:
            parts.append((newest, span(newest), offset, min(size, RANK_TIER - offset)))
        if offset + size > RANK_TIER:
            start = max(offset, RANK_TIER)
            parts.append((older, span(older), start - RANK_TIER, offset + size - start))
        return parts

    def _page(
        self,
        cursor,
        engine: Dialect,
        request: SearchRequest,
        groups: Groups,
        join: str,
        where: Clause,
        offset: int,
        limit: int,
    ) -> list[IndexedRecord]:
        if _by_relevance(request, groups):
            score, order = self._score(engine), "score DESC, e.key"
        else:
            score = "0"
            order = {"downloads": "e.downloads DESC, e.published_ts DESC, e.key"}.get(
                request.sort, "e.published_ts DESC, e.key"
            )
        return _records(
            f"SELECT {WHOLE_RECORD}, {score} AS score FROM search_indexed_record e {join} "
            f"WHERE {where.sql} ORDER BY {order} "
            "LIMIT %s OFFSET %s",  # nosec B608: values bound as %s
            [*(self._score_params() if score != "0" else []), *where.params, limit, offset],
        )

    def _score(self, engine: Dialect) -> str:
        recency = engine.greatest("0.0", f"1.0 - (%s - e.published_ts) / {RECENT_DAYS * 86400.0}")
        return (
            f"{engine.score()} * (CASE WHEN e.endorsed THEN {ENDORSED_BOOST} ELSE 1.0 END) "
            f"* (1.0 + {RECENT_BOOST} * {recency})"
        )

    @staticmethod
    def _score_params() -> list:
        return [time.time()]

    def _hits(
        self, cursor, engine: Dialect, records: list[IndexedRecord], groups: Groups
    ) -> list[Hit]:
        if not records:
            return []
        ids = [record.pk for record in records]
        marked = engine.highlights(cursor, ids, groups) if groups else {}
        return [_hit(record, marked.get(record.pk)) for record in records]

    def suggest(self, prefix: str, audience: Audience, limit: int = 8) -> list[Hit]:
        typed = words(prefix)[-6:]
        if not typed or limit <= 0:
            return []
        engine = dialect()
        matched = engine.prefix_match(typed[:-1], typed[-1])
        if matched is None:
            return []
        where = _joined([matched, audience_clause(audience)])
        with connection.cursor() as cursor:
            # Best first: endorsed, then most used, then newest.
            records = _records(
                f"SELECT {WHOLE_RECORD} FROM search_indexed_record e WHERE {where.sql} "
                "ORDER BY e.endorsed DESC, e.downloads DESC, e.published_ts DESC, e.key "
                "LIMIT %s",  # nosec B608: values bound as %s
                [*where.params, limit],
            )
            groups = [[(word,)] for word in typed]
            return self._hits(cursor, engine, records, groups)

    def more_like_this(self, key: str, audience: Audience, limit: int = 5) -> list[Hit]:
        if limit <= 0:
            return []
        engine = dialect()
        with connection.cursor() as cursor:
            found = engine.like_text(cursor, key)
            if found is None:
                return []
            record_id, key_stages, text = found
            terms = _distinctive(text)
            if not terms:
                return []
            join, match = engine.like_match(terms)
            where = _joined(
                [
                    match,
                    audience_clause(audience),
                    Clause("e.kind = %s", [RESOURCE]),
                    Clause("e.id <> %s", [record_id]),
                ]
            )
            score = f"{self._score(engine)} * {SAME_KEY_STAGE}"
            # The window is read newest first (in an order the database has an index for) and
            # scored row by row; only then are its rows sorted by score.
            records = _records(
                f"SELECT * FROM (SELECT {WHOLE_RECORD}, {score} AS score "
                f"FROM search_indexed_record e {join} WHERE {where.sql} "
                f"ORDER BY {engine.LIKE_NEWEST} LIMIT %s) AS newest "
                "ORDER BY score DESC, key LIMIT %s",  # nosec B608: values bound as %s
                [*self._score_params(), key_stages, *where.params, LIKE_WINDOW, limit],
            )
            return self._hits(cursor, engine, records, [])


# The record's own columns, so that a ranking query returns whole records (no second query).
WHOLE_RECORD = ", ".join(f"e.{field.column}" for field in IndexedRecord._meta.concrete_fields)


def _by_relevance(request: SearchRequest, groups: Groups) -> bool:
    """Whether the page is ordered by how well it matches (words asked, no other order)."""
    return bool(groups) and request.sort not in ("newest", "downloads")


def _records(sql: str, params: list) -> list[IndexedRecord]:
    return list(IndexedRecord.objects.raw(sql, params))


def _distinctive(text: dict[str, str]) -> list[str]:
    """The record's words most worth matching: not function words or the curriculum's,
    weighted by where they appear (title first). Rarity across the index is left to the
    ranking (bm25's IDF)."""
    weights: dict[str, int] = defaultdict(int)
    for field, weight in LIKE_WEIGHTS:
        for word in words(text.get(field) or ""):
            if word in STOP_WORDS or word in CURRICULUM_WORDS:
                continue
            if len(word) > 2 or word.isdigit():
                weights[word] += weight
    ranked = sorted(weights.items(), key=lambda item: -item[1])
    return [word for word, _ in ranked[:LIKE_WORDS]]


def _hit(record: IndexedRecord, marked: tuple[str, ...] | None) -> Hit:
    title_html = escape(record.title)
    snippet = escape(_shortened(record.summary))
    if marked is not None:
        title, body, summary = (part or "" for part in marked)
        if START in title:
            title_html = _marked(title)
        if START in body:
            snippet = _marked(body)
        elif START in summary:
            snippet = _marked(summary)
    return Hit(
        kind=record.kind,
        pk=record.object_pk,
        title=record.title,
        url=record.url,
        snippet=snippet,
        title_html=title_html,
        published_at=record.published_at,
        endorsed=record.endorsed,
        year_groups=tuple(filter(None, record.year_groups.split(","))),
        subject=record.subject,
        resource_type=record.resource_type,
        school=record.school,
        network=record.network,
    )


def _shortened(text: str) -> str:
    if len(text) <= SUMMARY_CHARACTERS:
        return text
    return text[:SUMMARY_CHARACTERS].rsplit(" ", 1)[0] + "…"

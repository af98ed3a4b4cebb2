"""The database backend's facet columns, held in memory as arrays.

Counting facets in SQL means joining every match to its record row and grouping it once per
facet: for a word most resources contain ("pupils"), that is most of a search's time. Here the
filter columns of every indexed record are kept per process as NumPy arrays sorted by id, so a
search asks the database only for the ids that match its text (one cheap scan of the words
index) and counts every facet from the arrays.

Rows of `search_indexed_record` are never changed in place: any change to a record deletes its
row and inserts a new one under a new id, and ids are never reused (AUTOINCREMENT on SQLite, a
sequence on PostgreSQL). So a cached row stays true for as long as its id exists, and the cache
only ever needs to add the ids it has not seen; ids come from live queries, so deleted rows are
simply never asked for. Two things break that promise, and both change the index state's
generation, which every search reads first: a rebuild (everything replaced at once, so the
cache starts again instead of growing) and emptying the tables by hand or by `flush` (which
also deletes the state row and may reset the id sequences).

Inside a transaction a search may see rows that are later rolled back (and on SQLite their ids
then reused), so there it reads a private copy and leaves the shared cache alone.
"""

import threading
import uuid
from dataclasses import dataclass, field, replace

import numpy as np
from django.db import connection

from search.models import IndexState

# Columns read for each record, in order; text columns become small integer codes.
COLUMNS = (
    "id", "kind", "subject", "resource_type", "school", "network", "year_bits",
    "key_stage_bits", "phase_bits", "public", "shared_focus", "endorsed", "published_day",
)  # fmt: skip
CODED = ("kind", "resource_type")
MISSING = -1  # a null subject, school, network or day
# Dead rows are counted each time the rows held grow by half; below this, never.
GROWTH = 1.5
MINIMUM_CHECK = 10_000
NOTHING = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class Columns:
    """Every record's filter columns as arrays sorted by id (plus "principle_record" and
    "principle": one pair per record and principle). A new object after every change, so a
    search holding one never sees it half-updated."""

    generation: str | None = None
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    # Text value → code, per coded column.
    codes: dict[str, dict[str, int]] = field(default_factory=lambda: {c: {} for c in CODED})
    # How many rows were held when dead rows were last counted (see _compacted).
    checked_at: int = 0
    # Ids that matched but had no row when read (deleted in between, or words left behind by
    # a table emptied by hand): ids are never reused, so they are not read for again.
    absent: np.ndarray = field(default_factory=lambda: NOTHING)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays.get(name, NOTHING)

    def missing(self, ids: np.ndarray) -> np.ndarray:
        """The ids not held, leaving out those already found to have no row."""
        return _not_in(_not_in(ids, self["id"]), self.absent)

    def unheld(self, ids: np.ndarray) -> np.ndarray:
        return _not_in(ids, self["id"])

    def positions(self, ids: np.ndarray) -> np.ndarray:
        """Where each id's row is (every id must be held)."""
        return np.searchsorted(self["id"], ids)

    def code(self, column: str, value: str) -> int:
        return self.codes[column].get(value, MISSING - 1)

    def with_rows_for(self, cursor, wanted: np.ndarray) -> "Columns":
        """A copy holding the wanted ids' rows, or noting that they have none."""
        if not len(wanted):
            return self
        read = self.with_rows_from(cursor, int(wanted.min()))
        gone = _not_in(wanted, read["id"])
        return replace(read, absent=np.union1d(self.absent, gone)) if len(gone) else read

    def with_rows_from(self, cursor, first: int) -> "Columns":
        """A copy with every row whose id is `first` or more read again from the database
        (rows committed out of id order on PostgreSQL can land below ids already held)."""
        cursor.execute(
            f"SELECT {', '.join(COLUMNS)} "  # nosec B608: values bound as %s
            "FROM search_indexed_record WHERE id >= %s ORDER BY id",
            [first],
        )
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT record_id, principle FROM search_indexed_principle "
            "WHERE record_id >= %s ORDER BY record_id",
            [first],
        )
        pairs = cursor.fetchall()
        codes = {column: dict(values) for column, values in self.codes.items()}
        fetched = _arrays(rows, codes)
        fetched["principle_record"] = np.array([pair[0] for pair in pairs], dtype=np.int64)
        fetched["principle"] = np.array([pair[1] for pair in pairs], dtype=np.int64)
        if not self.arrays:
            return Columns(
                self.generation, fetched, codes, checked_at=max(len(rows), MINIMUM_CHECK)
            )
        kept = self.arrays["id"] < first
        kept_pairs = self.arrays["principle_record"] < first
        arrays = {
            name: np.concatenate(
                [known[kept_pairs if name.startswith("principle") else kept], fetched[name]]
            )
            for name, known in self.arrays.items()
        }
        return Columns(
            self.generation, arrays, codes, checked_at=self.checked_at, absent=self.absent
        )


def _not_in(ids: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    if not len(sorted_ids) or not len(ids):
        return ids
    positions = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return ids[sorted_ids[positions] != ids]


def _arrays(rows: list[tuple], codes: dict[str, dict[str, int]]) -> dict[str, np.ndarray]:
    by_column = list(zip(*rows, strict=True)) if rows else [() for _ in COLUMNS]
    arrays = {}
    for name, values in zip(COLUMNS, by_column, strict=True):
        if name in CODED:
            known = codes[name]
            values = [known.setdefault(value or "", len(known)) for value in values]
        else:
            values = [MISSING if value is None else int(value) for value in values]
        arrays[name] = np.array(values, dtype=np.int64)
    return arrays


_shared = Columns()
_lock = threading.Lock()


def generation(cursor) -> str | None:
    cursor.execute("SELECT generation FROM search_index_state WHERE id = 1")
    row = cursor.fetchone()
    return row[0] if row else None


def new_generation() -> None:
    """Tell every process's cache to start again (after a rebuild)."""
    IndexState.objects.update_or_create(pk=1, defaults={"generation": uuid.uuid4().hex})


def ensure_generation() -> None:
    """Give the index a generation if it has none (a fresh or flushed database)."""
    IndexState.objects.get_or_create(pk=1, defaults={"generation": uuid.uuid4().hex})


def columns_for(cursor, ids: np.ndarray) -> Columns:
    """Columns holding every one of these ids (which the caller has just read from the
    database)."""
    if connection.in_atomic_block:
        return Columns(generation(cursor)).with_rows_from(cursor, 0)
    global _shared
    with _lock:
        current = generation(cursor)
        if current != _shared.generation:
            _shared = Columns(current)
        missing = _shared.missing(ids)
        if len(missing):
            _shared = _shared.with_rows_for(cursor, missing)
            if len(_shared["id"]) > _shared.checked_at * GROWTH:
                _shared = _compacted(cursor, _shared)
        return _shared


def _compacted(cursor, held: Columns) -> Columns:
    """Start again once most rows held are of deleted records: every post re-indexes its
    thread under a new id, so a busy forum would otherwise grow the cache without end."""
    cursor.execute("SELECT COUNT(*) FROM search_indexed_record")
    live = cursor.fetchone()[0]
    if len(held["id"]) > live * GROWTH:
        held = Columns(held.generation).with_rows_from(cursor, 0)
    return replace(held, checked_at=max(len(held["id"]), MINIMUM_CHECK))


def forget() -> None:
    """Drop this process's cache (tests, and after a rebuild in this process)."""
    global _shared
    with _lock:
        _shared = Columns()

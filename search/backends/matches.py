"""The ids matching a very common word (or every id, for a search with no words), kept per
process and brought up to date by each search.

A word on most records ("lesson" is on 88% of the full trust's) matches over 100,000 ids, and
every search for it reads them all to count its facets. FTS5 does that in about 11 ms; on
PostgreSQL the words index names the matching rows but each row must still be visited for its
id: 100-160 ms at 100,000 resources, and most of the database's work under the mixed load. So
a large set is kept, and each search brings it up to date instead of reading it again:
records are never changed in place (a change removes the row and writes a new one under a
higher id, see columns.py), so it reads the matches among ids written since, and drops the ids
removed since (search_removed_record, written with each removal). New, changed and removed
records therefore count at once.

"Since" needs care on PostgreSQL, where two writers can commit out of order: an id numbered
before the highest one seen may commit just after it was seen. So each update reads from a
point at least SETTLE_SECONDS old, not from the last one, and an index write (one short
transaction after the change commits, see search.indexing) is long finished by then. A write
that took longer still is caught when the set is read whole again, after KEEP_SECONDS. SQLite
has one writer at a time, so there ids commit in order.

Inside a transaction a search reads everything afresh and keeps nothing, as the columns do.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from django.db import connection

KEEP_SECONDS = 300.0
SETTLE_SECONDS = 30.0
LARGE = 20_000  # ids; smaller sets are read afresh each time (a few ms)
# Ids held per process, all sets together: 4,000,000 ids is 32 MB. The generated full trust's
# 29 common words match 121,000-128,000 ids each, 3.6 million together (measured 2026-11-27).
HELD_IDS = 4_000_000
# Removals remembered (the writer forgets older ones): far more than half a minute's worth.
REMOVALS_KEPT = 10_000


@dataclass(frozen=True)
class _State:
    """Where the index was at a moment."""

    generation: str | None
    newest_record: int  # the highest record id then
    newest_removal: int  # the last removal numbered then


@dataclass(frozen=True)
class _Held:
    ids: np.ndarray  # sorted
    read_at: float  # when the whole set was read
    # (when, state) of the read and of each update since, oldest first; the first is where
    # the next update reads from: the newest at least SETTLE_SECONDS old, or the read's own.
    states: tuple[tuple[float, _State], ...]


_held: OrderedDict[str, _Held] = OrderedDict()
_lock = threading.Lock()


def matched_ids(cursor, engine, groups) -> np.ndarray:
    """The sorted ids whose words match the groups, or every id if there are none (see
    Dialect.matched_ids and every_id)."""

    def read(after: int) -> np.ndarray:
        if groups:
            return engine.matched_ids(cursor, groups, after)
        return engine.every_id(cursor, after)

    if connection.in_atomic_block:
        return read(0)
    key = f"{connection.alias}:{groups!r}"
    with _lock:
        held = _held.get(key)
    now = time.monotonic()
    if held is not None and now - held.read_at <= KEEP_SECONDS:
        updated = _brought_up_to_date(cursor, read, held, now)
        if updated is not None:
            _keep(key, updated)
            return updated.ids
    state = _state(cursor)  # before the read: what happens after it is caught up with later
    ids = read(0)
    if len(ids) >= LARGE:
        _keep(key, _Held(ids, now, ((now, state),)))
    else:
        with _lock:
            _held.pop(key, None)
    return ids


def _brought_up_to_date(cursor, read, held: _Held, now: float) -> _Held | None:
    """The held set with the removals and matches since, or None if it must be read whole
    (the index was rebuilt or emptied, or removals it missed are no longer remembered)."""
    since, latest = held.states[0][1], _state(cursor)
    # The writer forgets all but the newest REMOVALS_KEPT: more since, and some are gone.
    forgotten = latest.newest_removal - since.newest_removal > REMOVALS_KEPT
    if latest.generation != since.generation or forgotten:
        return None
    ids = held.ids
    if latest.newest_removal > since.newest_removal:
        cursor.execute(
            "SELECT record_id FROM search_removed_record WHERE id > %s AND id <= %s",
            [since.newest_removal, latest.newest_removal],
        )
        removed = np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)
        ids = ids[~np.isin(ids, removed)]
    if latest.newest_record > since.newest_record:
        # union1d: ids read by an earlier update (or written between reading the state and
        # reading the words) come back again.
        ids = np.union1d(ids, read(since.newest_record))
    states = (*held.states, (now, latest))
    while len(states) > 1 and now - states[1][0] >= SETTLE_SECONDS:
        states = states[1:]
    return _Held(ids, held.read_at, states)


def _state(cursor) -> _State:
    cursor.execute(
        "SELECT (SELECT generation FROM search_index_state WHERE id = 1), "
        "(SELECT COALESCE(MAX(id), 0) FROM search_indexed_record), "
        "(SELECT COALESCE(MAX(id), 0) FROM search_removed_record)"
    )
    return _State(*cursor.fetchone())


def _keep(key: str, held: _Held) -> None:
    with _lock:
        _held[key] = held
        _held.move_to_end(key)
        while len(_held) > 1 and sum(len(kept.ids) for kept in _held.values()) > HELD_IDS:
            _held.popitem(last=False)


def forget() -> None:
    """Drop every kept set (tests, and a bench moving to another database)."""
    with _lock:
        _held.clear()

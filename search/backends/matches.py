"""The ids matching a very common word, kept for a few seconds per process.

A word on most records ("lesson" is on 88% of the full trust's) matches over 100,000 ids, and
every search for it reads them all to count its facets. FTS5 does that in about 11 ms; on
PostgreSQL the words index names the matching rows but each row must still be visited for its
id: 100-160 ms at 100,000 resources, and most of the database's work under the mixed load. So
a large set is kept for up to KEEP_SECONDS, and each search in that time brings it up to date
instead: records are never changed in place (a change removes the row and writes a new one
under a higher id, see columns.py), so it reads the matches among ids written since, and drops
the ids removed since (search_removed_record, written with each removal). New, changed and
removed records therefore count at once. The time bounds one case only: a write that
committed after a later one had been read (two writers at the same moment) is missed until the
set is read whole again.

Inside a transaction a search reads everything afresh and keeps nothing, as the columns do.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np
from django.db import connection

KEEP_SECONDS = 5.0
LARGE = 20_000  # ids; smaller sets are read afresh each time (a few ms)
HELD = 16  # sets per process: 16 x 145,000 ids is 19 MB at most
# Removals remembered (the writer forgets older ones): far more than a few seconds' worth.
REMOVALS_KEPT = 10_000


@dataclass(frozen=True)
class _State:
    """Where the index was when a set was read or last brought up to date."""

    generation: str | None
    newest_record: int  # the highest record id then
    newest_removal: int  # the last removal numbered then


@dataclass(frozen=True)
class _Held:
    ids: np.ndarray  # sorted
    state: _State
    read_at: float  # when the whole set was read


_held: OrderedDict[str, _Held] = OrderedDict()
_lock = threading.Lock()


def matched_ids(cursor, engine, groups) -> np.ndarray:
    """The sorted ids whose words match the groups (see Dialect.matched_ids)."""
    if connection.in_atomic_block:
        return engine.matched_ids(cursor, groups)
    key = f"{connection.alias}:{groups!r}"
    with _lock:
        held = _held.get(key)
    now = time.monotonic()
    if held is not None and now - held.read_at <= KEEP_SECONDS:
        updated = _brought_up_to_date(cursor, engine, groups, held)
        if updated is not None:
            _keep(key, updated)
            return updated.ids
    state = _state(cursor)  # before the read: what happens after it is caught up with later
    ids = engine.matched_ids(cursor, groups)
    if len(ids) >= LARGE:
        _keep(key, _Held(ids, state, now))
    else:
        with _lock:
            _held.pop(key, None)
    return ids


def _brought_up_to_date(cursor, engine, groups, held: _Held) -> _Held | None:
    """The held set with the removals and matches since, or None if it must be read whole
    (the index was rebuilt or emptied, or removals it missed are no longer remembered)."""
    was, now = held.state, _state(cursor)
    # The writer forgets all but the newest REMOVALS_KEPT: more since, and some are gone.
    forgotten = now.newest_removal - was.newest_removal > REMOVALS_KEPT
    if now.generation != was.generation or forgotten:
        return None
    ids = held.ids
    if now.newest_removal > was.newest_removal:
        cursor.execute(
            "SELECT record_id FROM search_removed_record WHERE id > %s AND id <= %s",
            [was.newest_removal, now.newest_removal],
        )
        removed = np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)
        ids = ids[~np.isin(ids, removed)]
    if now.newest_record > was.newest_record:
        # union1d: a record written between reading the state and reading its words comes
        # back next time too.
        ids = np.union1d(ids, engine.matched_ids(cursor, groups, after=was.newest_record))
    return replace(held, ids=ids, state=now)


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
        while len(_held) > HELD:
            _held.popitem(last=False)


def forget() -> None:
    """Drop every kept set (tests, and a bench moving to another database)."""
    with _lock:
        _held.clear()

"""Keeping the search indexes in step with the database.

Anything that changes what a record says, or who may see it, queues the record's key
("resource:42"). Keys are gathered per transaction and acted on once it commits, so a
rolled-back change touches no index and several changes to one record in a transaction cost
one update. At commit:

1. The database backend is updated at once: each key's record is rebuilt from the database
   (no row, or a builder answering None, means the record is deleted). It must always be
   current, because it answers searches while Elasticsearch is down.
2. When Elasticsearch is configured, a `PendingIndexUpdate` row is written for each key and a
   background task sends the pending rows in bulk, deleting them once sent. If Elasticsearch
   cannot be reached the rows stay, with their attempts and last error, and are sent by the
   next run (every later save starts one; `manage.py search_index replay` for cron).

The sender rebuilds each record from the database when it sends, never from what was queued,
so a row replayed hours later still sends the current state, and several rows for one key
are sent as one update.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F

from search import records as searchable
from search.backends import database_backend, elasticsearch_backend
from search.backends.base import SearchBackend, SearchUnavailable
from search.models import PendingIndexUpdate
from search.query import NEWS, PAGE, PRINCIPLE, RESOURCE, THREAD

logger = logging.getLogger(__name__)

PAGE_KINDS = frozenset({NEWS, PRINCIPLE, PAGE})
KINDS = frozenset({RESOURCE, THREAD}) | PAGE_KINDS
# Keys rebuilt and sent per round trip: large enough for bulk requests to pay off, small
# enough that a network turning private does not hold thousands of records in memory.
BATCH_SIZE = searchable.BATCH_SIZE
# After Elasticsearch fails to answer, automatic sends wait this long before trying again,
# so that with the immediate task backend saves do not each wait for a connection timeout.
RETRY_AFTER_SECONDS = 30.0
ERROR_LENGTH = 500


# Keys.


def record_key(kind: str, pk: int) -> str:
    return f"{kind}:{pk}"


def parse_key(key: str) -> tuple[str, int]:
    kind, _, pk = key.partition(":")
    if kind not in KINDS or not pk.isdigit():
        raise ValueError(f"Not a search record key: {key!r}")
    return kind, int(pk)


def _is_key(key: str) -> bool:
    try:
        parse_key(key)
    except ValueError:
        return False
    return True


def page_key(page) -> str:
    """The key of a Wagtail page's record, from its content type (no query for the specific
    page), so a generic `Page` and its specific page give the same key."""
    from cms.models import NewsPage, PrinciplePage

    specific = page.specific_class
    if specific is not None and issubclass(specific, NewsPage):
        kind = NEWS
    elif specific is not None and issubclass(specific, PrinciplePage):
        kind = PRINCIPLE
    else:
        kind = PAGE
    return record_key(kind, page.pk)


# Gathering keys per transaction.


@dataclass(eq=False)
class _Batch:
    keys: set[str] = field(default_factory=set)

    def run(self) -> None:
        # Every queue call registers this; the first to run after commit takes all the keys,
        # the rest find none. Keys from a rolled-back savepoint may ride along: harmless, as
        # each record is rebuilt from what was committed.
        keys, self.keys = self.keys, set()
        if keys:
            apply_changes(keys)


def queue_record(key: str) -> None:
    queue_records([key])


def queue_records(keys: Iterable[str], *, using: str | None = None) -> None:
    """Update the indexes for these keys once the current transaction commits (at once
    outside a transaction); nothing happens if it rolls back."""
    keys = set(keys)
    for key in keys:
        parse_key(key)
    if not keys:
        return
    connection = transaction.get_connection(using)
    batch = getattr(connection, "search_batch", None)
    if batch is None or not _awaiting_commit(connection, batch):
        # None of the batch's hooks is pending: it ran, or its transaction rolled back.
        batch = connection.search_batch = _Batch()
    batch.keys |= keys
    # A hook per call, not per batch, so that the keys are acted on whichever hooks survive
    # savepoint rollbacks. Robust: the change is committed by then, and failing to index it
    # must not turn the request that made it into an error.
    transaction.on_commit(batch.run, using=using, robust=True)


def queue_file_text(version_pk: int) -> None:
    """Re-index the resource whose file version's text was just read: extraction saves with
    `QuerySet.update`, which sends no signal."""
    from resources.models import ResourceFile

    resource_ids = ResourceFile.objects.filter(versions__pk=version_pk).values_list(
        "resource_id", flat=True
    )
    queue_records(record_key(RESOURCE, pk) for pk in resource_ids)


def _awaiting_commit(connection, batch: _Batch) -> bool:
    """Whether one of the batch's commit hooks is still registered: a rolled-back savepoint
    or transaction drops them, and then a fresh batch is needed."""
    # From the end: the latest hook is usually this batch's, so a transaction that queues
    # thousands of keys (a thread deleted with its posts) does not scan thousands of hooks.
    hooks = getattr(connection, "run_on_commit", ())
    return any(entry[1] == batch.run for entry in reversed(hooks))


# Acting on committed keys.


def elasticsearch_configured() -> bool:
    return bool(settings.ELASTICSEARCH_URL)


def apply_changes(keys: Iterable[str]) -> None:
    """Bring the database backend up to date with these keys now and, when Elasticsearch is
    configured, queue them for it and start a send."""
    keys = sorted(set(keys))
    if not keys:
        return
    indexed: list[str] = []
    deleted: list[str] = []
    try:
        indexed, deleted = update_backend(database_backend(), keys)
    except Exception:
        # Logged, not raised: the change is committed. `search_index status` shows the drift
        # and `search_index rebuild --backend database` repairs it.
        logger.exception("Could not update the database search index for %d records", len(keys))
    if not elasticsearch_configured():
        return
    # What the database backend did says what Elasticsearch needs (a record may have come
    # back under another key: a page's kind follows its class).
    actions = dict.fromkeys([*keys, *indexed], PendingIndexUpdate.Action.INDEX)
    actions.update(dict.fromkeys(deleted, PendingIndexUpdate.Action.DELETE))
    PendingIndexUpdate.objects.bulk_create(
        [PendingIndexUpdate(key=key, action=action) for key, action in actions.items()],
        batch_size=BATCH_SIZE,
    )
    from search.tasks import send_pending_updates

    try:
        send_pending_updates.enqueue()
    except Exception:
        # The rows are kept: the next save or `search_index replay` sends them.
        logger.exception("Could not start sending pending search updates")


def update_backend(backend: SearchBackend, keys: Iterable[str]) -> tuple[list[str], list[str]]:
    """Rebuild each key's record from the database and index it, or delete it when it is no
    longer searchable; answers the keys indexed and the keys deleted."""
    indexed: list[str] = []
    deleted: list[str] = []
    for records, gone in records_for(keys):
        if records:
            backend.index(records)
            indexed += [record.key for record in records]
        if gone:
            backend.delete(gone)
            deleted += gone
    return indexed, deleted


def records_for(
    keys: Iterable[str],
) -> Iterator[tuple[list[searchable.SearchRecord], list[str]]]:
    """In batches: the current records of these keys, and the keys that have none."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for key in dict.fromkeys(keys):
        kind, _ = parse_key(key)
        by_kind["page" if kind in PAGE_KINDS else kind].append(key)
    sources = {
        RESOURCE: (searchable.indexed_resources, searchable.resource_record),
        THREAD: (searchable.indexed_threads, searchable.thread_record),
        "page": (searchable.indexed_pages, searchable.page_record),
    }
    for group, group_keys in by_kind.items():
        queryset, build = sources[group]
        for start in range(0, len(group_keys), BATCH_SIZE):
            wanted = group_keys[start : start + BATCH_SIZE]
            ids = {parse_key(key)[1] for key in wanted}
            records = []
            for item in queryset().filter(pk__in=ids):
                record = build(item)
                if record is not None:
                    records.append(record)
            found = {record.key for record in records}
            # A page's kind comes from its class: a key queued under another page kind is
            # stale and goes, while the record is indexed under its right key.
            yield records, [key for key in wanted if key not in found]


# Sending pending updates to Elasticsearch.


@dataclass(frozen=True)
class SendOutcome:
    sent: int = 0
    remaining: int = 0
    error: str = ""
    # True when nothing was tried: Elasticsearch not configured, or resting after a failure.
    skipped: bool = False


_resting_until = 0.0


def _rest() -> None:
    global _resting_until
    _resting_until = time.monotonic() + RETRY_AFTER_SECONDS


def stop_resting() -> None:
    """Let the next automatic send try at once (after a successful replay, and in tests)."""
    global _resting_until
    _resting_until = 0.0


def send_pending(*, backend: SearchBackend | None = None, force: bool = False) -> SendOutcome:
    """Send every pending update to Elasticsearch in bulk, oldest first, deleting rows once
    sent. On failure the rows stay, with their attempts and last error. `force` tries even
    while resting after a recent failure (an operator's replay)."""
    if backend is None:
        backend = elasticsearch_backend()
    if backend is None:
        return SendOutcome(remaining=PendingIndexUpdate.objects.count(), skipped=True)
    if not force and time.monotonic() < _resting_until:
        return SendOutcome(remaining=PendingIndexUpdate.objects.count(), skipped=True)
    sent = 0
    while True:
        first = list(
            PendingIndexUpdate.objects.order_by("pk").values_list("key", flat=True)[:BATCH_SIZE]
        )
        if not first:
            break
        keys = [key for key in dict.fromkeys(first) if _is_key(key)]
        if len(keys) < len(set(first)):
            # A row no sender can act on would hold up the queue behind it for ever.
            junk = set(first) - set(keys)
            logger.error("Dropping pending search updates with unknown keys: %s", sorted(junk))
            PendingIndexUpdate.objects.filter(key__in=junk).delete()
            continue
        # Every row of these keys goes in this round, so a key is sent once however many
        # times it changed. Rows written after this read stay for the next round.
        row_ids = list(PendingIndexUpdate.objects.filter(key__in=keys).values_list("pk", flat=True))
        try:
            update_backend(backend, keys)
        except Exception as error:
            for rows in _in_chunks(row_ids):
                rows.update(attempts=F("attempts") + 1, last_error=_describe(error))
            _rest()
            if not isinstance(error, SearchUnavailable):
                raise
            logger.warning("Elasticsearch is unavailable; %d updates wait: %s", len(keys), error)
            return SendOutcome(
                sent=sent,
                remaining=PendingIndexUpdate.objects.count(),
                error=_describe(error),
            )
        for rows in _in_chunks(row_ids):
            rows.delete()
        sent += len(keys)
    stop_resting()
    return SendOutcome(sent=sent, remaining=PendingIndexUpdate.objects.count())


def _in_chunks(row_ids: list[int]) -> Iterator:
    # By id, never "up to the highest id read": a row with a lower id may commit later.
    for start in range(0, len(row_ids), BATCH_SIZE):
        yield PendingIndexUpdate.objects.filter(pk__in=row_ids[start : start + BATCH_SIZE])


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text[:ERROR_LENGTH]

"""Background work for search. With the default immediate backend this runs at once, after
the commit that queued it; with TASKS_BACKEND=database a `db_worker` runs it later."""

from django_tasks import task

from search import indexing


@task()
def send_pending_updates() -> int:
    """Send the pending index updates to Elasticsearch; answers how many records were sent.
    Safe to run twice at once: a key sent twice is the same document twice."""
    return indexing.send_pending().sent

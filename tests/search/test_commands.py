"""`manage.py search_index`: rebuild, status and replay, their output and exit status."""

import io
import socket
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.core.management.base import OutputWrapper
from django.test import override_settings

from search import backends, indexing
from search.management.commands import search_index
from search.models import PendingIndexUpdate
from search.query import SearchRequest
from search.records import record_counts
from tests.forums.factories import PostFactory
from tests.resources.factories import ResourceFactory
from tests.search.elasticsearch_fixtures import (  # noqa: F401 (fixtures)
    elasticsearch_backend,
    elasticsearch_server,
)


@pytest.fixture(autouse=True)
def no_elasticsearch(settings):
    settings.ELASTICSEARCH_URL = ""
    backends.elasticsearch_backend.cache_clear()
    indexing.stop_resting()
    yield
    backends.elasticsearch_backend.cache_clear()
    indexing.stop_resting()


@pytest.fixture
def library(db):
    """Three resources and a thread, made without indexing them (no commit happens)."""
    resources = [ResourceFactory(title=f"Rivers and flooding {n}") for n in range(3)]
    ResourceFactory(title="Unfinished", draft=True)
    PostFactory(body="Field trip to the estuary")
    return resources


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("search_index", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing(*args: str) -> tuple[CommandError, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("search_index", *args, stdout=out, stderr=io.StringIO())
    return raised.value, out.getvalue()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def elasticsearch_down():
    with override_settings(ELASTICSEARCH_URL=f"http://127.0.0.1:{closed_port()}"):
        backends.elasticsearch_backend.cache_clear()
        try:
            yield
        finally:
            backends.elasticsearch_backend.cache_clear()


def use(monkeypatch, backend) -> None:
    """Send to this backend (the emulated, or a real, server) as if it were configured."""
    for module in (indexing, search_index):
        monkeypatch.setattr(module, "elasticsearch_backend", lambda: backend)
    monkeypatch.setattr(settings, "ELASTICSEARCH_URL", "http://configured.invalid:9200")


@pytest.fixture
def elasticsearch_up(elasticsearch_backend, monkeypatch):  # noqa: F811
    use(monkeypatch, elasticsearch_backend)
    return elasticsearch_backend


# rebuild


@pytest.mark.django_db
def test_rebuild_fills_the_database_index_with_progress_and_a_summary(library):
    total = sum(record_counts().values())
    assert total == 5  # three resources, the thread and the site's home page
    out, err = run("rebuild", "--backend", "database")
    assert "Rebuilt the database index: 5 records in" in out
    assert "Rebuilding the database index from 5 records" in err
    assert "  5 / 5 records  (100%)" in err
    assert "\r" not in err  # not a terminal: whole lines
    hits = backends.database_backend().search(SearchRequest(terms=("flooding",)), None)
    assert hits.total == 3


@pytest.mark.django_db
def test_rebuild_without_elasticsearch_rebuilds_the_database_and_says_so(library):
    out, _ = run("rebuild")
    assert "Elasticsearch is not configured" in out
    assert "Rebuilt the database index: 5 records" in out


@pytest.mark.django_db
def test_rebuilding_elasticsearch_when_it_is_not_configured_is_refused_clearly(library):
    error, _ = failing("rebuild", "--backend", "elasticsearch")
    assert str(error) == search_index.NOT_CONFIGURED
    assert error.returncode == 1


@pytest.mark.django_db
def test_rebuilding_elasticsearch_while_it_is_down_fails_clearly(library):
    with elasticsearch_down():
        error, _ = failing("rebuild", "--backend", "elasticsearch")
    assert "Elasticsearch did not answer" in str(error)
    assert "unchanged" in str(error)


@pytest.mark.django_db
@pytest.mark.elasticsearch
def test_rebuild_fills_elasticsearch_and_clears_the_updates_it_covers(library, elasticsearch_up):
    PendingIndexUpdate.objects.create(key=f"resource:{library[0].pk}", action="index")
    out, _ = run("rebuild", "--backend", "elasticsearch")
    assert "Rebuilt the Elasticsearch index: 5 records" in out
    assert elasticsearch_up.counts()["resource"] == 3
    assert not PendingIndexUpdate.objects.exists()


# status


@pytest.mark.django_db
def test_status_is_quiet_when_the_index_matches_the_database(library):
    run("rebuild", "--backend", "database")
    out, _ = run("status")
    assert "Database index:" in out
    assert "  resource            3          3" in out
    assert "differs" not in out
    assert "Elasticsearch is not configured" in out
    assert "Pending updates for Elasticsearch: none." in out


@pytest.mark.django_db
def test_status_exits_with_1_when_an_index_differs(library):
    run("rebuild", "--backend", "database")
    backends.database_backend().delete([f"resource:{library[0].pk}"])
    error, out = failing("status")
    assert "  resource            2          3  differs" in out
    assert error.returncode == 1
    assert "search_index rebuild" in str(error)


@pytest.mark.django_db
def test_status_reports_elasticsearch_down_and_what_waits(library):
    PendingIndexUpdate.objects.create(
        key=f"resource:{library[0].pk}", action="index", attempts=2, last_error="Refused"
    )
    run("rebuild", "--backend", "database")
    with elasticsearch_down():
        error, out = failing("status")
    assert "Elasticsearch index:\n  not answering: Elasticsearch:" in out
    assert "Pending updates for Elasticsearch: 1, the oldest 0 s old. Last error: Refused" in out
    assert "Elasticsearch is not answering" in str(error)
    assert error.returncode == 1


# replay


@pytest.mark.django_db
def test_replay_without_elasticsearch_has_nothing_to_send(library):
    out, _ = run("replay")
    assert out.strip() == f"{search_index.NOT_CONFIGURED} Nothing to send."


@pytest.mark.django_db
def test_replay_while_elasticsearch_is_down_keeps_the_updates(library):
    PendingIndexUpdate.objects.create(key=f"resource:{library[0].pk}", action="index")
    with elasticsearch_down():
        error, _ = failing("replay")
    assert "Elasticsearch did not answer" in str(error)
    assert "1 pending updates are kept" in str(error)
    row = PendingIndexUpdate.objects.get()
    assert row.attempts == 1 and row.last_error.startswith("Elasticsearch:")


@pytest.mark.django_db
@pytest.mark.elasticsearch
def test_updates_queued_while_elasticsearch_was_down_are_replayed_when_it_returns(
    db,
    django_capture_on_commit_callbacks,
    elasticsearch_backend,  # noqa: F811 (the fixture)
    monkeypatch,
):
    with elasticsearch_down():
        with django_capture_on_commit_callbacks(execute=True):
            resource = ResourceFactory(title="Meandering rivers")
        assert PendingIndexUpdate.objects.get().attempts == 1
    assert elasticsearch_backend.counts()["resource"] == 0

    use(monkeypatch, elasticsearch_backend)
    out, _ = run("replay")
    assert out.strip() == "Sent 1 records to Elasticsearch; none left."
    assert not PendingIndexUpdate.objects.exists()
    hits = elasticsearch_backend.search(SearchRequest(terms=("meandering",)), None).hits
    assert [(hit.kind, hit.pk) for hit in hits] == [("resource", resource.pk)]


@pytest.mark.django_db
def test_replay_with_nothing_waiting_says_so(elasticsearch_up):
    out, _ = run("replay")
    assert out.strip() == "No updates are waiting for Elasticsearch."


# The progress line.


def test_progress_on_a_terminal_is_rewritten_in_place():
    stream = io.StringIO()
    progress = search_index.Progress(OutputWrapper(stream), 100_000, interactive=True)
    progress.update(12_000)
    progress.update(13_000)
    progress.finish()
    assert stream.getvalue().split("\r")[1:] == [
        "  12,000 / 100,000 records  (12%)\x1b[K",
        "  13,000 / 100,000 records  (13%)\x1b[K",
        "  13,000 / 100,000 records  (13%)\x1b[K\n",
    ]


def test_progress_in_a_log_is_a_line_every_tenth():
    stream = io.StringIO()
    progress = search_index.Progress(OutputWrapper(stream), 1_000, interactive=False)
    for done in range(0, 1_001, 50):
        progress.update(done)
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "  100 / 1,000 records  (10%)"
    assert lines[-1] == "  1,000 / 1,000 records  (100%)"
    assert len(lines) == 10

"""The indexing pipeline: changes reach the indexes at commit, with the real database backend;
pending Elasticsearch updates wait while it is down and are replayed when it is back."""

import socket
import time
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from forums.moderation import post_hide, thread_move
from forums.services import post_create, thread_create
from networks.models import Network
from resources.files import file_add
from resources.models import FileVersion, Resource, ResourceFile
from resources.services import resource_update
from search import indexing
from search.backends import database_backend, elasticsearch_backend
from search.backends.base import SearchUnavailable
from search.models import PendingIndexUpdate
from search.query import Filters, SearchRequest
from search.records import audience_of
from tests.cms.factories import (
    NewsIndexPageFactory,
    NewsPageFactory,
    PrincipleIndexPageFactory,
    PrinciplePageFactory,
)
from tests.factories import PersonFactory
from tests.forums.factories import ForumFactory
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.resources import filemakers
from tests.resources.factories import ResourceFactory


def found(text: str, person=None) -> set[str]:
    """The keys the database backend finds for the words, as the person (everything if None)."""
    audience = None if person is None else audience_of(person)
    request = SearchRequest(terms=tuple(text.lower().split()), page_size=50)
    results = database_backend().search(request, audience)
    return {f"{hit.kind}:{hit.pk}" for hit in results.hits}


@pytest.fixture(autouse=True)
def no_elasticsearch(settings):
    settings.ELASTICSEARCH_URL = ""
    elasticsearch_backend.cache_clear()
    indexing.stop_resting()
    yield
    elasticsearch_backend.cache_clear()
    indexing.stop_resting()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def elasticsearch_at(url: str):
    with override_settings(ELASTICSEARCH_URL=url):
        elasticsearch_backend.cache_clear()
        try:
            yield
        finally:
            elasticsearch_backend.cache_clear()


# Resources.


@pytest.mark.django_db
def test_a_new_resource_is_found_once_committed(committed):
    with committed():
        resource = ResourceFactory(title="Photosynthesis knowledge organiser")
    assert found("photosynthesis") == {f"resource:{resource.pk}"}


@pytest.mark.django_db
def test_an_edited_resource_is_found_by_its_new_words_only(committed, secondary_maths_lead):
    with committed():
        resource = ResourceFactory(title="Photosynthesis knowledge organiser")
    with committed():
        resource_update(
            resource=resource, editor=resource.author, title="Respiration knowledge organiser"
        )
    assert found("photosynthesis") == set()
    assert found("respiration") == {f"resource:{resource.pk}"}


@pytest.mark.django_db
def test_tags_added_after_saving_are_searchable(committed):
    with committed():
        resource = ResourceFactory(title="Number bonds")
        resource.tags.add("mastery")
    assert found("mastery") == {f"resource:{resource.pk}"}


@pytest.mark.django_db
def test_deleted_and_archived_resources_leave_the_index(committed):
    with committed():
        kept = ResourceFactory(title="Volcano diagrams")
        archived = ResourceFactory(title="Volcano models")
        deleted = ResourceFactory(title="Volcano quiz")
    assert len(found("volcano")) == 3
    with committed():
        archived.status = Resource.Status.ARCHIVED
        archived.save()
        deleted.delete()
    assert found("volcano") == {f"resource:{kept.pk}"}


@pytest.mark.django_db
def test_text_read_from_a_file_is_searchable(committed):
    with committed():
        resource = ResourceFactory(title="Worksheet")
        file = ResourceFile.objects.create(resource=resource)
        version = FileVersion.objects.create(
            file=file,
            number=1,
            blob="resources/ab/abc/sheet.txt",
            original_name="sheet.txt",
            size=10,
            sha256="ab" * 32,
            content_type="text/plain",
            uploaded_by=resource.author,
        )
        file.current = version
        file.save(update_fields=["current"])
    assert found("chlorophyll") == set()
    with committed():
        # As extraction stores it: an UPDATE, which sends no signal.
        FileVersion.objects.filter(pk=version.pk).update(extracted_text="Chlorophyll absorbs")
        indexing.queue_file_text(version.pk)
    assert found("chlorophyll") == {f"resource:{resource.pk}"}


@pytest.mark.django_db
def test_an_uploaded_files_text_is_searchable_once_read(committed):
    with committed():
        resource = ResourceFactory(title="Plant cells")
    with committed():
        file_add(
            resource=resource,
            uploaded_file=filemakers.uploaded("pdf", "Chloroplasts contain chlorophyll."),
            person=resource.author,
        )
    assert found("chloroplasts") == {f"resource:{resource.pk}"}


@pytest.mark.django_db
def test_linking_a_principle_from_either_side_reindexes_the_resource(committed):
    principle = PrinciplePageFactory(parent=PrincipleIndexPageFactory())
    with committed():
        resource = ResourceFactory(title="Oracy starters")
    with committed():
        resource.principles.add(principle)
    assert (
        database_backend()
        .search(SearchRequest(filters=Filters(principle=frozenset({principle.pk}))), None)
        .total
        == 1
    )
    with committed():
        principle.resources.clear()
    assert (
        database_backend()
        .search(SearchRequest(filters=Filters(principle=frozenset({principle.pk}))), None)
        .total
        == 0
    )


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_queues_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        ResourceFactory(title="Tectonic plates")
        raise RuntimeError("the request failed")
    assert found("tectonic") == set()
    # The next committed change is indexed as usual, and only it.
    kept = ResourceFactory(title="Tectonic hazards")
    assert found("tectonic") == {f"resource:{kept.pk}"}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_drops_its_keys_but_not_the_transactions():
    with transaction.atomic():
        kept = ResourceFactory(title="Glacier formation")
        try:
            with transaction.atomic():
                ResourceFactory(title="Glacier retreat")
                raise RuntimeError
        except RuntimeError:
            pass
        later = ResourceFactory(title="Glacier landforms")
    assert found("glacier") == {f"resource:{kept.pk}", f"resource:{later.pk}"}


@pytest.mark.django_db(transaction=True)
def test_several_changes_in_a_transaction_are_indexed_once(monkeypatch):
    applied: list[set[str]] = []
    original = indexing.apply_changes
    monkeypatch.setattr(indexing, "apply_changes", lambda keys: applied.append(set(keys)))
    with transaction.atomic():
        resource = ResourceFactory(title="Persuasive writing")
        resource.tags.add("year 6")
        resource.summary = "Letters to the council."
        resource.save()
    assert applied == [{f"resource:{resource.pk}"}]
    original(applied[0])
    assert found("persuasive") == {f"resource:{resource.pk}"}


# Who may see what.


@pytest.mark.django_db
def test_a_network_turning_private_hides_its_resources_from_non_members(committed):
    network = NetworkFactory(name="Geography network")
    member, outsider = PersonFactory(), PersonFactory()
    MembershipFactory(network=network, person=member)
    with committed():
        resource = ResourceFactory(network=network, title="River meanders")
    assert found("meanders", outsider) == {f"resource:{resource.pk}"}
    with committed():
        network.visibility = Network.Visibility.PRIVATE
        network.save()
    assert found("meanders", outsider) == set()
    assert found("meanders", member) == {f"resource:{resource.pk}"}


@pytest.mark.django_db
def test_a_network_turning_private_hides_its_forums_threads(committed):
    network = NetworkFactory(name="History network")
    author, outsider = PersonFactory(), PersonFactory()
    MembershipFactory(network=network, person=author)
    with committed():
        thread = thread_create(
            forum=ForumFactory(network=network),
            author=author,
            title="Teaching the Tudors",
            body="Sources about Elizabethan exploration.",
        )
    assert found("elizabethan", outsider) == {f"thread:{thread.pk}"}
    with committed():
        network.visibility = Network.Visibility.PRIVATE
        network.save()
    assert found("elizabethan", outsider) == set()
    assert found("elizabethan", author) == {f"thread:{thread.pk}"}


# Threads and posts.


@pytest.mark.django_db
def test_a_hidden_posts_text_stops_matching(committed, primary_teacher, moderator):
    forum = ForumFactory()
    with committed():
        thread = thread_create(
            forum=forum, author=primary_teacher, title="Reading at home", body="Book bags."
        )
        reply = post_create(
            thread=thread, author=PersonFactory(), body="Try phonics flashcards instead."
        )
    assert found("flashcards") == {f"thread:{thread.pk}"}
    with committed():
        post_hide(post=reply, moderator=moderator, reason="Off topic for this thread.")
    assert found("flashcards") == set()
    assert found("bags") == {f"thread:{thread.pk}"}


@pytest.mark.django_db
def test_a_thread_whose_only_post_is_removed_leaves_the_index(committed, primary_teacher):
    with committed():
        thread = thread_create(
            forum=ForumFactory(), author=primary_teacher, title="Sports day", body="Egg and spoon"
        )
    assert found("spoon") == {f"thread:{thread.pk}"}
    with committed():
        post = thread.posts.get()
        post.deleted_at = timezone.now()
        post.save(update_fields=["deleted_at"])
    assert found("spoon") == set()


@pytest.mark.django_db
def test_a_thread_moved_into_a_private_networks_forum_is_hidden_from_outsiders(
    committed, primary_teacher, moderator
):
    private = NetworkFactory(name="Safeguarding leads", private=True)
    outsider = PersonFactory()
    with committed():
        thread = thread_create(
            forum=ForumFactory(),
            author=primary_teacher,
            title="Attendance",
            body="Persistent absence figures.",
        )
    assert found("absence", outsider) == {f"thread:{thread.pk}"}
    with committed():
        thread_move(thread=thread, moderator=moderator, forum=ForumFactory(network=private))
    assert found("absence", outsider) == set()


# Pages.


@pytest.mark.django_db
def test_a_moved_page_is_found_at_its_new_address(committed):
    news = NewsPageFactory(parent=NewsIndexPageFactory(), title="Harvest festival")
    elsewhere = NewsIndexPageFactory(title="Archive", slug="archive")
    with committed():
        news.save_revision().publish()
    with committed():
        news.move(elsewhere, pos="last-child")
    hits = database_backend().search(SearchRequest(terms=("harvest",)), None).hits
    assert [hit.url for hit in hits] == [news.specific.__class__.objects.get(pk=news.pk).url]
    assert "/archive/" in hits[0].url


@pytest.mark.django_db
def test_a_published_page_is_found_and_an_unpublished_one_disappears(committed):
    news = NewsPageFactory(parent=NewsIndexPageFactory(), title="Ofsted praises our choir")
    with committed():
        news.save_revision().publish()
    assert found("choir") == {f"news:{news.pk}"}
    with committed():
        news.unpublish()
    assert found("choir") == set()


@pytest.mark.django_db
def test_a_deleted_page_disappears(committed):
    index = NewsIndexPageFactory()
    news = NewsPageFactory(parent=index, title="Orchestra tour")
    with committed():
        news.save_revision().publish()
    assert found("orchestra") == {f"news:{news.pk}"}
    with committed():
        index.delete()
    assert found("orchestra") == set()


# Elasticsearch down: pending updates wait in the database.


@pytest.mark.django_db
def test_pending_updates_are_written_and_kept_while_elasticsearch_is_down(committed):
    with elasticsearch_at(f"http://127.0.0.1:{closed_port()}"):
        # Once per process: importing the client and making the first factory objects.
        with committed():
            ResourceFactory(title="Warming up", draft=True)
        PendingIndexUpdate.objects.all().delete()
        indexing.stop_resting()
        started = time.monotonic()
        with committed():
            resource = ResourceFactory(title="Coastal erosion")
        elapsed = time.monotonic() - started
        pending = list(PendingIndexUpdate.objects.all())
    assert elapsed < 1.0
    assert [(row.key, row.action) for row in pending] == [(f"resource:{resource.pk}", "index")]
    assert pending[0].attempts == 1
    assert pending[0].last_error
    # The database backend is current all the same: it answers while Elasticsearch is down.
    assert found("coastal") == {f"resource:{resource.pk}"}


@pytest.mark.django_db
def test_saves_while_resting_do_not_wait_for_elasticsearch(committed):
    with elasticsearch_at(f"http://127.0.0.1:{closed_port()}"):
        with committed():
            first = ResourceFactory(title="Longshore drift")
        assert PendingIndexUpdate.objects.get().attempts == 1
        started = time.monotonic()
        for _ in range(5):
            with committed():
                first.summary += " More."
                first.save()
        elapsed = time.monotonic() - started
        rows = PendingIndexUpdate.objects.filter(key=f"resource:{first.pk}")
        # One try only: later saves wrote their rows and did not knock again.
        assert rows.count() == 6
        assert sorted(rows.values_list("attempts", flat=True)) == [0, 0, 0, 0, 0, 1]
    assert elapsed < 1.0


@pytest.mark.django_db
def test_a_deletion_while_elasticsearch_is_down_is_queued_as_a_delete(committed):
    with committed():
        resource = ResourceFactory(title="Ox-bow lakes")
    key = f"resource:{resource.pk}"
    with elasticsearch_at(f"http://127.0.0.1:{closed_port()}"):
        with committed():
            resource.delete()
        assert list(PendingIndexUpdate.objects.values_list("key", "action")) == [(key, "delete")]
    assert found("ox bow") == set()


class RecordingBackend:
    """Stands in for Elasticsearch where only what is sent matters: it records each call and
    can be switched off like a server. The database backend is never replaced."""

    name = "elasticsearch"

    def __init__(self) -> None:
        self.up = True
        self.indexed: list[str] = []
        self.deleted: list[str] = []

    def index(self, records) -> None:
        records = list(records)
        if not self.up:
            raise SearchUnavailable("Connection refused")
        self.indexed += [record.key for record in records]

    def delete(self, keys) -> None:
        keys = list(keys)
        if not self.up:
            raise SearchUnavailable("Connection refused")
        self.deleted += keys


@pytest.fixture
def recording_elasticsearch(monkeypatch):
    elasticsearch = RecordingBackend()
    monkeypatch.setattr(indexing, "elasticsearch_backend", lambda: elasticsearch)
    with elasticsearch_at("http://elasticsearch.invalid:9200"):
        yield elasticsearch


@pytest.mark.django_db
def test_pending_updates_are_replayed_once_each_when_elasticsearch_returns(
    committed, recording_elasticsearch
):
    recording_elasticsearch.up = False
    with committed():
        kept = ResourceFactory(title="Sand dunes")
        gone = ResourceFactory(title="Salt marshes")
    gone_key = f"resource:{gone.pk}"
    # The send after that commit failed: the rows wait, with what went wrong.
    assert list(PendingIndexUpdate.objects.values_list("attempts", "last_error")) == [
        (1, "Connection refused"),
        (1, "Connection refused"),
    ]
    with committed():
        kept.summary = "Succession on the Sefton coast."
        kept.save()
        gone.delete()
    assert PendingIndexUpdate.objects.count() == 4

    # Back up, and the rest after the failure is over: the next save sends everything.
    recording_elasticsearch.up = True
    indexing.stop_resting()
    with committed():
        draft = ResourceFactory(title="Spits and bars", draft=True)
    # Two keys, each sent once in its current state, however many times it changed.
    assert recording_elasticsearch.indexed == [f"resource:{kept.pk}"]
    assert sorted(recording_elasticsearch.deleted) == sorted([gone_key, f"resource:{draft.pk}"])
    assert not PendingIndexUpdate.objects.exists()


@pytest.mark.django_db
def test_replay_sends_while_automatic_sends_rest(committed, recording_elasticsearch):
    recording_elasticsearch.up = False
    with committed():
        resource = ResourceFactory(title="Headlands and bays")
    recording_elasticsearch.up = True
    assert indexing.send_pending() == indexing.SendOutcome(remaining=1, skipped=True)
    outcome = indexing.send_pending(force=True)
    assert (outcome.sent, outcome.remaining) == (1, 0)
    assert recording_elasticsearch.indexed == [f"resource:{resource.pk}"]


@pytest.mark.django_db
def test_rows_written_during_a_send_are_kept_for_the_next_round():
    class ChangesWhileSending(RecordingBackend):
        def delete(self, keys) -> None:
            super().delete(keys)
            if len(self.deleted) == 1:
                PendingIndexUpdate.objects.create(key="resource:999999", action="index")

    elasticsearch = ChangesWhileSending()
    PendingIndexUpdate.objects.create(key="resource:999998", action="index")
    outcome = indexing.send_pending(backend=elasticsearch, force=True)
    assert outcome.sent == 2
    assert not PendingIndexUpdate.objects.exists()
    # Neither resource exists, so both are deletions, the second sent in a round of its own.
    assert elasticsearch.deleted == ["resource:999998", "resource:999999"]


@pytest.mark.django_db
def test_no_rows_are_written_without_elasticsearch(committed):
    with committed():
        ResourceFactory(title="Rock cycle")
    assert not PendingIndexUpdate.objects.exists()


def test_keys_are_checked():
    with pytest.raises(ValueError):
        indexing.queue_records(["resource:abc"])
    with pytest.raises(ValueError):
        indexing.queue_records(["lesson:1"])


@pytest.mark.django_db
def test_a_pending_row_with_an_unknown_key_does_not_hold_up_the_queue():
    elasticsearch = RecordingBackend()
    PendingIndexUpdate.objects.create(key="lesson:1", action="index")
    PendingIndexUpdate.objects.create(key="resource:999997", action="delete")
    outcome = indexing.send_pending(backend=elasticsearch, force=True)
    assert (outcome.sent, outcome.remaining) == (1, 0)
    assert elasticsearch.deleted == ["resource:999997"]


@pytest.mark.django_db
def test_a_change_of_name_reaches_the_authors_records(committed):
    with committed():
        resource = ResourceFactory(title="Weather diaries")
    author = resource.author
    with committed():
        author.first_name = "Zebedee"
        author.save()
    hits = database_backend().search(SearchRequest(terms=("zebedee",)), None).hits
    assert [hit.pk for hit in hits] == [resource.pk]


@pytest.mark.django_db
def test_with_a_task_queue_the_save_only_queues_the_send(committed):
    from django_tasks import default_task_backend

    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    ):
        with elasticsearch_at(f"http://127.0.0.1:{closed_port()}"):
            with committed():
                resource = ResourceFactory(title="Weathering")
            row = PendingIndexUpdate.objects.get()
            # Nothing was tried in the request: the worker sends it later.
            assert (row.key, row.attempts) == (f"resource:{resource.pk}", 0)
            queued = [result.task.name for result in default_task_backend.results]
            assert queued.count("send_pending_updates") == 1

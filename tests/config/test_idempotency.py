"""A form sent twice (a retry after a dropped connection, a second click) changes things once:
one reply, one thread, one uploaded file; the repeat lands on the same page. The same key with
other words is a new submission, so nothing written is ever lost."""

import threading
import uuid

import pytest
from django.db import connection
from django.urls import reverse

from config.idempotency import submit_once
from config.models import CompletedSubmission
from forums.models import Post, Thread
from resources.models import FileVersion
from tests.factories import PersonFactory
from tests.forums.factories import ForumFactory, ThreadFactory
from tests.resources import filemakers
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(db):
    return ThreadFactory(forum=ForumFactory(name="Staff voice", slug="staff-voice"))


def reply(client, thread, body: str, key: str | None):
    data = {"body": body}
    if key is not None:
        data["submission_key"] = key
    return client.post(reverse("forums:post_create", kwargs={"pk": thread.pk}), data)


def test_the_reply_form_carries_a_fresh_key_each_time_it_is_shown(staff_client, thread):
    first = staff_client.get(thread.get_absolute_url()).content.decode()
    second = staff_client.get(thread.get_absolute_url()).content.decode()

    def key_in(page: str) -> str:
        marker = 'name="submission_key" value="'
        start = page.index(marker) + len(marker)
        return page[start : start + 36]

    assert uuid.UUID(key_in(first)) != uuid.UUID(key_in(second))


def test_a_reply_sent_twice_with_its_key_is_posted_once(staff_client, thread):
    key = str(uuid.uuid4())
    first = reply(staff_client, thread, "Bar models for fractions.", key)
    again = reply(staff_client, thread, "Bar models for fractions.", key)

    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    post = Post.objects.get(thread=thread, body="Bar models for fractions.")
    assert first["Location"].endswith(f"#post-{post.pk}")


def test_the_same_key_with_other_words_is_a_new_reply(staff_client, thread):
    # A form brought back with the Back button and written again keeps its old key.
    key = str(uuid.uuid4())
    reply(staff_client, thread, "First thought.", key)
    reply(staff_client, thread, "Second thought.", key)

    assert set(Post.objects.filter(thread=thread).values_list("body", flat=True)) >= {
        "First thought.",
        "Second thought.",
    }


@pytest.mark.parametrize("key", [None, "", "not-a-key", "x" * 5000])
def test_without_a_usable_key_each_reply_is_posted(staff_client, thread, key):
    before = Post.objects.filter(thread=thread).count()
    assert reply(staff_client, thread, "Number lines.", key).status_code == 302
    assert reply(staff_client, thread, "Number lines.", key).status_code == 302
    assert Post.objects.filter(thread=thread).count() == before + 2


def test_a_refused_reply_is_not_remembered(staff_client, thread):
    key = str(uuid.uuid4())
    thread.locked = True
    thread.save()
    reply(staff_client, thread, "Counting in threes.", key)
    assert not CompletedSubmission.objects.exists()

    thread.locked = False
    thread.save()
    assert reply(staff_client, thread, "Counting in threes.", key).status_code == 302
    assert Post.objects.filter(body="Counting in threes.").count() == 1


def test_a_new_thread_sent_twice_is_started_once(staff_client, thread):
    url = reverse("forums:thread_create", kwargs={"slug": thread.forum.slug})
    data = {"title": "Times tables", "body": "Which order?", "submission_key": str(uuid.uuid4())}

    first = staff_client.post(url, data)
    again = staff_client.post(url, data)

    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Thread.objects.filter(title="Times tables").count() == 1


def test_keys_are_each_persons_own(client, thread):
    key = str(uuid.uuid4())
    for person in (PersonFactory(), PersonFactory()):
        client.force_login(person)
        reply(client, thread, "Same words, same key.", key)
    assert Post.objects.filter(body="Same words, same key.").count() == 2


def test_an_upload_sent_twice_stores_one_file(staff_client, primary_teacher, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    resource = ResourceFactory(author=primary_teacher)
    url = reverse("resources:file_upload", kwargs={"pk": resource.pk})
    key = str(uuid.uuid4())
    # The same bytes both times, as a browser resends them (a PDF made twice can differ in
    # its creation time).
    content = filemakers.make("pdf", "Comparing fractions")

    def send():
        upload = filemakers.uploaded("pdf", content=content)
        return staff_client.post(
            url, {"file": upload, "title": "", "change_note": "", "submission_key": key}
        )

    first, again = send(), send()

    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert FileVersion.objects.filter(file__resource=resource).count() == 1
    stored = [path for path in (tmp_path / "media").rglob("*") if path.is_file()]
    assert len(stored) == 1


def test_the_upload_page_carries_a_key(staff_client, primary_teacher):
    resource = ResourceFactory(author=primary_teacher)
    page = staff_client.get(reverse("resources:file_upload", kwargs={"pk": resource.pk}))
    assert 'type="hidden" name="submission_key"' in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_copies_arriving_at_once_do_the_work_once():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Its shared cache locks whole tables without waiting; PostgreSQL runs this
        # (tests/config/test_postgres.py), and file databases wait their turn.
        pytest.skip("SQLite's in-memory test database cannot hold two writers at once")
    person = PersonFactory()
    key = uuid.uuid4()
    ready = threading.Barrier(2)
    done: list[str] = []
    outcomes: list[tuple[str, bool]] = []

    def action() -> str:
        done.append("work")
        return "/forums/t/1/"

    def send() -> None:
        ready.wait()
        try:
            outcomes.append(
                submit_once(person=person, key=key, purpose="reply:1", sent=("x",), action=action)
            )
        finally:
            connection.close()

    workers = [threading.Thread(target=send) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert done == ["work"]
    assert sorted(repeat for _, repeat in outcomes) == [False, True]
    assert {url for url, _ in outcomes} == {"/forums/t/1/"}

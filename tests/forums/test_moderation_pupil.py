"""Hiding a post because it identifies a pupil: its words leave every page, edit history,
search index and live push, and are kept where only the safeguarding leads read them."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.urls import reverse

from audit.models import AuditEntry
from config.asgi import application
from forums import events, moderation
from forums.models import Notification, Post, PostRevision
from forums.services import ForumActionRefused, post_create, post_edit, thread_create
from safeguarding.models import PreservedPost
from search import indexing
from search.backends import database_backend
from search.query import SearchRequest
from search.records import audience_of
from tests.factories import PersonFactory, SchoolFactory
from tests.factories import sign_in_with_identity_provider as sign_in
from tests.forums.factories import ForumFactory, PostFactory
from tests.safeguarding.factories import designated_lead, trust_lead
from tests.search.elasticsearch_fixtures import (  # noqa: F401  (fixtures)
    elasticsearch_backend,
    elasticsearch_server,
)

NAME = "Jaydenxq Smithson"  # a pupil's name no other fixture uses


def pupil_post(author=None, **fields) -> Post:
    author = author or PersonFactory()
    thread = thread_create(
        forum=ForumFactory(), author=PersonFactory(), title="Behaviour at lunch", body="Ideas?"
    )
    post = post_create(thread=thread, author=author, body=f"First draft about {NAME} in 6B.")
    post_edit(post=post, editor=author, body=f"{NAME} in 6B threw chairs again today.")
    return Post.objects.get(pk=post.pk)


def hide(post, by):
    return moderation.post_hide(post=post, moderator=by, identifies_pupil=True)


@pytest.mark.django_db
def test_hiding_moves_the_words_and_history_to_a_preserved_record_and_keeps_the_row(moderator):
    post = pupil_post()

    hide(post, moderator)

    post.refresh_from_db()
    assert post.hidden_at is not None and post.body == post.body_html == ""
    assert not PostRevision.objects.filter(post=post).exists()
    preserved = PreservedPost.objects.get(post=post)
    assert NAME in preserved.body and NAME in preserved.body_html
    assert [v["body"] for v in preserved.earlier_versions] == [f"First draft about {NAME} in 6B."]
    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.HIDE)
    assert entry.reason == moderation.IDENTIFIES_PUPIL
    assert entry.detail["identifies_pupil"] is True and entry.detail["preserved"] == preserved.pk
    assert NAME not in str(entry.detail)


@pytest.mark.django_db
def test_the_author_is_told_why_and_nobodys_notification_carries_the_words(moderator):
    author = PersonFactory()
    post = pupil_post(author)

    hide(post, moderator)

    told = Notification.objects.filter(recipient=author).latest("pk")
    assert "hidden because it identified a pupil" in told.text
    assert not any(NAME in n.text for n in Notification.objects.all())


@pytest.mark.django_db
def test_the_thread_edit_page_and_other_moderators_no_longer_show_the_words(client, moderator):
    author = PersonFactory()
    post = pupil_post(author)
    hide(post, moderator)
    other_moderator = PersonFactory(roles=[moderation.Role.MODERATOR])

    for person in (author, moderator, other_moderator, PersonFactory()):
        sign_in(client, person)
        page = client.get(post.thread.get_absolute_url()).content.decode()
        assert NAME not in page and "hidden by a moderator" in page
    sign_in(client, author)
    edit = client.get(reverse("forums:post_edit", kwargs={"pk": post.pk}))
    assert NAME not in edit.content.decode()
    sign_in(client, other_moderator)
    restore = client.get(reverse("forums:post_restore", kwargs={"pk": post.pk}))
    assert restore.status_code == 403 and NAME not in restore.content.decode()


@pytest.mark.django_db
def test_a_moderator_cannot_restore_it_but_a_safeguarding_lead_can_with_its_history(
    client, moderator
):
    author = PersonFactory()
    post = pupil_post(author)
    hide(post, moderator)
    lead = designated_lead(author.school)

    with pytest.raises(ForumActionRefused, match="only a safeguarding lead"):
        moderation.post_restore(post=post, moderator=moderator, reason="Looks fine")
    sign_in(client, lead)
    response = client.post(
        reverse("forums:post_restore", kwargs={"pk": post.pk}), {"reason": "Spoke to author"}
    )

    assert response.status_code == 302
    post.refresh_from_db()
    assert post.hidden_at is None and NAME in post.body and NAME in post.body_html
    assert list(PostRevision.objects.filter(post=post).values_list("body", flat=True)) == [
        f"First draft about {NAME} in 6B."
    ]
    assert PreservedPost.objects.get(post=post).restored_by == lead


@pytest.mark.django_db
def test_only_the_leads_read_the_preserved_words_and_each_look_is_recorded(
    client, moderator, trust_admin
):
    author = PersonFactory()
    post = pupil_post(author)
    hide(post, moderator)
    preserved = PreservedPost.objects.get()
    url = reverse("safeguarding:preserved_post", kwargs={"pk": preserved.pk})
    lead, trust = designated_lead(author.school), trust_lead()
    elsewhere = designated_lead(SchoolFactory())

    for person in (lead, trust):
        sign_in(client, person)
        page = client.get(url)
        assert page.status_code == 200 and NAME in page.content.decode()
    for person in (moderator, trust_admin, author, elsewhere, PersonFactory()):
        sign_in(client, person)
        assert client.get(url).status_code == 404
    looks = AuditEntry.objects.filter(action="preserved_post_viewed")
    assert sorted(looks.values_list("actor_id", flat=True)) == sorted([lead.pk, trust.pk])


@pytest.mark.django_db
def test_a_safeguarding_lead_who_is_not_a_moderator_may_hide_only_as_identifying_a_pupil(
    client,
):
    post = PostFactory(thread__forum=ForumFactory(), body=f"About {NAME}")
    lead = designated_lead(SchoolFactory())
    sign_in(client, lead)
    url = reverse("forums:post_hide", kwargs={"pk": post.pk})

    page = client.get(url).content.decode()
    other = client.post(url, {"why": "other", "reason": "Rude"})
    assert "Another reason" not in page
    assert other.status_code == 400
    assert Post.objects.get(pk=post.pk).hidden_at is None

    assert client.post(url, {"why": "identifies_pupil"}).status_code == 302
    assert Post.objects.get(pk=post.pk).hidden_at is not None


@pytest.mark.django_db
def test_a_teacher_cannot_hide_a_post_as_identifying_a_pupil(client, primary_teacher):
    post = PostFactory(thread__forum=ForumFactory())
    with pytest.raises(ForumActionRefused):
        hide(post, primary_teacher)
    sign_in(client, primary_teacher)
    response = client.post(
        reverse("forums:post_hide", kwargs={"pk": post.pk}), {"why": "identifies_pupil"}
    )
    assert response.status_code == 403
    assert Post.objects.get(pk=post.pk).hidden_at is None
    assert not PreservedPost.objects.exists()


# Search: the database backend, and Elasticsearch (osmem-server unless ELASTICSEARCH_URL).


def found(backend, word: str, person) -> set[str]:
    request = SearchRequest(terms=(word.lower(),), page_size=50)
    return {f"{hit.kind}:{hit.pk}" for hit in backend.search(request, audience_of(person)).hits}


@pytest.mark.django_db
def test_the_words_leave_the_database_search_index(committed, moderator, primary_teacher):
    with committed():
        post = pupil_post()
    key = f"thread:{post.thread_id}"
    assert found(database_backend(), "Jaydenxq", primary_teacher) == {key}

    with committed():
        hide(post, moderator)

    assert found(database_backend(), "Jaydenxq", primary_teacher) == set()
    assert found(database_backend(), "lunch", primary_teacher) == {key}


@pytest.mark.elasticsearch
@pytest.mark.django_db
def test_the_words_leave_the_elasticsearch_index(
    committed,
    moderator,
    primary_teacher,
    elasticsearch_backend,  # noqa: F811
    settings,
    monkeypatch,
):
    settings.ELASTICSEARCH_URL = "http://search.test:9200"
    monkeypatch.setattr(indexing, "elasticsearch_backend", lambda: elasticsearch_backend)
    indexing.stop_resting()
    with committed():
        post = pupil_post()
    indexing.send_pending(backend=elasticsearch_backend, force=True)
    key = f"thread:{post.thread_id}"
    assert found(elasticsearch_backend, "Jaydenxq", primary_teacher) == {key}

    with committed():
        hide(post, moderator)
    indexing.send_pending(backend=elasticsearch_backend, force=True)

    assert found(elasticsearch_backend, "Jaydenxq", primary_teacher) == set()
    assert found(elasticsearch_backend, "lunch", primary_teacher) == {key}
    indexing.stop_resting()


# The live push.


def session_cookie(client, person) -> bytes:
    sign_in(client, person)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


@pytest.mark.django_db(transaction=True)
async def test_open_pages_replace_the_post_with_the_placeholder(client, moderator):
    post = await sync_to_async(pupil_post)()
    reader = await sync_to_async(PersonFactory)()
    cookie = await sync_to_async(session_cookie)(client, reader)
    socket = WebsocketCommunicator(
        application,
        f"/ws/threads/{post.thread_id}/",
        headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)],
    )
    connected, _ = await socket.connect(timeout=3)
    assert connected

    await sync_to_async(hide)(post, moderator)
    frame = await socket.receive_json_from(timeout=3)

    assert frame["type"] == events.POST_UPDATED and frame["post_id"] == post.pk
    assert "hidden by a moderator" in frame["html"] and NAME not in frame["html"]
    await socket.disconnect()

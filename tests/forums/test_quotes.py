"""Quoting a post: the reply form starts with the quote, the reply says whom it answers,
and a quote that cannot be honoured is dropped without fuss."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forums import events, services
from forums.models import Forum, Post
from tests.factories import PersonFactory
from tests.forums.factories import PostFactory, ThreadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def post():
    author = PersonFactory(first_name="Grace", last_name="Hopper", display_name="")
    return PostFactory(
        thread__forum=Forum.objects.get(slug="wellbeing"),
        author=author,
        body="Bar models help.\nThey make fractions **visible**.",
    )


def reply_box(html: str) -> str:
    return re.search(r"<textarea[^>]*>(.*?)</textarea>", html, re.S).group(1)


def quoted_field(html: str) -> str | None:
    match = re.search(r'<input type="hidden" name="quoted"(?: value="(\d*)")?', html)
    assert match, "the reply form has a hidden quoted field"
    return match.group(1)


def test_quote_starts_the_reply_with_the_post_as_a_blockquote(staff_client, post):
    html = staff_client.get(f"{post.thread.get_absolute_url()}?quote={post.pk}").content.decode()

    assert reply_box(html) == "\n&gt; Bar models help.\n&gt; They make fractions **visible**.\n\n"
    assert quoted_field(html) == str(post.pk)


def test_a_long_post_is_quoted_in_part_at_a_word(staff_client, post):
    Post.objects.filter(pk=post.pk).update(body="word " * 300)

    html = staff_client.get(f"{post.thread.get_absolute_url()}?quote={post.pk}").content.decode()

    box = reply_box(html)
    assert box.startswith("\n&gt; word word")
    assert box.endswith("word …\n\n")
    assert len(box) < 520


@pytest.mark.parametrize("quote", ["hidden", "removed", "other thread", "missing", "x", "-1", "²"])
def test_a_quote_that_cannot_be_honoured_is_ignored(staff_client, post, quote):
    if quote in ("hidden", "removed"):
        field = "hidden_at" if quote == "hidden" else "deleted_at"
        Post.objects.filter(pk=post.pk).update(**{field: timezone.now()})
    value = {
        "other thread": str(PostFactory(thread__forum=post.thread.forum).pk),
        "missing": "999999",
    }.get(quote, str(post.pk) if quote in ("hidden", "removed") else quote)

    response = staff_client.get(post.thread.get_absolute_url(), {"quote": value})

    assert response.status_code == 200
    html = response.content.decode()
    assert reply_box(html) == "\n"
    assert quoted_field(html) is None


def test_a_reply_quoting_a_post_says_whom_it_answers(staff_client, post):
    url = reverse("forums:post_create", kwargs={"pk": post.thread_id})

    response = staff_client.post(url, {"body": "> Bar models\n\nAgreed.", "quoted": post.pk})

    reply = Post.objects.latest("pk")
    assert reply.quoted == post
    html = staff_client.get(response["Location"]).content.decode()
    link = f'<a href="/forums/posts/{post.pk}/" data-post-link="{post.pk}">'
    assert f"{link}In reply to Grace Hopper</a>" in html


def test_a_quoted_anonymous_post_never_names_its_author(staff_client, primary_teacher):
    voice = Forum.objects.get(slug="wellbeing")
    Forum.objects.filter(pk=voice.pk).update(allows_anonymous_posts=True)
    secret = PersonFactory(first_name="Secret", last_name="Author")
    anonymous = PostFactory(thread__forum=voice, author=secret, is_anonymous=True)
    reply = services.post_create(
        thread=anonymous.thread, author=primary_teacher, body="Yes.", quoted=anonymous
    )

    html = staff_client.get(anonymous.thread.get_absolute_url()).content.decode()
    fragment = events.render_post(
        Post.objects.select_related("author", "quoted__author").get(pk=reply.pk)
    )

    for shown in (html, fragment):
        assert "In reply to Anonymous" in shown
        assert "Secret" not in shown


def test_a_reply_quoting_a_post_since_hidden_is_posted_without_the_quote(staff_client, post):
    Post.objects.filter(pk=post.pk).update(hidden_at=timezone.now())
    url = reverse("forums:post_create", kwargs={"pk": post.thread_id})

    response = staff_client.post(url, {"body": "Still worth saying.", "quoted": post.pk})

    assert response.status_code == 302
    assert Post.objects.latest("pk").quoted is None


@pytest.mark.parametrize("quoted", ["nonsense", "99999999", "", "1" * 40])
def test_a_garbled_quote_is_dropped_and_the_reply_kept(staff_client, post, quoted):
    url = reverse("forums:post_create", kwargs={"pk": post.thread_id})

    response = staff_client.post(url, {"body": "My reply.", "quoted": quoted})

    assert response.status_code == 302
    reply = Post.objects.latest("pk")
    assert reply.body == "My reply."
    assert reply.quoted is None


def test_quoting_a_post_from_another_thread_is_refused_and_keeps_the_text(staff_client, post):
    elsewhere = PostFactory(thread=ThreadFactory(forum=post.thread.forum))
    url = reverse("forums:post_create", kwargs={"pk": post.thread_id})
    count = Post.objects.count()

    response = staff_client.post(url, {"body": "Keep me.", "quoted": elsewhere.pk})

    assert response.status_code == 400
    html = response.content.decode()
    assert "You can only quote a post from the same thread." in html
    assert "Keep me." in reply_box(html)
    assert Post.objects.count() == count


def test_a_live_reply_fragment_says_whom_it_answers(
    post, primary_teacher, monkeypatch, django_capture_on_commit_callbacks
):
    sent: list[dict] = []
    monkeypatch.setattr(events, "announce", lambda group, message: sent.append(message))

    with django_capture_on_commit_callbacks(execute=True):
        reply = services.post_create(
            thread=post.thread, author=primary_teacher, body="+1", quoted=post
        )

    [created] = [m for m in sent if m.get("event") == events.POST_CREATED]
    assert created["post_id"] == reply.pk
    assert "In reply to Grace Hopper" in created["html"]


def test_quoting_posts_takes_no_query_per_post(staff_client, post):
    url = post.thread.get_absolute_url()
    PostFactory(thread=post.thread, quoted=post)
    staff_client.get(url)
    with CaptureQueriesContext(connection) as before:
        staff_client.get(url)
    for _ in range(5):
        quoted = PostFactory(thread=post.thread, author=PersonFactory())
        PostFactory(thread=post.thread, quoted=quoted)
    staff_client.get(url)

    with CaptureQueriesContext(connection) as after:
        staff_client.get(url)

    assert len(after) == len(before)

"""Writing in forums: who may, what is refused and why, and what is announced after commit."""

import pytest

from forums import events, moderation, services
from forums.models import (
    POST_MAX_LENGTH,
    Forum,
    Post,
    PostRevision,
    Thread,
    ThreadFollow,
    ThreadRead,
)
from forums.services import ForumActionRefused
from tests.factories import PersonFactory
from tests.forums.factories import PostFactory, ThreadFactory
from tests.networks.factories import MembershipFactory, NetworkFactory

pytestmark = pytest.mark.django_db


def wellbeing() -> Forum:
    return Forum.objects.get(slug="wellbeing")


def test_a_member_of_staff_starts_a_thread_with_its_first_post(primary_teacher):
    thread = services.thread_create(
        forum=wellbeing(), author=primary_teacher, title="  Lunchtime walks  ", body="Who *joins*?"
    )

    assert thread.title == "Lunchtime walks"
    post = thread.posts.get()
    assert post.author == primary_teacher
    assert post.body_html == "<p>Who <em>joins</em>?</p>"
    assert ThreadFollow.objects.filter(person=primary_teacher, thread=thread).exists()


def test_a_thread_without_a_title_or_body_is_refused_and_nothing_is_saved(primary_teacher):
    with pytest.raises(ForumActionRefused, match="title"):
        services.thread_create(forum=wellbeing(), author=primary_teacher, title=" ", body="Hi")
    with pytest.raises(ForumActionRefused, match="Write something"):
        services.thread_create(forum=wellbeing(), author=primary_teacher, title="Hi", body="  ")

    assert not Thread.objects.exists()
    assert not Post.objects.exists()


def test_only_the_central_team_starts_threads_in_announcements(
    primary_teacher, central_team_editor
):
    announcements = Forum.objects.get(slug="announcements")

    with pytest.raises(ForumActionRefused, match="Only the central team"):
        services.thread_create(
            forum=announcements, author=primary_teacher, title="News", body="Hello"
        )
    thread = services.thread_create(
        forum=announcements, author=central_team_editor, title="News", body="Term dates."
    )

    assert services.post_create(thread=thread, author=primary_teacher, body="Thanks!").pk


def test_anonymous_posts_are_refused_where_the_forum_does_not_allow_them(primary_teacher):
    with pytest.raises(ForumActionRefused, match="Anonymous posts are not allowed"):
        services.thread_create(
            forum=wellbeing(), author=primary_teacher, title="Hi", body="Hi", is_anonymous=True
        )
    thread = ThreadFactory(forum=wellbeing())
    with pytest.raises(ForumActionRefused, match="Anonymous posts are not allowed"):
        services.post_create(thread=thread, author=primary_teacher, body="Hi", is_anonymous=True)

    assert not Post.objects.filter(is_anonymous=True).exists()


def test_staff_voice_accepts_anonymous_posts(primary_teacher):
    staff_voice = Forum.objects.get(slug="staff-voice")

    thread = services.thread_create(
        forum=staff_voice,
        author=primary_teacher,
        title="Workload",
        body="Too much.",
        is_anonymous=True,
    )

    assert thread.posts.get().is_anonymous


def test_a_reply_updates_the_thread_and_follows_it(primary_teacher):
    thread = ThreadFactory(forum=wellbeing())
    before = thread.last_activity_at

    post = services.post_create(thread=thread, author=primary_teacher, body="Count me in.")

    thread.refresh_from_db()
    assert thread.reply_count == 1
    assert thread.last_activity_at > before
    assert ThreadFollow.objects.filter(person=primary_teacher, thread=thread).exists()
    assert (
        ThreadRead.objects.get(person=primary_teacher, thread=thread).last_read_post_id == post.pk
    )


def test_a_reply_to_a_locked_thread_is_refused(primary_teacher):
    thread = ThreadFactory(forum=wellbeing(), locked=True)

    with pytest.raises(ForumActionRefused, match="locked"):
        services.post_create(thread=thread, author=primary_teacher, body="Hello?")

    assert not thread.posts.exists()


def test_an_empty_or_oversized_reply_is_refused_with_a_message(primary_teacher):
    thread = ThreadFactory(forum=wellbeing())

    with pytest.raises(ForumActionRefused, match="Write something"):
        services.post_create(thread=thread, author=primary_teacher, body=" \n ")
    with pytest.raises(ForumActionRefused, match="at most 20,000 characters"):
        services.post_create(
            thread=thread, author=primary_teacher, body="x" * (POST_MAX_LENGTH + 1)
        )

    assert services.post_create(thread=thread, author=primary_teacher, body="x" * POST_MAX_LENGTH)
    thread.refresh_from_db()
    assert thread.reply_count == 1


def test_only_members_write_in_a_networks_forum(primary_teacher):
    network = NetworkFactory(name="Primary maths")
    forum = services.forum_for_network(network=network)
    thread = ThreadFactory(forum=forum)

    with pytest.raises(ForumActionRefused, match="Join the network"):
        services.thread_create(forum=forum, author=primary_teacher, title="Hi", body="Hi")
    with pytest.raises(ForumActionRefused, match="Join the network"):
        services.post_create(thread=thread, author=primary_teacher, body="Hi")

    MembershipFactory(network=network, person=primary_teacher)
    primary_teacher.__dict__.pop("_memberships", None)
    assert services.post_create(thread=thread, author=primary_teacher, body="Hi").pk


def test_a_private_networks_forum_refuses_those_who_cannot_read_it(primary_teacher):
    forum = services.forum_for_network(network=NetworkFactory(private=True))

    with pytest.raises(ForumActionRefused, match="cannot start"):
        services.thread_create(forum=forum, author=primary_teacher, title="Hi", body="Hi")
    with pytest.raises(ForumActionRefused, match="cannot reply"):
        services.post_create(thread=ThreadFactory(forum=forum), author=primary_teacher, body="Hi")


def test_a_networks_forum_is_made_once(primary_teacher):
    network = NetworkFactory(name="Science")

    first = services.forum_for_network(network=network)
    second = services.forum_for_network(network=network)

    assert first == second
    assert first.name == "Science"


def test_the_author_edits_a_post_and_the_old_text_is_kept(primary_teacher):
    post = PostFactory(author=primary_teacher, body="Frist", thread__forum=wellbeing())

    services.post_edit(post=post, editor=primary_teacher, body="First")

    post.refresh_from_db()
    assert post.body == "First"
    assert post.body_html == "<p>First</p>"
    assert post.edited_at is not None
    assert list(PostRevision.objects.filter(post=post).values_list("body", flat=True)) == ["Frist"]


def test_editing_someone_elses_post_is_refused(primary_teacher, moderator):
    post = PostFactory(body="Mine", thread__forum=wellbeing())

    for person in (primary_teacher, moderator):
        with pytest.raises(ForumActionRefused, match="Only the author"):
            services.post_edit(post=post, editor=person, body="Yours now")

    post.refresh_from_db()
    assert post.body == "Mine"
    assert not PostRevision.objects.exists()


def test_a_hidden_post_cannot_be_edited_by_its_author_until_it_is_restored(
    primary_teacher, moderator
):
    post = PostFactory(author=primary_teacher, body="Mine", thread__forum=wellbeing())
    moderation.post_hide(post=post, moderator=moderator, reason="Names a colleague")

    with pytest.raises(ForumActionRefused, match="hidden this post"):
        services.post_edit(post=post, editor=primary_teacher, body="Changed meanwhile")

    moderation.post_restore(post=post, moderator=moderator, reason="Agreed")
    post.refresh_from_db()
    assert post.body == "Mine"
    assert not PostRevision.objects.exists()
    services.post_edit(post=post, editor=primary_teacher, body="Mine, reworded")


def test_an_edit_to_empty_text_is_refused(primary_teacher):
    post = PostFactory(author=primary_teacher, body="Mine")

    with pytest.raises(ForumActionRefused, match="Write something"):
        services.post_edit(post=post, editor=primary_teacher, body="")


def test_the_author_or_a_moderator_removes_a_post_softly(primary_teacher, moderator):
    own = PostFactory(author=primary_teacher)
    other = PostFactory(thread=own.thread)

    services.post_delete(post=own, deleter=primary_teacher)
    with pytest.raises(ForumActionRefused, match="Only the author or a moderator"):
        services.post_delete(post=other, deleter=primary_teacher)
    services.post_delete(post=other, deleter=moderator)

    own.refresh_from_db()
    other.refresh_from_db()
    assert own.deleted_at is not None and other.deleted_at is not None
    assert Post.objects.count() == 2


def test_reading_a_thread_moves_the_marker_forward_only(primary_teacher):
    first = PostFactory()
    second = PostFactory(thread=first.thread)

    services.thread_mark_read(thread=first.thread, person=primary_teacher)
    services.thread_mark_read(thread=first.thread, person=primary_teacher, last_post_id=first.pk)

    marker = ThreadRead.objects.get(person=primary_teacher, thread=first.thread)
    assert marker.last_read_post_id == second.pk


def test_following_and_unfollowing_a_thread(primary_teacher):
    thread = ThreadFactory()

    services.thread_follow(thread=thread, person=primary_teacher)
    services.thread_follow(thread=thread, person=primary_teacher)
    assert ThreadFollow.objects.filter(thread=thread).count() == 1
    services.thread_unfollow(thread=thread, person=primary_teacher)
    assert not ThreadFollow.objects.filter(thread=thread).exists()


def test_a_reply_is_announced_once_after_commit(
    primary_teacher, thread_listener, django_capture_on_commit_callbacks
):
    thread = ThreadFactory(forum=wellbeing())
    received = thread_listener(thread)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post = services.post_create(thread=thread, author=primary_teacher, body="Walk at *noon*")
        assert received() == []  # nothing before the commit
    assert callbacks, "the announcement waits for the commit"
    for callback in callbacks:
        callback()

    [event] = received()  # one announcement to the thread, however many callbacks
    assert event["event"] == events.POST_CREATED
    assert event["post_id"] == post.pk
    assert "Walk at <em>noon</em>" in event["html"]
    assert primary_teacher.name in event["html"]


def test_edits_and_removals_are_announced_after_commit(
    primary_teacher, thread_listener, django_capture_on_commit_callbacks
):
    post = PostFactory(author=primary_teacher, body="Draft")
    received = thread_listener(post.thread)

    with django_capture_on_commit_callbacks(execute=True):
        services.post_edit(post=post, editor=primary_teacher, body="Final")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_delete(post=post, deleter=primary_teacher)

    edited, removed = received()
    assert edited["event"] == events.POST_EDITED and "Final" in edited["html"]
    # The placeholder replaces the post in place, and the removed text is not sent anywhere.
    assert removed["event"] == events.POST_REMOVED
    assert "This post has been removed" in removed["html"] and "Final" not in removed["html"]
    assert removed["revision"] > edited["revision"]


CHANGES = {
    "reply": lambda post, teacher, moderator: services.post_create(
        thread=post.thread, author=teacher, body="Walk at noon"
    ),
    "edit": lambda post, teacher, moderator: services.post_edit(
        post=post, editor=teacher, body="Walk at one"
    ),
    "removal": lambda post, teacher, moderator: services.post_delete(post=post, deleter=teacher),
    "hiding": lambda post, teacher, moderator: moderation.post_hide(
        post=post, moderator=moderator, reason="Unkind"
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_readers_hear_of_a_change_before_anything_else_is_done_after_commit(
    change, primary_teacher, moderator, thread_listener, django_capture_on_commit_callbacks
):
    """Saving a post queues the search index's update, which reads the whole thread: the
    doorbell must not wait behind it, nor behind notifications."""
    post = PostFactory(thread=ThreadFactory(forum=wellbeing()), author=primary_teacher)
    received = thread_listener(post.thread)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        changed = CHANGES[change](post, primary_teacher, moderator)
    assert len(callbacks) > 1  # the index and notifications wait their turn too

    callbacks[0]()
    [event] = received()
    assert event["post_id"] == changed.pk
    for callback in callbacks[1:]:
        callback()
    assert received() == []  # announced once


def test_a_refused_reply_announces_nothing(
    primary_teacher, thread_listener, django_capture_on_commit_callbacks
):
    thread = ThreadFactory(forum=wellbeing(), locked=True)
    received = thread_listener(thread)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ForumActionRefused):
            services.post_create(thread=thread, author=primary_teacher, body="Hi")

    assert callbacks == []
    assert received() == []


def test_a_broken_channel_layer_does_not_fail_the_reply(
    primary_teacher, settings, django_capture_on_commit_callbacks
):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1"]},
        }
    }
    channel_layers.backends.clear()
    try:
        thread = ThreadFactory(forum=wellbeing())
        with django_capture_on_commit_callbacks(execute=True):
            post = services.post_create(thread=thread, author=PersonFactory(), body="Still saved")
    finally:
        channel_layers.backends.clear()

    assert Post.objects.filter(pk=post.pk).exists()


HOSTILE = [
    "<script>alert('x')</script>Hello",
    '<img src=x onerror="alert(1)">Hello',
    "[click](javascript:alert(1)) Hello",
    '<a href="javascript:alert(1)">click</a> Hello',
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) Hello",
    '<a href="&#106;avascript&#58;alert(1)">click</a> Hello',
    "[click](&#x6A;avascript:alert(1)) Hello",
    '<a href="JaVaScRiPt:alert(1)">click</a> Hello',
    "<p onclick='alert(1)'>Hello</p>",
    "<div><em>Hello <strong>unclosed</em></div></p></blockquote>",
    "<svg><script>alert(1)</script></svg>Hello",
    "<iframe src='https://evil.example'></iframe>Hello",
    "<style>body{display:none}</style>Hello",
    "<a href='//evil.example' onmouseover=alert(1)>Hello</a>",
]


# Sanitising: hostile Markdown and HTML never reach a page as markup.


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_input_is_made_harmless(primary_teacher, body):
    thread = services.thread_create(
        forum=Forum.objects.get(slug="wellbeing"), author=primary_teacher, title="Hi", body=body
    )

    html = thread.posts.get().body_html.lower()
    for forbidden in ("<script", "onerror", "onclick", "onmouseover", "javascript:", "data:",
                      "<iframe", "<svg", "<style", "<img", "evil.example"):  # fmt: skip
        assert forbidden not in html
    assert "hello" in html


def test_malformed_nesting_comes_out_balanced(primary_teacher):
    html = services.render_post_body("<em>a <strong>b</em> c</strong></div></blockquote>")

    assert html.count("<em>") == html.count("</em>")
    assert html.count("<strong>") == html.count("</strong>")
    assert "</div>" not in html and "</blockquote>" not in html


def test_ordinary_markdown_survives(primary_teacher):
    html = services.render_post_body(
        "# Heading\n\n- one\n- two\n\n> quoted\n\n[the guide](https://example.org/guide)"
    )

    assert "<h2>Heading</h2>" in html
    assert "<li>one</li>" in html
    assert "<blockquote>" in html
    assert 'href="https://example.org/guide"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_an_overlong_title_is_refused(primary_teacher):
    with pytest.raises(ForumActionRefused, match="at most 200 characters"):
        services.thread_create(
            forum=wellbeing(), author=primary_teacher, title="x" * 201, body="Hello"
        )

    assert not Thread.objects.exists()


def test_a_quote_must_come_from_the_same_thread(primary_teacher):
    elsewhere = PostFactory()
    thread = ThreadFactory(forum=wellbeing())

    with pytest.raises(ForumActionRefused, match="same thread"):
        services.post_create(thread=thread, author=primary_teacher, body="Hi", quoted=elsewhere)

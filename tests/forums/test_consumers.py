"""The thread websocket on the in-memory layer: who may connect, what arrives live, catching
up from the database, and bad frames that are refused without harm."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import override_settings

from config.asgi import application
from forums import events
from forums.consumers import TRY_AGAIN_LATER
from forums.models import Post
from forums.moderation import post_hide
from forums.reactions import reaction_toggle
from forums.selectors import posts_changed_since
from forums.services import post_create, post_delete, post_edit
from networks.models import Membership
from tests.factories import PersonFactory
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.services import free_port

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 3


def session_cookie(client, person) -> bytes:
    client.force_login(person)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def communicator(thread_id: int, cookie: bytes | None = None, origin: bytes = b"http://127.0.0.1"):
    headers = [(b"origin", origin), (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, f"/ws/threads/{thread_id}/", headers=headers)


async def refused_with(socket: WebsocketCommunicator) -> int | None:
    """The code a refused socket is closed with. The server accepts it first (so browsers see
    the code, not 1006) and closes at once; an origin refused before that gives None."""
    connected, code = await socket.connect(timeout=TIMEOUT)
    if not connected:
        return code
    message = await socket.receive_output(timeout=TIMEOUT)
    assert message["type"] == "websocket.close", message
    return message.get("code")


async def connected_socket(client, person, thread_id: int) -> WebsocketCommunicator:
    cookie = await sync_to_async(session_cookie)(client, person)
    socket = communicator(thread_id, cookie)
    connected, code = await socket.connect(timeout=TIMEOUT)
    assert connected, code
    return socket


@sync_to_async
def reply(thread, author, body: str) -> Post:
    return post_create(thread=thread, author=author, body=body)


@pytest.fixture
def thread(db):
    return ThreadFactory(forum=ForumFactory(name="Wellbeing", slug="wellbeing"))


@pytest.fixture
def colleague(db):
    return PersonFactory(first_name="Tom", last_name="Hughes")


async def test_a_socket_without_a_session_is_refused_with_4401(thread):
    assert await refused_with(communicator(thread.pk)) == 4401


async def test_a_socket_from_a_foreign_origin_is_refused(client, primary_teacher, thread):
    cookie = await sync_to_async(session_cookie)(client, primary_teacher)
    socket = communicator(thread.pk, cookie, origin=b"https://evil.example")

    connected, _ = await socket.connect(timeout=TIMEOUT)

    assert not connected


async def test_someone_outside_a_private_network_cannot_join_its_forums_threads(
    client, primary_teacher
):
    network = await sync_to_async(NetworkFactory)(name="Heads of maths", private=True)
    forum = await sync_to_async(ForumFactory)(network=network)
    thread = await sync_to_async(ThreadFactory)(forum=forum)
    cookie = await sync_to_async(session_cookie)(client, primary_teacher)

    assert await refused_with(communicator(thread.pk, cookie)) == 4403


async def test_a_thread_that_does_not_exist_is_refused_with_4403(client, primary_teacher):
    cookie = await sync_to_async(session_cookie)(client, primary_teacher)

    assert await refused_with(communicator(987654, cookie)) == 4403


async def test_a_member_of_a_private_network_receives_a_colleagues_reply_as_it_is_committed(
    client, primary_teacher, colleague
):
    network = await sync_to_async(NetworkFactory)(name="Heads of maths", private=True)
    await sync_to_async(MembershipFactory)(network=network, person=primary_teacher)
    await sync_to_async(MembershipFactory)(
        network=network, person=colleague, role=Membership.Role.MEMBER
    )
    forum = await sync_to_async(ForumFactory)(network=network)
    thread = await sync_to_async(ThreadFactory)(forum=forum)
    socket = await connected_socket(client, primary_teacher, thread.pk)

    post = await reply(thread, colleague, "Fractions walls have **worked** for us.")
    frame = await socket.receive_json_from(timeout=TIMEOUT)

    assert frame["type"] == events.POST_CREATED
    assert frame["post_id"] == post.pk
    assert f'id="post-{post.pk}"' in frame["html"]
    assert "<strong>worked</strong>" in frame["html"]
    assert "Tom Hughes" in frame["html"]
    await socket.disconnect()


async def test_catching_up_sends_exactly_the_missed_posts_in_order_then_caught_up(
    client, primary_teacher, thread
):
    posts = [await sync_to_async(PostFactory)(thread=thread) for _ in range(5)]
    socket = await connected_socket(client, primary_teacher, thread.pk)

    await socket.send_json_to({"action": "catch_up", "after": posts[1].pk})
    frames = [await socket.receive_json_from(timeout=TIMEOUT) for _ in range(4)]

    assert [frame["post_id"] for frame in frames[:3]] == [post.pk for post in posts[2:]]
    assert all(frame["type"] == events.POST_CREATED for frame in frames[:3])
    assert f'id="post-{posts[2].pk}"' in frames[0]["html"]
    assert frames[3] == {"type": "caught_up", "last_post_id": posts[4].pk, "more": False}
    assert await socket.receive_nothing()
    await socket.disconnect()


async def test_catching_up_with_nothing_missed_says_caught_up_at_once(
    client, primary_teacher, thread
):
    post = await sync_to_async(PostFactory)(thread=thread)
    socket = await connected_socket(client, primary_teacher, thread.pk)

    await socket.send_json_to({"action": "catch_up", "after": post.pk})

    assert await socket.receive_json_from(timeout=TIMEOUT) == {
        "type": "caught_up",
        "last_post_id": post.pk,
        "more": False,
    }
    await socket.disconnect()


BAD_TEXT_FRAMES = [
    pytest.param("not json at all", "JSON", id="not JSON"),
    pytest.param("[1, 2, 3]", "object", id="a JSON list"),
    pytest.param('"catch_up"', "object", id="a JSON string"),
    pytest.param('{"action": "launch"}', "Unknown action", id="an unknown action"),
    pytest.param('{"type": "ping"}', "Unknown action", id="no action"),
    pytest.param('{"action": "catch_up", "after": "12"}', "after", id="after as text"),
    pytest.param('{"action": "catch_up", "after": -1}', "after", id="after negative"),
    pytest.param('{"action": "catch_up", "after": true}', "after", id="after a boolean"),
    pytest.param('{"action": "catch_up"}', "after", id="after missing"),
    pytest.param('{"action": "catch_up", "after": 1e400}', "after", id="after infinite"),
    pytest.param('{"action": "catch_up", "revision": "3"}', "revision", id="revision as text"),
    pytest.param('{"action": "catch_up", "revision": -2}', "revision", id="revision negative"),
    pytest.param('{"action": "catch_up", "revision": false}', "revision", id="revision a boolean"),
    pytest.param(
        '{"action": "catch_up", "revision": 3, "after": "x"}', "after", id="revision, after text"
    ),
    pytest.param(
        '{"action": "catch_up", "after": 123456789012345678901234567890}', "after", id="after huge"
    ),
    pytest.param(
        '{"action": "catch_up", "after": 0, "revision": 0, "have": "1,2"}', "have", id="have text"
    ),
    pytest.param(
        '{"action": "catch_up", "after": 0, "revision": 0, "have": [1, -2]}',
        "have",
        id="have a negative revision",
    ),
    pytest.param(
        json.dumps({"action": "catch_up", "after": 0, "revision": 0, "have": list(range(201))}),
        "have",
        id="have too long",
    ),
    pytest.param("x" * 1_000_000, "at most", id="1 MB of text"),
    pytest.param("[" * 4000 + "]" * 90, "JSON", id="deep nesting"),
    pytest.param(json.dumps({"action": "ping", "x": "y" * 5000}), "at most", id="a large ping"),
]


@pytest.mark.parametrize(("text", "complaint"), BAD_TEXT_FRAMES)
async def test_a_bad_frame_gets_an_error_frame_and_the_socket_stays_usable(
    client, primary_teacher, colleague, thread, text, complaint, caplog
):
    socket = await connected_socket(client, primary_teacher, thread.pk)
    onlooker = await connected_socket(client, colleague, thread.pk)

    await socket.send_to(text_data=text)
    error = await socket.receive_json_from(timeout=TIMEOUT)
    await socket.send_json_to({"action": "ping"})
    pong = await socket.receive_json_from(timeout=TIMEOUT)
    post = await reply(thread, colleague, "Still here.")

    assert error["type"] == "error"
    assert complaint in error["message"]
    assert pong == {"type": "pong"}
    assert (await socket.receive_json_from(timeout=TIMEOUT))["post_id"] == post.pk
    assert (await onlooker.receive_json_from(timeout=TIMEOUT))["post_id"] == post.pk
    assert "Traceback" not in caplog.text
    await socket.disconnect()
    await onlooker.disconnect()


async def test_a_binary_frame_gets_an_error_frame_and_the_socket_stays_usable(
    client, primary_teacher, thread
):
    socket = await connected_socket(client, primary_teacher, thread.pk)

    await socket.send_to(bytes_data=b"\x00\x01binary")
    error = await socket.receive_json_from(timeout=TIMEOUT)
    await socket.send_json_to({"action": "ping"})

    assert error == {"type": "error", "message": "Send text frames of JSON, not binary frames."}
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await socket.disconnect()


async def test_announced_posts_are_forwarded_without_a_database_hop(
    client, primary_teacher, colleague, thread, monkeypatch
):
    socket = await connected_socket(client, primary_teacher, thread.pk)

    async def no_database_please() -> None:
        raise AssertionError("A forwarded event must not touch the database connections.")

    monkeypatch.setattr("channels.consumer.aclose_old_connections", no_database_please)
    layer = channel_layers["default"]
    await layer.group_send(
        events.thread_group(thread.pk),
        {
            "type": "thread.event",
            "event": events.POST_EDITED,
            "post_id": 41,
            "thread_id": thread.pk,
            "html": '<article id="post-41">Edited</article>',
        },
    )

    assert await socket.receive_json_from(timeout=TIMEOUT) == {
        "type": events.POST_EDITED,
        "post_id": 41,
        "html": '<article id="post-41">Edited</article>',
    }
    await layer.group_send(
        events.thread_group(thread.pk),
        events.typing_event(person_key="someone-else", name="Tom Hughes", sender="x"),
    )
    assert await socket.receive_json_from(timeout=TIMEOUT) == {
        "type": "typing",
        "person": "someone-else",
        "name": "Tom Hughes",
    }
    monkeypatch.undo()  # the disconnect itself is dispatched the ordinary way
    await socket.disconnect()


def test_a_reply_is_saved_even_when_the_channel_layer_is_down(primary_teacher, thread, caplog):
    closed_port = free_port()
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": f"redis://127.0.0.1:{closed_port}/0"}]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        channel_layers.backends.clear()
        try:
            post = post_create(thread=thread, author=primary_teacher, body="Saved regardless.")
        finally:
            channel_layers.backends.clear()

    assert Post.objects.get(pk=post.pk).body == "Saved regardless."
    assert f"Could not announce to {events.thread_group(thread.pk)}" in caplog.text


async def test_a_socket_is_asked_to_try_again_later_when_the_channel_layer_is_down(
    client, primary_teacher, thread, caplog
):
    cookie = await sync_to_async(session_cookie)(client, primary_teacher)
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": f"redis://127.0.0.1:{free_port()}/0"}]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        channel_layers.backends.clear()
        try:
            connected, code = await communicator(thread.pk, cookie).connect(timeout=TIMEOUT)
        finally:
            channel_layers.backends.clear()

    assert not connected
    assert code == TRY_AGAIN_LATER
    assert "Traceback" not in caplog.text


async def test_someone_who_left_a_private_network_is_refused_when_catching_up(
    client, primary_teacher
):
    network = await sync_to_async(NetworkFactory)(name="Heads of maths", private=True)
    membership = await sync_to_async(MembershipFactory)(network=network, person=primary_teacher)
    forum = await sync_to_async(ForumFactory)(network=network)
    thread = await sync_to_async(ThreadFactory)(forum=forum)
    await sync_to_async(PostFactory)(thread=thread)
    socket = await connected_socket(client, primary_teacher, thread.pk)

    await sync_to_async(membership.delete)()
    await socket.send_json_to({"action": "catch_up", "after": 0})

    assert await socket.receive_json_from(timeout=TIMEOUT) == {
        "type": "error",
        "message": "You can no longer read this thread.",
    }
    assert (await socket.receive_output(timeout=TIMEOUT))["code"] == 4403


# Exact catch-up by revision: every change, not only new posts.


@sync_to_async
def change_while_away(thread, author, moderator, posts):
    """An edit, a removal and a moderator hiding a post, while a reader is disconnected."""
    post_edit(post=posts[0], editor=author, body="Edited: **ten** minutes, not five.")
    post_delete(post=posts[1], deleter=author)
    post_hide(post=posts[2], moderator=moderator, reason="Names a pupil.")


async def test_a_reader_who_reconnects_receives_exactly_the_edits_removals_and_hiding_missed(
    client, primary_teacher, colleague, moderator, thread
):
    posts = [
        await reply(thread, colleague, f"Idea {number}: a secret about a pupil.")
        for number in range(4)
    ]
    await sync_to_async(thread.refresh_from_db)()
    seen_revision, seen_post = thread.revision, posts[-1].pk

    await change_while_away(thread, colleague, moderator, posts)
    socket = await connected_socket(client, primary_teacher, thread.pk)
    await socket.send_json_to({"action": "catch_up", "after": seen_post, "revision": seen_revision})
    frames = [await socket.receive_json_from(timeout=TIMEOUT) for _ in range(4)]

    assert [frame["post_id"] for frame in frames[:3]] == [post.pk for post in posts[:3]]
    assert all(frame["type"] == events.POST_UPDATED for frame in frames[:3])
    assert [frame["revision"] for frame in frames[:3]] == [
        seen_revision + 1,
        seen_revision + 2,
        seen_revision + 3,
    ]
    assert "<strong>ten</strong>" in frames[0]["html"]
    assert "This post has been removed." in frames[1]["html"]
    assert "hidden by a moderator" in frames[2]["html"]
    assert "secret" not in frames[1]["html"] and "secret" not in frames[2]["html"]
    assert frames[3] == {
        "type": "caught_up",
        "last_post_id": seen_post,
        "revision": seen_revision + 3,
        "more": False,
    }
    assert await socket.receive_nothing()
    await socket.disconnect()


async def test_catching_up_by_revision_sends_new_posts_as_created_and_changes_as_updated(
    client, primary_teacher, colleague, thread
):
    first = await reply(thread, colleague, "Before you left.")
    await sync_to_async(first.refresh_from_db)()
    newer = await reply(thread, colleague, "While you were away.")
    await sync_to_async(post_edit)(post=first, editor=colleague, body="Before you left, edited.")
    socket = await connected_socket(client, primary_teacher, thread.pk)

    await socket.send_json_to({"action": "catch_up", "after": first.pk, "revision": first.revision})
    frames = [await socket.receive_json_from(timeout=TIMEOUT) for _ in range(3)]

    assert [(frame["type"], frame["post_id"]) for frame in frames[:2]] == [
        (events.POST_CREATED, newer.pk),
        (events.POST_UPDATED, first.pk),
    ]
    assert frames[2]["last_post_id"] == newer.pk
    assert frames[2]["revision"] == first.revision + 2
    await socket.disconnect()


async def test_live_post_events_carry_their_revision(client, primary_teacher, colleague, thread):
    socket = await connected_socket(client, primary_teacher, thread.pk)

    post = await reply(thread, colleague, "Counted.")
    frame = await socket.receive_json_from(timeout=TIMEOUT)
    await sync_to_async(post.refresh_from_db)()

    assert frame["revision"] == post.revision > 0
    await socket.disconnect()


async def test_a_reader_whose_catch_up_crosses_a_live_post_gets_that_post_once(
    client, primary_teacher, colleague, thread
):
    socket = await connected_socket(client, primary_teacher, thread.pk)
    await sync_to_async(thread.refresh_from_db)()
    before = thread.revision

    # The page asked to catch up just as the reply arrived live: one copy is enough.
    post = await reply(thread, colleague, "Sent live, and changed since the page asked.")
    live = await socket.receive_json_from(timeout=TIMEOUT)
    await socket.send_json_to({"action": "catch_up", "after": 0, "revision": before})
    done = await socket.receive_json_from(timeout=TIMEOUT)

    assert (live["post_id"], live["revision"]) == (post.pk, before + 1)
    assert done == {
        "type": "caught_up",
        "last_post_id": post.pk,
        "revision": before + 1,
        "more": False,
    }
    assert await socket.receive_nothing()
    await socket.disconnect()


async def test_a_reader_who_missed_an_announcement_but_saw_a_later_post_gets_only_the_missed_one(
    client, primary_teacher, colleague, thread, monkeypatch
):
    socket = await connected_socket(client, primary_teacher, thread.pk)
    await sync_to_async(thread.refresh_from_db)()
    before = thread.revision
    # Redis died between this reply's save and its announcement: nobody hears of it.
    with monkeypatch.context() as lost_layer:
        lost_layer.setattr(events, "announce", lambda group, message: None)
        missed = await reply(thread, colleague, "Saved, never announced.")
    later = await reply(thread, colleague, "Announced as usual.")
    live = await socket.receive_json_from(timeout=TIMEOUT)

    # As thread-live.js does: catch up from the last unbroken revision, naming what it holds.
    await socket.send_json_to(
        {"action": "catch_up", "after": later.pk, "revision": before, "have": [live["revision"]]}
    )
    caught = await socket.receive_json_from(timeout=TIMEOUT)
    done = await socket.receive_json_from(timeout=TIMEOUT)

    assert (live["post_id"], live["revision"]) == (later.pk, before + 2)
    assert (caught["post_id"], caught["revision"]) == (missed.pk, before + 1)
    assert "Saved, never announced." in caught["html"]
    assert done == {
        "type": "caught_up",
        "last_post_id": later.pk,
        "revision": before + 2,
        "more": False,
    }
    assert await socket.receive_nothing()
    await socket.disconnect()


# Typing and who else is reading.


async def test_typing_reaches_the_others_with_the_name_from_the_session_at_most_every_3_seconds(
    client, primary_teacher, colleague, thread
):
    typist = await connected_socket(client, colleague, thread.pk)
    reader = await connected_socket(client, primary_teacher, thread.pk)

    await typist.send_json_to({"action": "typing", "name": "The head teacher"})
    await typist.send_json_to({"action": "typing"})
    await typist.send_json_to({"action": "typing"})
    frame = await reader.receive_json_from(timeout=TIMEOUT)

    assert frame["type"] == "typing"
    assert frame["name"] == "Tom Hughes"
    assert str(colleague.pk) not in frame["person"]
    assert await reader.receive_nothing(timeout=0.3)
    assert await typist.receive_nothing(timeout=0.1)  # nobody hears themselves typing
    await typist.disconnect()
    await reader.disconnect()


async def test_in_an_anonymous_forum_typing_and_presence_name_nobody(client, primary_teacher):
    forum = await sync_to_async(ForumFactory)(
        name="Staff voice", slug="staff-voice", allows_anonymous_posts=True
    )
    thread = await sync_to_async(ThreadFactory)(forum=forum)
    typist = await connected_socket(client, primary_teacher, thread.pk)
    other = await sync_to_async(PersonFactory)(first_name="Ravi", last_name="Kapoor")
    reader = await connected_socket(client, other, thread.pk)

    await reader.send_json_to({"action": "here"})
    heard = await typist.receive_json_from(timeout=TIMEOUT)
    await typist.send_json_to({"action": "here"})
    answered = await typist.receive_json_from(timeout=TIMEOUT)
    announced = await reader.receive_json_from(timeout=TIMEOUT)
    await typist.send_json_to({"action": "typing"})
    typing = await reader.receive_json_from(timeout=TIMEOUT)

    assert typing == {"type": "typing"}
    assert heard["person"] == answered["person"] != announced["person"]
    for frame in (heard, answered, announced):
        assert frame["type"] == "presence" and frame["event"] == "here"
        assert "name" not in frame
        text = json.dumps(frame)
        assert "Priya" not in text and "Ravi" not in text
        assert str(primary_teacher.pk) not in frame["person"]
    await typist.disconnect()
    await reader.disconnect()


async def test_a_newcomer_hears_who_is_reading_once_and_they_hear_it_leave(
    client, primary_teacher, colleague, thread
):
    reader = await connected_socket(client, colleague, thread.pk)
    await reader.send_json_to({"action": "here"})
    assert await reader.receive_nothing(timeout=0.2)  # alone in the thread
    newcomer = await connected_socket(client, primary_teacher, thread.pk)

    await newcomer.send_json_to({"action": "here"})
    joined = await reader.receive_json_from(timeout=TIMEOUT)
    answer = await newcomer.receive_json_from(timeout=TIMEOUT)
    await newcomer.send_json_to({"action": "here"})  # a heartbeat too soon: dropped

    assert joined["event"] == "here" and joined["name"] == "Priya Patel"
    assert answer["event"] == "here" and answer["name"] == "Tom Hughes"
    assert await newcomer.receive_nothing(timeout=0.3)  # answered once only
    assert await reader.receive_nothing(timeout=0.1)
    await newcomer.disconnect()
    left = await reader.receive_json_from(timeout=TIMEOUT)
    assert left == {
        "type": "presence",
        "event": "left",
        "key": joined["key"],
        "person": joined["person"],
        "name": "Priya Patel",
    }
    await reader.disconnect()


async def test_someone_who_cannot_reply_cannot_send_typing(client, primary_teacher):
    thread = await sync_to_async(ThreadFactory)(
        forum=await sync_to_async(ForumFactory)(slug="wellbeing"), locked=True
    )
    socket = await connected_socket(client, primary_teacher, thread.pk)

    await socket.send_json_to({"action": "typing"})

    assert await socket.receive_json_from(timeout=TIMEOUT) == {
        "type": "error",
        "message": "You cannot reply in this thread.",
    }
    await socket.disconnect()


async def test_a_reaction_while_away_comes_back_with_its_count(
    client, primary_teacher, colleague, thread
):
    posts = [await sync_to_async(PostFactory)(thread=thread, author=colleague) for _ in range(3)]
    for post in posts:
        await sync_to_async(reaction_toggle)(post=post, person=primary_teacher, kind="thanks")
    socket = await connected_socket(client, primary_teacher, thread.pk)

    await socket.send_json_to({"action": "catch_up", "after": posts[-1].pk, "revision": 0})
    frames = [await socket.receive_json_from(timeout=TIMEOUT) for _ in range(4)]

    assert [frame["post_id"] for frame in frames[:3]] == [post.pk for post in posts]
    assert all(
        'value="thanks"' in frame["html"] and "data-count>1<" in frame["html"]
        for frame in frames[:3]
    )
    assert frames[3]["revision"] == 3
    await socket.disconnect()


def test_a_catch_up_of_many_changes_is_read_and_rendered_in_one_query(
    primary_teacher, colleague, thread, django_assert_num_queries
):
    quoted = PostFactory(thread=thread, author=colleague)
    posts = [PostFactory(thread=thread, quoted=quoted) for _ in range(15)]
    for post in posts:
        reaction_toggle(post=post, person=primary_teacher, kind="helpful")

    with django_assert_num_queries(1):
        changed = posts_changed_since(primary_teacher, thread, 0)
        fragments = [events.render_post(post) for post in changed]

    assert len(fragments) == 15
    assert all("data-count>1<" in fragment for fragment in fragments)

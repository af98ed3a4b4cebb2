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
from forums.services import post_create
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
    connected, code = await communicator(thread.pk).connect(timeout=TIMEOUT)

    assert not connected
    assert code == 4401


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

    connected, code = await communicator(thread.pk, cookie).connect(timeout=TIMEOUT)

    assert not connected
    assert code == 4403


async def test_a_thread_that_does_not_exist_is_refused_with_4403(client, primary_teacher):
    cookie = await sync_to_async(session_cookie)(client, primary_teacher)

    connected, code = await communicator(987654, cookie).connect(timeout=TIMEOUT)

    assert not connected
    assert code == 4403


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
    pytest.param(
        '{"action": "catch_up", "after": 123456789012345678901234567890}', "after", id="after huge"
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

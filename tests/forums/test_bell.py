"""The live bell over a websocket, on the in-memory layer and on a real Redis server: who may
connect, what arrives when someone is mentioned, bad frames, and a lost layer."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from config.asgi import application
from forums.consumers import SERVICE_RESTART, TRY_AGAIN_LATER
from forums.models import Notification
from forums.notifications import person_group
from forums.services import post_create
from tests.forums.factories import ForumFactory, ThreadFactory
from tests.forums.test_consumers import TIMEOUT, refused_with, session_cookie
from tests.services import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def bell_socket(cookie: bytes | None = None, origin: bytes = b"http://127.0.0.1"):
    headers = [(b"origin", origin), (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/notifications/", headers=headers)


async def connected_bell(client, person) -> tuple[WebsocketCommunicator, dict]:
    """A connected bell and the count it is sent on connecting."""
    cookie = await sync_to_async(session_cookie)(client, person)
    socket = bell_socket(cookie)
    connected, code = await socket.connect(timeout=TIMEOUT)
    assert connected, code
    return socket, await socket.receive_json_from(timeout=TIMEOUT)


@sync_to_async
def mention(person_handle: str, author) -> None:
    thread = ThreadFactory(forum=ForumFactory(name="Wellbeing", slug="wellbeing"))
    post_create(thread=thread, author=author, body=f"What do you think, @{person_handle}?")


@sync_to_async
def unread_notification(person) -> Notification:
    return Notification.objects.create(
        recipient=person, kind=Notification.Kind.REPLY, text="A reply", url="/forums/"
    )


async def test_a_bell_without_a_session_is_refused_with_4401():
    assert await refused_with(bell_socket()) == 4401


async def test_a_bell_from_another_origin_is_refused(client, primary_teacher):
    cookie = await sync_to_async(session_cookie)(client, primary_teacher)

    connected, _ = await bell_socket(cookie, origin=b"https://evil.example").connect(
        timeout=TIMEOUT
    )

    assert not connected


async def test_the_bell_starts_with_the_unread_count(client, primary_teacher):
    await unread_notification(primary_teacher)
    await unread_notification(primary_teacher)

    socket, first = await connected_bell(client, primary_teacher)

    assert first == {"type": "bell", "unread": 2}
    await socket.disconnect()


async def test_a_mention_rings_the_mentioned_persons_bell_only(
    client, primary_teacher, secondary_maths_lead
):
    socket, _ = await connected_bell(client, primary_teacher)
    other, _ = await connected_bell(client, secondary_maths_lead)

    await mention("priya.patel", secondary_maths_lead)

    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "bell", "unread": 1}
    assert await other.receive_nothing(timeout=0.3)
    await socket.disconnect()
    await other.disconnect()


BAD_FRAMES = [
    pytest.param("not json", "JSON", id="not JSON"),
    pytest.param("[1, 2]", '"action"', id="not an object"),
    pytest.param(json.dumps({"action": "subscribe", "person": 1}), '"action"', id="unknown"),
    pytest.param(json.dumps({"action": "ping", "pad": "x" * 600}), "at most", id="too large"),
    pytest.param("[" * 300 + "]" * 300, "at most", id="deep nesting"),
]


@pytest.mark.parametrize(("text", "complaint"), BAD_FRAMES)
async def test_a_bad_frame_gets_an_error_frame_and_the_bell_keeps_working(
    client, primary_teacher, text, complaint, caplog
):
    socket, _ = await connected_bell(client, primary_teacher)

    await socket.send_to(text_data=text)
    error = await socket.receive_json_from(timeout=TIMEOUT)
    await socket.send_json_to({"action": "ping"})
    pong = await socket.receive_json_from(timeout=TIMEOUT)

    assert error["type"] == "error"
    assert complaint in error["message"]
    assert pong == {"type": "pong"}
    assert "Traceback" not in caplog.text
    await socket.disconnect()


async def test_a_binary_frame_is_refused_with_an_error_frame(client, primary_teacher):
    socket, _ = await connected_bell(client, primary_teacher)

    await socket.send_to(bytes_data=b"\x00bell")

    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "error"
    await socket.disconnect()


async def test_refresh_sends_the_count_afresh(client, primary_teacher):
    socket, _ = await connected_bell(client, primary_teacher)
    await unread_notification(primary_teacher)

    await socket.send_json_to({"action": "refresh"})

    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "bell", "unread": 1}
    await socket.disconnect()


async def test_bell_events_are_forwarded_without_a_database_hop(
    client, primary_teacher, monkeypatch
):
    socket, _ = await connected_bell(client, primary_teacher)

    async def no_database_please() -> None:
        raise AssertionError("A bell event must not touch the database connections.")

    monkeypatch.setattr("channels.consumer.aclose_old_connections", no_database_please)
    await channel_layers["default"].group_send(
        person_group(primary_teacher.pk), {"type": "bell.update", "unread": 7}
    )

    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "bell", "unread": 7}
    monkeypatch.undo()
    await socket.disconnect()


async def test_a_bell_is_asked_to_try_again_later_when_the_layer_is_down(
    client, primary_teacher, caplog
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
            connected, code = await bell_socket(cookie).connect(timeout=TIMEOUT)
        finally:
            channel_layers.backends.clear()

    assert not connected
    assert code == TRY_AGAIN_LATER
    assert "Traceback" not in caplog.text


# Over a real Redis server.


@pytest.mark.redis
async def test_a_mention_rings_the_bell_over_redis(
    redis_layer, client, primary_teacher, secondary_maths_lead
):
    socket, first = await connected_bell(client, primary_teacher)

    await mention("priya.patel", secondary_maths_lead)

    assert first == {"type": "bell", "unread": 0}
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "bell", "unread": 1}
    await socket.disconnect()


@pytest.mark.redis
async def test_after_a_redis_restart_the_bell_reconnects_with_the_right_count(
    redis_server, redis_layer, client, primary_teacher, secondary_maths_lead
):
    socket, _ = await connected_bell(client, primary_teacher)

    await sync_to_async(redis_server.restart)()
    closed = await socket.receive_output(timeout=TIMEOUT)
    # Redis forgot the bell's group: this ring reaches no one, but the notification is saved.
    await mention("priya.patel", secondary_maths_lead)
    again, count = await reconnected_bell(client, primary_teacher)

    assert closed == {"type": "websocket.close", "code": SERVICE_RESTART}
    assert count == {"type": "bell", "unread": 1}
    await mention("priya.patel", secondary_maths_lead)
    assert await again.receive_json_from(timeout=TIMEOUT) == {"type": "bell", "unread": 2}
    await again.disconnect()


async def reconnected_bell(client, person) -> tuple[WebsocketCommunicator, dict]:
    """Reconnect as bell.js does: a refusal while Redis comes back means try again."""
    cookie = await sync_to_async(session_cookie)(client, person)
    for attempt in range(10):
        socket = bell_socket(cookie)
        connected, code = await socket.connect(timeout=TIMEOUT)
        if connected:
            return socket, await socket.receive_json_from(timeout=TIMEOUT)
        assert code == TRY_AGAIN_LATER
        await asyncio.sleep(0.1 * 2**attempt)
    raise AssertionError("Could not reconnect the bell after the Redis restart.")

"""The websocket entry point: session authentication and origin checks, on the in-memory
layer and on a real Redis server."""

import pytest
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import override_settings

from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(client, person) -> bytes:
    client.force_login(person)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def communicator(origin: bytes = b"http://127.0.0.1", cookie: bytes | None = None):
    headers = [(b"origin", origin), (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/ping/", headers=headers)


async def test_a_signed_in_member_of_staff_connects_and_is_answered(client, primary_teacher):
    cookie = await sync(session_cookie)(client, primary_teacher)
    socket = communicator(cookie=cookie)

    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}
    await socket.send_json_to({"type": "launch"})
    assert await socket.receive_json_from() == {"type": "error", "message": "Unknown message."}
    await socket.disconnect()


async def test_a_socket_without_a_session_is_refused():
    socket = communicator()

    connected, _ = await socket.connect()

    # Accepted, then closed at once: browsers see 4401 (a refusal before accepting reaches
    # them as 1006, and the page would retry for ever).
    assert connected
    assert await socket.receive_output() == {"type": "websocket.close", "code": 4401}


async def test_a_socket_from_a_foreign_origin_is_refused(client, primary_teacher):
    cookie = await sync(session_cookie)(client, primary_teacher)
    socket = communicator(origin=b"https://evil.example", cookie=cookie)

    connected, _ = await socket.connect()

    assert not connected


@pytest.mark.redis
async def test_the_redis_channel_layer_carries_group_messages(redis_server):
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis_server.url, "socket_timeout": 30}]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        channel_layers.backends.clear()
        try:
            layer = channel_layers["default"]
            channel = await layer.new_channel()
            await layer.group_add("staffroom-test", channel)
            await layer.group_send("staffroom-test", {"type": "hello", "text": "Morning all"})
            assert (await layer.receive(channel))["text"] == "Morning all"
            await layer.flush()
        finally:
            channel_layers.backends.clear()


def sync(function):
    from asgiref.sync import sync_to_async

    return sync_to_async(function)

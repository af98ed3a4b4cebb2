"""Signing out ends the session and closes every live socket the person has open."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from config.asgi import application
from forums.consumers import SIGNED_OUT
from forums.notifications import person_group
from tests.factories import PersonFactory
from tests.forums.factories import ForumFactory, ThreadFactory
from tests.forums.test_bell import bell_socket
from tests.forums.test_consumers import TIMEOUT, communicator, refused_with, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


async def opened(socket: WebsocketCommunicator) -> WebsocketCommunicator:
    connected, code = await socket.connect(timeout=TIMEOUT)
    assert connected, code
    return socket


async def closed_with(socket: WebsocketCommunicator) -> int | None:
    while True:
        message = await socket.receive_output(timeout=TIMEOUT)
        if message["type"] == "websocket.close":
            return message.get("code")


async def test_a_thread_socket_does_not_hear_the_bell(client, primary_teacher):
    # The bell's group carries updates a thread page cannot take: joining it would crash the
    # thread socket whenever the person is notified.
    thread = await sync_to_async(ThreadFactory)(
        forum=await sync_to_async(ForumFactory)(name="Wellbeing", slug="wellbeing")
    )
    cookie = await sync_to_async(session_cookie)(client, primary_teacher)
    socket = await opened(communicator(thread.pk, cookie))
    await get_channel_layer().group_send(
        person_group(primary_teacher.pk), {"type": "bell.update", "unread": 3}
    )
    await socket.send_json_to({"action": "ping"})
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "pong"
    await socket.disconnect()


async def test_signing_out_closes_the_persons_thread_forum_and_bell_sockets(
    client, primary_teacher
):
    thread = await sync_to_async(ThreadFactory)(
        forum=await sync_to_async(ForumFactory)(name="Wellbeing", slug="wellbeing")
    )
    cookie = await sync_to_async(session_cookie)(client, primary_teacher)
    sockets = [
        await opened(communicator(thread.pk, cookie)),
        await opened(
            WebsocketCommunicator(
                application,
                f"/ws/forums/{thread.forum_id}/",
                headers=[
                    (b"origin", b"http://127.0.0.1"),
                    (b"host", b"127.0.0.1"),
                    (b"cookie", cookie),
                ],
            )
        ),
        await opened(bell_socket(cookie)),
    ]
    await sockets[2].receive_json_from(timeout=TIMEOUT)  # the bell's first count

    response = await sync_to_async(client.post)(reverse("people:sign_out"))

    assert response.status_code == 302
    for socket in sockets:
        assert await closed_with(socket) == SIGNED_OUT
    # The session has ended too: the same cookie no longer opens a socket.
    assert await refused_with(communicator(thread.pk, cookie)) == 4401


async def test_signing_out_leaves_a_colleagues_sockets_open(client, primary_teacher):
    thread = await sync_to_async(ThreadFactory)(
        forum=await sync_to_async(ForumFactory)(name="Wellbeing", slug="wellbeing")
    )
    colleague = await sync_to_async(PersonFactory)(email="tom.hughes@oakfield.example")
    theirs = await opened(
        communicator(thread.pk, await sync_to_async(session_cookie)(Client(), colleague))
    )
    await sync_to_async(session_cookie)(client, primary_teacher)

    await sync_to_async(client.post)(reverse("people:sign_out"))

    assert await theirs.receive_nothing(timeout=0.3)
    await theirs.send_json_to({"action": "ping"})
    assert await theirs.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await theirs.disconnect()


async def test_switching_an_account_off_closes_its_sockets(client, primary_teacher):
    thread = await sync_to_async(ThreadFactory)(
        forum=await sync_to_async(ForumFactory)(name="Wellbeing", slug="wellbeing")
    )
    cookie = await sync_to_async(session_cookie)(client, primary_teacher)
    socket = await opened(communicator(thread.pk, cookie))

    primary_teacher.is_active = False
    await sync_to_async(primary_teacher.save)(update_fields=["is_active"])

    assert await closed_with(socket) == SIGNED_OUT
    assert await refused_with(communicator(thread.pk, cookie)) == 4401


async def test_saving_an_active_account_leaves_its_sockets_open(client, primary_teacher):
    thread = await sync_to_async(ThreadFactory)(
        forum=await sync_to_async(ForumFactory)(name="Wellbeing", slug="wellbeing")
    )
    cookie = await sync_to_async(session_cookie)(client, primary_teacher)
    socket = await opened(communicator(thread.pk, cookie))

    primary_teacher.job_title = "Deputy head"
    await sync_to_async(primary_teacher.save)()

    await socket.send_json_to({"action": "ping"})
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "pong"
    await socket.disconnect()

"""Pages already open on a private network's thread or forum stop receiving its posts the
moment their reader loses the network (removed by a lead, leaving, or the network made private
while they are not a member): a small "access_lost" frame, then close code 4403, which the page
does not retry. Their sockets on other networks stay open. On the in-memory and Redis layers."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from forums.consumers import ACCESS_LOST_MESSAGE, NOT_ALLOWED
from forums.models import Forum
from networks.models import Network
from networks.services import member_remove, membership_leave, network_update
from tests.factories import PersonFactory, sign_in_with_identity_provider
from tests.forums.conftest import redis_layer  # noqa: F401  (the Redis case below)
from tests.forums.factories import ThreadFactory
from tests.networks.factories import MembershipFactory, NetworkFactory

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 3
LOST = {"type": "access_lost", "message": ACCESS_LOST_MESSAGE}


@sync_to_async
def cookie_for(person) -> bytes:
    # Signed in as staff usually are, so trust admins owe no two-step code.
    client = Client()
    sign_in_with_identity_provider(client, person)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def opened(path: str, cookie: bytes) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)]
    socket = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await socket.connect(timeout=TIMEOUT)
    assert connected, (path, code)
    return socket


async def lost_access(socket: WebsocketCommunicator) -> bool:
    """True when the socket is told it lost access and then closed with 4403."""
    frame = await socket.receive_json_from(timeout=TIMEOUT)
    closed = await socket.receive_output(timeout=TIMEOUT)
    return frame == LOST and closed == {"type": "websocket.close", "code": NOT_ALLOWED}


async def still_open(socket: WebsocketCommunicator) -> bool:
    await socket.send_json_to({"action": "ping"})
    answer = await socket.receive_json_from(timeout=TIMEOUT)
    await socket.disconnect()
    return answer == {"type": "pong"}


@sync_to_async
def setting(*, visibility: str = Network.Visibility.PRIVATE) -> dict:
    """A network with a lead, a member and a thread, and an open network the member is in."""
    network = NetworkFactory(name="SEND leads", visibility=visibility)
    other = NetworkFactory(name="Primary maths")
    lead = PersonFactory(first_name="Lena", last_name="Okafor")
    member = PersonFactory(first_name="Sam", last_name="Hart")
    MembershipFactory(network=network, person=lead, lead=True)
    MembershipFactory(network=network, person=member)
    MembershipFactory(network=other, person=member)
    forum = Forum.objects.get(network=network)
    return {
        "network": network,
        "lead": lead,
        "member": member,
        "thread": ThreadFactory(forum=forum, title="Annual reviews"),
        "forum": forum,
        "other_thread": ThreadFactory(forum=Forum.objects.get(network=other), title="Fractions"),
    }


async def test_a_member_removed_by_a_lead_stops_receiving_the_networks_pages_at_once():
    world = await setting()
    cookie = await cookie_for(world["member"])
    thread_tabs = [await opened(f"/ws/threads/{world['thread'].pk}/", cookie) for _ in range(2)]
    forum_page = await opened(f"/ws/forums/{world['forum'].pk}/", cookie)
    elsewhere = await opened(f"/ws/threads/{world['other_thread'].pk}/", cookie)
    lead_page = await opened(f"/ws/threads/{world['thread'].pk}/", await cookie_for(world["lead"]))

    await sync_to_async(member_remove)(
        by=world["lead"], network=world["network"], person=world["member"]
    )

    assert [await lost_access(socket) for socket in [*thread_tabs, forum_page]] == [True] * 3
    assert await still_open(elsewhere)
    assert await still_open(lead_page)


async def test_a_member_who_leaves_stops_receiving_the_networks_pages():
    world = await setting()
    cookie = await cookie_for(world["member"])
    thread_page = await opened(f"/ws/threads/{world['thread'].pk}/", cookie)
    bell = await opened("/ws/notifications/", cookie)
    assert (await bell.receive_json_from(timeout=TIMEOUT))["type"] == "bell"

    await sync_to_async(membership_leave)(person=world["member"], network=world["network"])

    assert await lost_access(thread_page)
    await bell.send_json_to({"action": "ping"})
    assert await bell.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await bell.disconnect()


async def test_leaving_an_open_network_closes_nothing():
    world = await setting(visibility=Network.Visibility.OPEN)
    thread_page = await opened(
        f"/ws/threads/{world['thread'].pk}/", await cookie_for(world["member"])
    )

    await sync_to_async(membership_leave)(person=world["member"], network=world["network"])

    assert await still_open(thread_page)


async def test_the_central_team_keep_reading_a_private_network_they_are_removed_from(
    central_team_editor,
):
    world = await setting()
    await sync_to_async(MembershipFactory)(network=world["network"], person=central_team_editor)
    thread_page = await opened(
        f"/ws/threads/{world['thread'].pk}/", await cookie_for(central_team_editor)
    )

    await sync_to_async(member_remove)(
        by=world["lead"], network=world["network"], person=central_team_editor
    )

    assert await still_open(thread_page)


async def test_making_a_network_private_closes_the_pages_of_those_outside_it(
    central_team_editor,
):
    world = await setting(visibility=Network.Visibility.OPEN)
    outsider = await sync_to_async(PersonFactory)(first_name="Ola", last_name="Nowak")
    path = f"/ws/threads/{world['thread'].pk}/"
    outsider_pages = [
        await opened(path, await cookie_for(outsider)),
        await opened(f"/ws/forums/{world['forum'].pk}/", await cookie_for(outsider)),
    ]
    member_page = await opened(path, await cookie_for(world["member"]))

    await sync_to_async(network_update)(
        by=central_team_editor, network=world["network"], visibility=Network.Visibility.PRIVATE
    )

    assert [await lost_access(socket) for socket in outsider_pages] == [True, True]
    assert await still_open(member_page)


@pytest.mark.redis
async def test_over_redis_a_removed_member_stops_receiving_the_networks_pages(redis_layer):  # noqa: F811
    world = await setting()
    cookie = await cookie_for(world["member"])
    thread_page = await opened(f"/ws/threads/{world['thread'].pk}/", cookie)
    elsewhere = await opened(f"/ws/threads/{world['other_thread'].pk}/", cookie)

    await sync_to_async(member_remove)(
        by=world["lead"], network=world["network"], person=world["member"]
    )

    assert await lost_access(thread_page)
    assert await still_open(elsewhere)

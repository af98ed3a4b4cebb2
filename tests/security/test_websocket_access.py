"""Websockets through the real ASGI application (origin check, session, two-step, routing):
who may open which socket, what each may send on it, and that a signed-out or switched-off
person's sockets close at once."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.urls import reverse

from config.asgi import application
from forums.consumers import SIGNED_OUT
from tests.factories import PersonFactory, sign_in_with_identity_provider
from tests.forums.conftest import redis_layer  # noqa: F401  (the Redis case below)
from tests.forums.factories import ForumFactory, ThreadFactory
from tests.security.world import (
    ADMIN,
    ANONYMOUS,
    CENTRAL,
    LEAD,
    MEMBER,
    MODERATOR,
    NON_MEMBER,
    ROLES,
    STAFF,
    build_world,
)

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 3
ORIGIN = b"http://127.0.0.1"
PRIVATE_READERS = {MEMBER, LEAD, CENTRAL, ADMIN}


def cookie_for(person) -> bytes:
    """The session cookie of a persona signed in as staff usually are (no two-step owed)."""
    client = Client()
    sign_in_with_identity_provider(client, person)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def socket(path: str, cookie: bytes | None = None, origin: bytes | None = ORIGIN):
    headers = [(b"host", b"127.0.0.1")]
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, path, headers=headers)


async def outcome(path: str, cookie: bytes | None, origin: bytes | None = ORIGIN) -> str:
    """ "open", or the close code the socket was refused with."""
    communicator = socket(path, cookie, origin)
    connected, code = await communicator.connect(timeout=TIMEOUT)
    if not connected:  # refused before accepting (the origin check): browsers see 1006
        return str(code)
    # Refusals by the consumers accept and close at once, so browsers see the code and the
    # page stops retrying; nothing is joined and nothing sent first.
    if not await communicator.receive_nothing(timeout=0.1):
        message = await communicator.receive_output(timeout=TIMEOUT)
        if message["type"] == "websocket.close":
            return str(message.get("code"))
    await communicator.disconnect()
    return "open"


async def opened(path: str, cookie: bytes) -> WebsocketCommunicator:
    communicator = socket(path, cookie)
    connected, code = await communicator.connect(timeout=TIMEOUT)
    assert connected, (path, code)
    if path == "/ws/notifications/":
        assert (await communicator.receive_json_from(timeout=TIMEOUT))["type"] == "bell"
    return communicator


async def closed_with(communicator: WebsocketCommunicator) -> int | None:
    while True:
        message = await communicator.receive_output(timeout=TIMEOUT)
        if message["type"] == "websocket.close":
            return message.get("code")


def paths(world) -> dict[str, str]:
    return {
        "private thread": f"/ws/threads/{world.private_thread.pk}/",
        "open network thread": f"/ws/threads/{world.open_thread.pk}/",
        "private forum": f"/ws/forums/{world.private_thread.forum_id}/",
        "trust forum": f"/ws/forums/{world.trust_forum.pk}/",
        "missing thread": "/ws/threads/999999/",
        "missing forum": "/ws/forums/999999/",
        "bell": "/ws/notifications/",
        "ping": "/ws/ping/",
    }


def expected_outcome(route: str, role: str) -> str:
    if role == ANONYMOUS:
        return "4401"
    if route.startswith("private"):
        return "open" if role in PRIVATE_READERS else "4403"
    if route.startswith("missing"):
        return "4403"
    return "open"


@pytest.fixture
def world(from_migrations):
    return build_world()


async def test_who_may_open_which_socket(world):
    cookies = {
        role: await sync_to_async(cookie_for)(person) for role, person in world.people.items()
    }
    mismatches = []
    for route, path in paths(world).items():
        for role in ROLES:
            got = await outcome(path, cookies.get(role))
            if got != expected_outcome(route, role):
                mismatches.append(
                    f"{route} as {role}: expected {expected_outcome(route, role)}, got {got}"
                )
    assert not mismatches, "\n".join(mismatches)


async def test_only_people_who_may_reply_may_say_they_are_typing(world):
    # In an open network's forum every member of staff reads; only its members (and the
    # central team) reply, so only they may announce typing.
    path = f"/ws/threads/{world.open_thread.pk}/"
    may_type = {MEMBER, NON_MEMBER, LEAD, CENTRAL, ADMIN}
    listener = await opened(path, await sync_to_async(cookie_for)(world.other_lead))
    mismatches = []
    for role in ROLES[1:]:
        typist = await opened(path, await sync_to_async(cookie_for)(world.people[role]))
        await typist.send_json_to({"action": "typing"})
        if role in may_type:
            heard = await listener.receive_json_from(timeout=TIMEOUT)
            if heard.get("type") != "typing" or heard.get("name") != world.people[role].name:
                mismatches.append(f"{role}'s typing was not passed on: {heard}")
            if not await typist.receive_nothing(timeout=0.1):
                mismatches.append(f"{role} was sent something for typing")
        else:
            answer = await typist.receive_json_from(timeout=TIMEOUT)
            if answer != {"type": "error", "message": "You cannot reply in this thread."}:
                mismatches.append(f"{role} typing: expected a refusal, got {answer}")
            if not await listener.receive_nothing(timeout=0.1):
                mismatches.append(f"{role}'s refused typing reached another reader")
        await typist.disconnect()
    await listener.disconnect()
    assert not mismatches, "\n".join(mismatches)


async def test_catching_up_never_shows_a_hidden_post_or_an_anonymous_author(world):
    hidden = world.hidden_post
    anonymous = world.anonymous_post
    author = world.people[MEMBER].name
    for role in (STAFF, NON_MEMBER, MODERATOR, ADMIN):
        cookie = await sync_to_async(cookie_for)(world.people[role])
        for thread_id, secret in ((hidden.thread_id, hidden.body_html), (anonymous.thread_id, "")):
            reader = await opened(f"/ws/threads/{thread_id}/", cookie)
            await reader.send_json_to({"action": "catch_up", "after": 0})
            frames = []
            while (frame := await reader.receive_json_from(timeout=TIMEOUT))["type"] != "caught_up":
                frames.append(frame)
            await reader.disconnect()
            assert frames, f"{role} caught up on nothing in thread {thread_id}"
            shown = "".join(frame["html"] for frame in frames)
            if thread_id == hidden.thread_id:
                assert secret not in shown, f"{role} was sent a hidden post's words"
            else:
                assert author not in shown, f"{role} was sent an anonymous post's author"


async def test_presence_and_typing_name_nobody_in_a_forum_that_allows_anonymous_posts(world):
    path = f"/ws/threads/{world.anonymous_post.thread_id}/"
    listener = await opened(path, await sync_to_async(cookie_for)(world.people[ADMIN]))
    speaker = await opened(path, await sync_to_async(cookie_for)(world.people[MEMBER]))

    await speaker.send_json_to({"action": "here"})
    here = await listener.receive_json_from(timeout=TIMEOUT)
    await speaker.send_json_to({"action": "typing"})
    typing = await listener.receive_json_from(timeout=TIMEOUT)

    assert here["type"] == "presence" and "name" not in here
    assert typing == {"type": "typing"}
    await speaker.disconnect()
    await listener.disconnect()


@pytest.mark.parametrize(
    "origin",
    [
        b"https://evil.example",
        b"http://127.0.0.1.evil.example",
        b"http://evil.example:80",
        b"null",
        b"",
        None,
    ],
    ids=["foreign", "lookalike", "foreign-with-port", "null", "empty", "missing"],
)
async def test_a_socket_from_a_foreign_or_missing_origin_is_refused_on_every_route(world, origin):
    cookie = await sync_to_async(cookie_for)(world.people[ADMIN])
    for route, path in paths(world).items():
        if route.startswith("missing"):
            continue
        assert await outcome(path, cookie, origin) != "open", route
        # The same socket from the site's own pages opens.
        assert await outcome(path, cookie) == "open", route


async def test_every_route_refuses_a_socket_without_a_session_with_4401(world):
    for path in paths(world).values():
        assert await outcome(path, None) == "4401", path
        made_up = f"{settings.SESSION_COOKIE_NAME}=made-up".encode()
        assert await outcome(path, made_up) == "4401", path


async def _every_socket_of(world, cookie: bytes) -> list[WebsocketCommunicator]:
    """Two tabs of the private thread, and one of every other kind of socket."""
    routes = paths(world)
    return [
        await opened(routes["private thread"], cookie),
        await opened(routes["private thread"], cookie),
        await opened(routes["private forum"], cookie),
        await opened(routes["bell"], cookie),
        await opened(routes["ping"], cookie),
    ]


async def test_signing_out_closes_every_socket_in_every_tab_at_once(world):
    client = Client()
    await sync_to_async(sign_in_with_identity_provider)(client, world.people[MEMBER])
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    sockets = await _every_socket_of(world, cookie.encode())

    await sync_to_async(client.post)(reverse("people:sign_out"))

    assert [await closed_with(each) for each in sockets] == [SIGNED_OUT] * len(sockets)
    for path in paths(world).values():
        assert await outcome(path, cookie.encode()) == "4401", path


async def test_switching_an_account_off_closes_every_socket_in_every_tab_at_once(world):
    member = world.people[MEMBER]
    cookie = await sync_to_async(cookie_for)(member)
    sockets = await _every_socket_of(world, cookie)
    bystander = await opened(
        paths(world)["ping"], await sync_to_async(cookie_for)(world.other_lead)
    )

    member.is_active = False
    await sync_to_async(member.save)(update_fields=["is_active"])

    assert [await closed_with(each) for each in sockets] == [SIGNED_OUT] * len(sockets)
    for path in paths(world).values():
        assert await outcome(path, cookie) == "4401", path
    await bystander.send_json_to({"type": "ping"})
    assert await bystander.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await bystander.disconnect()


@pytest.mark.redis
async def test_over_redis_signing_out_closes_every_socket_at_once(redis_layer, from_migrations):  # noqa: F811
    thread = await sync_to_async(ThreadFactory)(
        forum=await sync_to_async(ForumFactory)(name="Staff voice", slug="staff-voice")
    )
    person = await sync_to_async(PersonFactory)()
    client = Client()
    await sync_to_async(sign_in_with_identity_provider)(client, person)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    sockets = [
        await opened(f"/ws/threads/{thread.pk}/", cookie.encode()),
        await opened(f"/ws/threads/{thread.pk}/", cookie.encode()),
        await opened(f"/ws/forums/{thread.forum_id}/", cookie.encode()),
        await opened("/ws/notifications/", cookie.encode()),
        await opened("/ws/ping/", cookie.encode()),
    ]

    await sync_to_async(client.post)(reverse("people:sign_out"))

    assert [await closed_with(each) for each in sockets] == [SIGNED_OUT] * len(sockets)

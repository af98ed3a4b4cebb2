"""Malformed frames against every websocket consumer, through the real ASGI application: not
JSON, JSON that is not an object, deep nesting, 1 MB frames, binary and empty frames, invalid
UTF-8, unknown actions and known actions with the wrong types. Each gets an error frame and the
socket stays open; nothing crashes (a crash closes with 1011 or raises out of the
communicator), and a colleague on the same group keeps receiving real posts throughout."""

import json
from collections.abc import Awaitable, Callable

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from config.asgi import application
from config.consumers import MAX_FRAME_CHARACTERS
from forums import events
from forums.bell import BellConsumer
from forums.consumers import ForumConsumer, ThreadConsumer
from forums.models import Notification
from forums.notifications import notify
from forums.services import post_create
from networks.models import Membership
from tests.factories import PersonFactory
from tests.forums.factories import ForumFactory, ThreadFactory
from tests.networks.factories import MembershipFactory, NetworkFactory

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5
FRAMES_PER_CONSUMER = 520
# A real post is published after every this many frames, and once after the barrage.
PUBLISH_EVERY = 130
# What a consumer may send back to a frame; anything else (or a close) is a failure.
ANSWERS = {
    "error",
    "pong",
    "bell",
    "caught_up",
    events.POST_CREATED,
    events.POST_UPDATED,
    events.POST_EDITED,
    events.POST_REMOVED,
    events.THREAD_REPLIED,
    events.THREAD_STARTED,
}
# Frames from other sockets of the group that a reader may hear at any time.
GROUP_CHATTER = {"typing", "presence"}


# The frames -------------------------------------------------------------------------------------

MEGABYTE = 1_000_000


def nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def nasty_frames(actions: tuple[str, ...], limit: int) -> list[tuple[str | bytes, bool]]:
    """Hand-picked frames, each with whether it must be answered with an error."""
    action = actions[0]
    known_with_junk = [
        {"action": name, field: junk}
        for name in actions
        for field in ("after", "revision")
        for junk in ("1", 1.5, -1, 2**64, True, None, [], {}, "NaN", 10**30)
    ]
    frames: list[tuple[str | bytes, bool]] = [
        ("", True),
        (" ", True),
        ("not json", True),
        ("{", True),
        ('{"action": "ping"', True),
        ("{'action': 'ping'}", True),
        ("null", True),
        ("true", True),
        ("42", True),
        ('"ping"', True),
        ('["ping"]', True),
        ("[]", True),
        ("{}", True),
        ('{"action": null}', True),
        ('{"action": 1}', True),
        ('{"action": ["ping"]}', True),
        ('{"action": {"ping": 1}}', True),
        ('{"action": "PING"}', True),
        ('{"action": "ping "}', True),
        ('{"action": "launch"}', True),
        ('{"action": "__init__"}', True),
        ('{"action": "websocket.disconnect"}', True),
        ('{"action": "session.ended"}', True),
        ('{"type": "session.ended"}', True),
        ('{"type": "thread.event", "html": "<script>alert(1)</script>"}', True),
        ('{"action": "\\ud800"}', True),
        ('{"action": "ping\\u0000"}', True),
        ('{"action": NaN}', True),
        ('{"action": "ping", "after": Infinity}', False),
        ('{"action": "ping", "action": "launch"}', True),  # the last duplicate wins
        ("\x00" * 100, True),
        ("\ufeff{}", True),
        (nested(min(limit // 2 - 1, 2_000)), True),  # within the size limit: recursion
        (nested(min(limit // 2 - 10, 2_000), '{"a":', "}"), True),
        (nested(10_000), True),
        (nested(10_000, '{"a":', "}"), True),
        ("a" * (limit + 1), True),
        (json.dumps({"action": action, "pad": "x" * limit}), True),
        ("é" * MEGABYTE, True),
        (json.dumps({"action": action, "pad": "x" * MEGABYTE}), True),
        ("[" * MEGABYTE, True),
        (b"\x00\x01binary", True),
        (b"\xff\xfe\xfd", True),
        (b"\xc3\x28\xa0\xa1", True),
        (json.dumps({"action": action}).encode(), True),  # good JSON, but binary
        (b"\x00" * MEGABYTE, True),
        (b"", True),
        ('{"action": "ping"}', False),
    ]
    for content in known_with_junk:
        frame = json.dumps(content)
        if len(frame) <= limit:
            # catch_up checks its numbers; other actions ignore the extra fields.
            wrong = content["action"] == "catch_up" and not (
                isinstance(content.get("after"), int)
                and not isinstance(content.get("after"), bool)
                and 0 <= content["after"] < 2**63
                and "revision" not in content
            )
            frames.append((frame, wrong))
    return frames


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def generated_frames(actions: tuple[str, ...], count: int) -> list[str | bytes]:
    """Frames hypothesis makes up: objects with known and unknown actions and junk fields,
    JSON that is not an object, text that is not JSON, and binary. Drawn with a fixed seed,
    so a failure names a frame that fails again."""
    names = st.sampled_from([*actions, "catch_up", "typing", "here", "refresh", "delete"])
    objects = st.fixed_dictionaries(
        {"action": names | json_values},
        optional={
            "after": json_values,
            "revision": json_values,
            "type": st.text(max_size=20),
            "html": st.text(max_size=50),
        },
    ).map(json.dumps)
    frames = st.one_of(
        objects,
        objects,
        json_values.map(json.dumps),
        st.text(min_size=1, max_size=200),
        st.binary(min_size=1, max_size=200),
    )
    drawn: list[str | bytes] = []

    @hypothesis_settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(frames)
    def collect(frame: str | bytes) -> None:
        drawn.append(frame)

    collect()
    return drawn


def barrage(actions: tuple[str, ...], limit: int) -> list[tuple[str | bytes, bool | None]]:
    """At least FRAMES_PER_CONSUMER frames: the nasty ones, then generated ones (whose answer,
    error or not, depends on what was drawn, so only its kind is checked)."""
    frames: list[tuple[str | bytes, bool | None]] = list(nasty_frames(actions, limit))
    wanted = max(FRAMES_PER_CONSUMER - len(frames), 0)
    frames += [(frame, None) for frame in generated_frames(actions, wanted * 2)][:wanted]
    assert len(frames) >= FRAMES_PER_CONSUMER
    return frames


# Sockets ----------------------------------------------------------------------------------------


def session_cookie(person) -> bytes:
    client = Client()
    client.force_login(person)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def connect(path: str, person) -> WebsocketCommunicator:
    cookie = await sync_to_async(session_cookie)(person)
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)]
    socket = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await socket.connect(timeout=TIMEOUT)
    assert connected, code
    return socket


async def send_raw(socket: WebsocketCommunicator, frame: str | bytes) -> None:
    # The communicator's send_to refuses empty frames; a real client can send them.
    key = "bytes" if isinstance(frame, bytes) else "text"
    await socket.send_input({"type": "websocket.receive", key: frame})


def is_ping(frame: str | bytes, limit: int) -> bool:
    """Whether the frame is itself a good ping, answered with a pong of its own."""
    if not isinstance(frame, str) or len(frame) > limit:
        return False
    try:
        content = json.loads(frame)
    except (ValueError, RecursionError):
        return False
    return isinstance(content, dict) and content.get("action") == "ping"


async def answers_until_pong(socket: WebsocketCommunicator, what: str, pongs: int = 1) -> list:
    """Everything the socket sends up to the answer to a ping sent after the frame (the
    frame's own pong, if it was a ping, comes first). A close or a crash (which the
    communicator raises) fails the test here."""
    await socket.send_input({"type": "websocket.receive", "text": '{"action": "ping"}'})
    seen = []
    while True:
        output = await socket.receive_output(timeout=TIMEOUT)
        assert output["type"] == "websocket.send", f"{what}: the socket closed: {output}"
        frame = json.loads(output["text"])
        if frame.get("type") == "pong":
            pongs -= 1
            if not pongs:
                return seen
        seen.append(frame)


async def next_frame_of(socket: WebsocketCommunicator, kinds: set[str]) -> dict:
    """The next frame of one of these kinds, past other readers' typing and presence."""
    while True:
        output = await socket.receive_output(timeout=TIMEOUT)
        assert output["type"] == "websocket.send", f"the watching socket closed: {output}"
        frame = json.loads(output["text"])
        if frame["type"] in kinds:
            return frame
        assert frame["type"] in GROUP_CHATTER, frame


async def fire(
    socket: WebsocketCommunicator,
    frames: list[tuple[str | bytes, bool | None]],
    *,
    limit: int,
    between: Callable[[int], Awaitable[None]],
) -> None:
    for number, (frame, must_refuse) in enumerate(frames, start=1):
        what = f"frame {number} ({frame[:80]!r}, {len(frame)} long)"
        await send_raw(socket, frame)
        answers = await answers_until_pong(socket, what, pongs=1 + is_ping(frame, limit))
        kinds = [answer.get("type") for answer in answers]
        assert set(kinds) <= ANSWERS | GROUP_CHATTER, f"{what} was answered with {answers}"
        if must_refuse is True:
            assert "error" in kinds, f"{what} was not refused: {answers}"
        elif must_refuse is False:
            assert "error" not in kinds, f"{what} was refused: {answers}"
        if number % PUBLISH_EVERY == 0:
            await between(number)
    await between(len(frames))


# The consumers --------------------------------------------------------------------------------


@pytest.fixture
def members(db):
    network = NetworkFactory(name="Heads of maths", private=True)
    attacker = PersonFactory(first_name="Mal", last_name="Lory")
    reader = PersonFactory(first_name="Priya", last_name="Patel")
    author = PersonFactory(first_name="Tom", last_name="Hughes")
    for person in (attacker, reader, author):
        MembershipFactory(network=network, person=person, role=Membership.Role.MEMBER)
    thread = ThreadFactory(forum=ForumFactory(network=network))
    return attacker, reader, author, thread


@sync_to_async
def reply(thread, author, number: int):
    return post_create(thread=thread, author=author, body=f"Still here after frame {number}.")


async def test_the_thread_socket_refuses_every_bad_frame_and_the_thread_stays_live(members):
    attacker, reader, author, thread = members
    path = f"/ws/threads/{thread.pk}/"
    socket = await connect(path, attacker)
    watcher = await connect(path, reader)

    async def publish(number: int) -> None:
        post = await reply(thread, author, number)
        frame = await next_frame_of(watcher, {events.POST_CREATED})
        assert frame["post_id"] == post.pk
        await answers_until_pong(socket, f"after publishing post {post.pk}")

    await fire(
        socket,
        barrage(ThreadConsumer.actions, ThreadConsumer.max_frame_characters),
        limit=ThreadConsumer.max_frame_characters,
        between=publish,
    )
    await socket.disconnect()
    await watcher.disconnect()


async def test_the_forum_socket_refuses_every_bad_frame_and_the_forum_stays_live(members):
    attacker, reader, author, thread = members
    path = f"/ws/forums/{thread.forum_id}/"
    socket = await connect(path, attacker)
    watcher = await connect(path, reader)

    async def publish(number: int) -> None:
        await reply(thread, author, number)
        frame = await next_frame_of(watcher, {events.THREAD_REPLIED, events.THREAD_STARTED})
        assert frame["thread_id"] == thread.pk

    await fire(
        socket,
        barrage(ForumConsumer.actions, ForumConsumer.max_frame_characters),
        limit=ForumConsumer.max_frame_characters,
        between=publish,
    )
    await socket.disconnect()
    await watcher.disconnect()


async def test_the_bell_refuses_every_bad_frame_and_the_persons_other_tab_still_rings(members):
    attacker, _, author, thread = members
    socket = await connect("/ws/notifications/", attacker)
    other_tab = await connect("/ws/notifications/", attacker)
    # Each bell is sent the unread count as it connects.
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "bell"
    assert (await other_tab.receive_json_from(timeout=TIMEOUT))["type"] == "bell"

    rung = 0

    async def ring(number: int) -> None:
        nonlocal rung
        await sync_to_async(notify)(
            recipient=attacker,
            kind=Notification.Kind.REPLY,
            text=f"A reply after frame {number}",
            url=thread.get_absolute_url(),
        )
        rung += 1
        frame = await next_frame_of(other_tab, {"bell"})
        assert frame["unread"] == rung

    await fire(
        socket,
        barrage(BellConsumer.actions, BellConsumer.max_frame_characters),
        limit=BellConsumer.max_frame_characters,
        between=ring,
    )
    await socket.disconnect()
    await other_tab.disconnect()


async def test_the_ping_socket_refuses_every_bad_frame_and_others_are_still_answered(members):
    attacker, reader, _, _ = members
    socket = await connect("/ws/ping/", attacker)
    other = await connect("/ws/ping/", reader)

    async def still_answers(number: int) -> None:
        await other.send_json_to({"type": "ping"})
        assert await other.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}

    # This socket speaks {"type": ...}, not {"action": ...}: its pings are the sentinel.
    frames = [
        (frame.replace('"action"', '"type"') if isinstance(frame, str) else frame, refuse)
        for frame, refuse in barrage(("ping",), MAX_FRAME_CHARACTERS)
    ]
    await fire_typed(socket, frames, between=still_answers)
    await socket.disconnect()
    await other.disconnect()


async def fire_typed(
    socket: WebsocketCommunicator,
    frames: list[tuple[str | bytes, bool | None]],
    *,
    between: Callable[[int], Awaitable[None]],
) -> None:
    """As `fire`, for the ping socket: every frame is answered with exactly one frame."""
    for number, (frame, must_refuse) in enumerate(frames, start=1):
        what = f"frame {number} ({frame[:80]!r}, {len(frame)} long)"
        await send_raw(socket, frame)
        output = await socket.receive_output(timeout=TIMEOUT)
        assert output["type"] == "websocket.send", f"{what}: the socket closed: {output}"
        answer = json.loads(output["text"])
        assert answer["type"] in {"pong", "error"}, f"{what} was answered with {answer}"
        if must_refuse is True:
            assert answer["type"] == "error", f"{what} was not refused: {answer}"
        if number % PUBLISH_EVERY == 0:
            await between(number)
        assert await socket.receive_nothing(timeout=0.01)
    await between(len(frames))

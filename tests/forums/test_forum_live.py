"""Forum pages live: who may listen to a forum, and the thread cards sent when a thread starts
or gets a reply (the same card for every reader, anonymous threads naming nobody)."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from forums import events
from forums.services import post_create, thread_create
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory
from tests.forums.test_consumers import TIMEOUT, refused_with, session_cookie
from tests.networks.factories import NetworkFactory

pytestmark = pytest.mark.django_db(transaction=True)


def forum_socket(forum_id: int, cookie: bytes | None = None, origin: bytes = b"http://127.0.0.1"):
    headers = [(b"origin", origin), (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, f"/ws/forums/{forum_id}/", headers=headers)


async def listening(client, person, forum_id: int) -> WebsocketCommunicator:
    cookie = await sync_to_async(session_cookie)(client, person)
    socket = forum_socket(forum_id, cookie)
    connected, code = await socket.connect(timeout=TIMEOUT)
    assert connected, code
    return socket


@pytest.fixture
def wellbeing(db):
    return ForumFactory(name="Wellbeing", slug="wellbeing")


async def test_a_forum_socket_without_a_session_is_refused_with_4401(wellbeing):
    assert await refused_with(forum_socket(wellbeing.pk)) == 4401


async def test_a_forum_socket_from_another_origin_is_refused(client, primary_teacher, wellbeing):
    cookie = await sync_to_async(session_cookie)(client, primary_teacher)

    connected, _ = await forum_socket(wellbeing.pk, cookie, b"https://evil.example").connect(
        timeout=TIMEOUT
    )

    assert not connected


async def test_someone_outside_a_private_network_cannot_listen_to_its_forum(
    client, primary_teacher
):
    network = await sync_to_async(NetworkFactory)(name="Heads of maths", private=True)
    forum = await sync_to_async(ForumFactory)(network=network)
    cookie = await sync_to_async(session_cookie)(client, primary_teacher)

    assert await refused_with(forum_socket(forum.pk, cookie)) == 4403
    assert await refused_with(forum_socket(987654, cookie)) == 4403


async def test_a_new_thread_arrives_as_a_card_once_it_is_committed(
    client, primary_teacher, secondary_maths_lead, wellbeing
):
    socket = await listening(client, primary_teacher, wellbeing.pk)

    thread = await sync_to_async(thread_create)(
        forum=wellbeing, author=secondary_maths_lead, title="Walking meetings", body="Anyone?"
    )
    frame = await socket.receive_json_from(timeout=TIMEOUT)

    assert frame["type"] == events.THREAD_STARTED
    assert frame["thread_id"] == thread.pk
    assert frame["title"] == "Walking meetings"
    assert f'data-thread-id="{thread.pk}"' in frame["html"]
    assert "Started by Tom Okafor" in frame["html"]
    assert "unread" not in frame["html"]  # the card is the same for every reader
    await socket.disconnect()


async def test_a_reply_sends_the_threads_card_again_as_a_reply(
    client, primary_teacher, secondary_maths_lead, wellbeing
):
    thread = await sync_to_async(ThreadFactory)(forum=wellbeing, title="Tea rota")
    await sync_to_async(PostFactory)(thread=thread)
    socket = await listening(client, primary_teacher, wellbeing.pk)

    await sync_to_async(post_create)(thread=thread, author=secondary_maths_lead, body="Me next.")
    frame = await socket.receive_json_from(timeout=TIMEOUT)

    assert (frame["type"], frame["thread_id"], frame["title"]) == (
        events.THREAD_REPLIED,
        thread.pk,
        "Tea rota",
    )
    assert "1 reply" in frame["html"]
    await socket.disconnect()


async def test_an_anonymous_threads_card_names_nobody(
    client, primary_teacher, secondary_maths_lead
):
    staff_voice = await sync_to_async(ForumFactory)(
        name="Staff voice", slug="staff-voice", allows_anonymous_posts=True
    )
    socket = await listening(client, primary_teacher, staff_voice.pk)

    await sync_to_async(thread_create)(
        forum=staff_voice,
        author=secondary_maths_lead,
        title="Workload in the summer term",
        body="It is a lot.",
        is_anonymous=True,
    )
    frame = await socket.receive_json_from(timeout=TIMEOUT)

    assert "Started by Anonymous" in frame["html"]
    assert "Tom" not in frame["html"] and "Okafor" not in frame["html"]
    assert str(secondary_maths_lead.pk) not in frame["html"].replace(str(frame["thread_id"]), "")
    await socket.disconnect()


async def test_a_thread_in_another_forum_is_not_sent(client, primary_teacher, wellbeing):
    other = await sync_to_async(ForumFactory)(name="The shared focus", slug="shared-focus")
    socket = await listening(client, primary_teacher, wellbeing.pk)

    await sync_to_async(thread_create)(
        forum=other, author=primary_teacher, title="Oracy", body="Where to start?"
    )

    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_a_bad_frame_on_a_forum_socket_gets_an_error_frame(
    client, primary_teacher, wellbeing
):
    socket = await listening(client, primary_teacher, wellbeing.pk)

    await socket.send_to(text_data='{"action": "catch_up", "after": 0}')
    error = await socket.receive_json_from(timeout=TIMEOUT)
    await socket.send_json_to({"action": "ping"})

    assert error["type"] == "error" and "Unknown action" in error["message"]
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await socket.disconnect()


def test_a_failing_card_never_fails_the_change_that_announced_it(wellbeing, monkeypatch, caplog):
    thread = ThreadFactory(forum=wellbeing)

    def broken(_thread) -> str:
        raise RuntimeError("template missing")

    monkeypatch.setattr(events, "render_thread_card", broken)
    events.announce_thread(thread.pk)

    assert f"Could not render the card of thread {thread.pk}" in caplog.text

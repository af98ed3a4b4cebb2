"""The thread websocket over a real Redis server: posts arrive, catching up works, and a Redis
restart (which loses every group membership) loses no post for a client that reconnects."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from forums import events
from forums.consumers import SERVICE_RESTART, TRY_AGAIN_LATER
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory
from tests.forums.test_consumers import (
    TIMEOUT,
    change_while_away,
    communicator,
    connected_socket,
    reply,
    session_cookie,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture
def thread(db):
    return ThreadFactory(forum=ForumFactory(name="Staff voice", slug="staff-voice"))


async def test_a_reply_arrives_over_redis(
    redis_layer, client, primary_teacher, secondary_maths_lead, thread
):
    socket = await connected_socket(client, primary_teacher, thread.pk)

    post = await reply(thread, secondary_maths_lead, "Knowledge organisers, termly.")
    frame = await socket.receive_json_from(timeout=TIMEOUT)

    assert frame["type"] == events.POST_CREATED
    assert frame["post_id"] == post.pk
    assert "Knowledge organisers, termly." in frame["html"]
    await socket.disconnect()


async def test_catching_up_over_redis_sends_the_missed_posts_in_order(
    redis_layer, client, primary_teacher, thread
):
    posts = [await sync_to_async(PostFactory)(thread=thread) for _ in range(3)]
    socket = await connected_socket(client, primary_teacher, thread.pk)

    await socket.send_json_to({"action": "catch_up", "after": posts[0].pk})
    frames = [await socket.receive_json_from(timeout=TIMEOUT) for _ in range(3)]

    assert [frame.get("post_id") for frame in frames[:2]] == [posts[1].pk, posts[2].pk]
    assert frames[2] == {"type": "caught_up", "last_post_id": posts[2].pk, "more": False}
    await socket.disconnect()


async def test_after_a_redis_restart_a_reconnecting_client_loses_nothing(
    redis_server, redis_layer, client, primary_teacher, secondary_maths_lead, thread
):
    socket = await connected_socket(client, primary_teacher, thread.pk)
    seen = await reply(thread, secondary_maths_lead, "Before the restart.")
    assert (await socket.receive_json_from(timeout=TIMEOUT))["post_id"] == seen.pk

    await sync_to_async(redis_server.restart)()
    closed = await socket.receive_output(timeout=TIMEOUT)
    # Redis forgot the group: this announcement reaches nobody, but the post is saved.
    missed = await reply(thread, secondary_maths_lead, "During the outage.")

    again = await reconnected_socket(client, primary_teacher, thread.pk)
    await again.send_json_to({"action": "catch_up", "after": seen.pk})
    caught = await again.receive_json_from(timeout=TIMEOUT)
    done = await again.receive_json_from(timeout=TIMEOUT)
    after = await reply(thread, secondary_maths_lead, "After the restart.")
    live = await again.receive_json_from(timeout=TIMEOUT)

    assert closed == {"type": "websocket.close", "code": SERVICE_RESTART}
    assert caught["post_id"] == missed.pk
    assert "During the outage." in caught["html"]
    assert done == {"type": "caught_up", "last_post_id": missed.pk, "more": False}
    assert live["post_id"] == after.pk
    await again.disconnect()


async def reconnected_socket(client, person, thread_id: int):
    """Reconnect as the page's script does: a refusal while Redis comes back means retry."""
    cookie = await sync_to_async(session_cookie)(client, person)
    for attempt in range(10):
        socket = communicator(thread_id, cookie)
        connected, code = await socket.connect(timeout=TIMEOUT)
        if connected:
            return socket
        assert code == TRY_AGAIN_LATER
        await asyncio.sleep(0.1 * 2**attempt)
    raise AssertionError("Could not reconnect after the Redis restart.")


async def test_catching_up_by_revision_over_redis_sends_every_change_missed(
    redis_layer, client, primary_teacher, secondary_maths_lead, moderator, thread
):
    posts = [
        await reply(thread, secondary_maths_lead, f"Plan {number}, with a pupil's name.")
        for number in range(4)
    ]
    await sync_to_async(thread.refresh_from_db)()
    seen_revision = thread.revision

    await change_while_away(thread, secondary_maths_lead, moderator, posts)
    socket = await connected_socket(client, primary_teacher, thread.pk)
    await socket.send_json_to(
        {"action": "catch_up", "after": posts[-1].pk, "revision": seen_revision}
    )
    frames = [await socket.receive_json_from(timeout=TIMEOUT) for _ in range(4)]

    assert [(frame["type"], frame["post_id"]) for frame in frames[:3]] == [
        (events.POST_UPDATED, post.pk) for post in posts[:3]
    ]
    assert "pupil" not in frames[1]["html"] and "pupil" not in frames[2]["html"]
    assert frames[3]["revision"] == seen_revision + 3
    await socket.disconnect()


async def test_typing_and_presence_work_across_redis(
    redis_layer, client, primary_teacher, secondary_maths_lead, thread
):
    reader = await connected_socket(client, primary_teacher, thread.pk)
    await reader.send_json_to({"action": "here"})
    typist = await connected_socket(client, secondary_maths_lead, thread.pk)

    await typist.send_json_to({"action": "here"})
    joined = await reader.receive_json_from(timeout=TIMEOUT)
    answer = await typist.receive_json_from(timeout=TIMEOUT)
    await typist.send_json_to({"action": "typing"})
    typing = await reader.receive_json_from(timeout=TIMEOUT)

    assert (joined["event"], joined["name"]) == ("here", "Tom Okafor")
    assert (answer["event"], answer["name"]) == ("here", "Priya Patel")
    assert (typing["type"], typing["name"]) == ("typing", "Tom Okafor")
    await typist.disconnect()
    assert (await reader.receive_json_from(timeout=TIMEOUT))["event"] == "left"
    await reader.disconnect()

"""The in-memory channel layer sweeps for expired messages now and then, not on every call,
puts a group's message straight into each member's inbox, and still delivers, copies, limits
and expires as Channels' own layer does."""

import asyncio

import pytest
from channels.exceptions import ChannelFull
from django.conf import settings

from config.layers import SweepingInMemoryChannelLayer


def test_the_site_uses_the_sweeping_layer_without_redis():
    if settings.REDIS_URL:
        pytest.skip("REDIS_URL is set: the Redis layer is in use")
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == (
        "config.layers.SweepingInMemoryChannelLayer"
    )


async def members(layer, count: int, group: str = "thread-1") -> list[str]:
    channels = [await layer.new_channel() for _ in range(count)]
    for channel in channels:
        await layer.group_add(group, channel)
    return channels


async def test_a_group_message_reaches_every_member_with_one_sweep_a_second(monkeypatch):
    sweeps = []
    monkeypatch.setattr(SweepingInMemoryChannelLayer, "_sweep", lambda layer: sweeps.append(1))
    layer = SweepingInMemoryChannelLayer()
    channels = await members(layer, 300)

    await layer.group_send("thread-1", {"type": "post.created", "id": 7})
    received = await asyncio.gather(*(layer.receive(channel) for channel in channels))

    assert [message["id"] for message in received] == [7] * 300
    assert len(sweeps) == 1  # the stock layer sweeps 301 times here


async def test_readers_waiting_before_the_message_get_it_too():
    layer = SweepingInMemoryChannelLayer()
    channels = await members(layer, 3)
    waiting = [asyncio.ensure_future(layer.receive(channel)) for channel in channels]
    await asyncio.sleep(0)

    await layer.group_send("thread-1", {"type": "post.created", "id": 8})

    assert [message["id"] for message in await asyncio.gather(*waiting)] == [8, 8, 8]
    assert layer.channels == {}  # nothing kept once delivered


async def test_messages_arrive_in_the_order_sent_and_only_to_current_members():
    layer = SweepingInMemoryChannelLayer()
    stays, leaves = await members(layer, 2)
    await layer.group_send("thread-1", {"type": "post.created", "id": 1})
    await layer.group_discard("thread-1", leaves)
    await layer.group_send("thread-1", {"type": "post.created", "id": 2})
    await layer.send(stays, {"type": "presence.event", "id": 3})

    assert [(await layer.receive(stays))["id"] for _ in range(3)] == [1, 2, 3]
    assert (await layer.receive(leaves))["id"] == 1
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(layer.receive(leaves), timeout=0.05)


async def test_each_reader_gets_its_own_copy():
    layer = SweepingInMemoryChannelLayer()
    first, second = await members(layer, 2)
    await layer.group_send("thread-1", {"type": "post.created", "html": "<p>Hi</p>"})
    await layer.group_send("thread-1", {"type": "post.created", "detail": {"tags": ["ks2"]}})

    flat = await layer.receive(first)
    flat["html"] = "changed"
    assert (await layer.receive(second))["html"] == "<p>Hi</p>"
    nested = await layer.receive(first)
    nested["detail"]["tags"].append("changed")
    assert (await layer.receive(second))["detail"] == {"tags": ["ks2"]}


async def test_a_full_inbox_refuses_sends_and_misses_group_messages():
    layer = SweepingInMemoryChannelLayer(capacity=2)
    full, other = await members(layer, 2)
    for number in range(2):
        await layer.send(full, {"type": "post.created", "id": number})

    with pytest.raises(ChannelFull):
        await layer.send(full, {"type": "post.created", "id": 2})
    await layer.group_send("thread-1", {"type": "post.created", "id": 3})  # not an error

    assert [(await layer.receive(full))["id"] for _ in range(2)] == [0, 1]
    assert (await layer.receive(other))["id"] == 3


async def test_a_receive_cancelled_as_its_message_arrives_loses_nothing():
    layer = SweepingInMemoryChannelLayer()
    channel = await layer.new_channel()
    cancelled = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)
    await layer.send(channel, {"type": "post.created", "id": 9})  # wakes it...
    cancelled.cancel()  # ...but it is cancelled before it runs (a socket closing)

    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert (await asyncio.wait_for(layer.receive(channel), timeout=1))["id"] == 9


async def test_expired_messages_are_still_swept_away():
    layer = SweepingInMemoryChannelLayer(expiry=0, sweep_interval=0)
    channel = await layer.new_channel()
    await layer.group_add("thread-1", channel)
    await layer.send(channel, {"type": "post.created"})
    await asyncio.sleep(0.01)

    await layer.group_send("thread-1", {"type": "post.edited"})  # sweeps first

    assert channel not in layer.groups.get("thread-1", {})
    assert channel not in layer.channels

"""The in-memory channel layer sweeps for expired messages now and then, not on every call,
and still delivers and expires as Channels' own layer does."""

import asyncio

import pytest
from channels.layers import InMemoryChannelLayer
from django.conf import settings

from config.layers import SweepingInMemoryChannelLayer


def test_the_site_uses_the_sweeping_layer_without_redis():
    if settings.REDIS_URL:
        pytest.skip("REDIS_URL is set: the Redis layer is in use")
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == (
        "config.layers.SweepingInMemoryChannelLayer"
    )


async def test_a_group_message_reaches_every_member_with_one_sweep_a_second(monkeypatch):
    sweeps = []
    stock_sweep = InMemoryChannelLayer._clean_expired
    monkeypatch.setattr(
        InMemoryChannelLayer, "_clean_expired", lambda layer: sweeps.append(stock_sweep(layer))
    )
    layer = SweepingInMemoryChannelLayer()
    channels = [await layer.new_channel() for _ in range(300)]
    for channel in channels:
        await layer.group_add("thread-1", channel)

    await layer.group_send("thread-1", {"type": "post.created", "id": 7})
    received = await asyncio.gather(*(layer.receive(channel) for channel in channels))

    assert [message["id"] for message in received] == [7] * 300
    assert len(sweeps) == 1  # the stock layer sweeps 301 times here


async def test_expired_messages_are_still_swept_away():
    layer = SweepingInMemoryChannelLayer(expiry=0, sweep_interval=0)
    channel = await layer.new_channel()
    await layer.group_add("thread-1", channel)
    await layer.send(channel, {"type": "post.created"})
    await asyncio.sleep(0.01)

    await layer.group_send("thread-1", {"type": "post.edited"})  # sweeps first

    assert channel not in layer.groups.get("thread-1", {})

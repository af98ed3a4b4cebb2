"""The channel layer in forum tests: listening in on what a service announced, and a real
Redis layer for the tests that need one."""

import asyncio
from collections.abc import Callable, Iterator

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer
from django.test import override_settings

from forums import events
from forums.notifications import person_group


@pytest.fixture
def group_listener() -> Iterator[Callable[[str], Callable[[], list[dict]]]]:
    """`listen(group)` joins a fresh channel to the group and answers a function returning
    what has arrived since it was last asked (without waiting for more)."""
    layer = get_channel_layer()
    joined: list[tuple[str, str]] = []

    def listen(group: str) -> Callable[[], list[dict]]:
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(group, channel)
        joined.append((group, channel))

        def received() -> list[dict]:
            messages: list[dict] = []

            async def drain() -> None:
                while True:
                    try:
                        messages.append(await asyncio.wait_for(layer.receive(channel), 0.05))
                    except TimeoutError:
                        return

            async_to_sync(drain)()
            return messages

        return received

    yield listen
    for group, channel in joined:
        async_to_sync(layer.group_discard)(group, channel)


@pytest.fixture
def thread_listener(group_listener):
    """What the thread's live readers are sent: `received = thread_listener(thread)`."""
    return lambda thread: group_listener(events.thread_group(thread.pk))


@pytest.fixture
def bell_listener(group_listener):
    """What rings a person's bell: `rings = bell_listener(person)`."""
    return lambda person: group_listener(person_group(person.pk))


@pytest.fixture
def redis_layer(redis_server):
    """Channels' Redis layer on the Redis server the test run started."""
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis_server.url, "socket_timeout": 30}]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        channel_layers.backends.clear()
        try:
            yield channel_layers["default"]
        finally:
            channel_layers.backends.clear()

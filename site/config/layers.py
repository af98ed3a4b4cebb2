"""The in-memory channel layer used when no Redis is configured (one process: `make run`,
tests, small trusts)."""

import asyncio
import time
from collections import deque
from collections.abc import Callable
from copy import deepcopy

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

# Values a receiver cannot change in place: a message made only of these is copied shallowly.
IMMUTABLE = (str, int, float, bool, bytes, type(None))


class _Inbox:
    """One channel's undelivered messages (with when each expires) and the receivers waiting
    for them. Every open socket's channel has one while it waits, so it is kept small: the
    asyncio.Queue Channels uses costs ~3 KiB, most of it empty deques."""

    __slots__ = ("messages", "waiters")

    def __init__(self) -> None:
        self.messages: deque[tuple[float, dict]] | None = None
        self.waiters: list[asyncio.Future] = []

    def __len__(self) -> int:
        return len(self.messages) if self.messages else 0

    @property
    def idle(self) -> bool:
        """Nothing waiting in it and nobody waiting on it: the layer can forget it."""
        return not self.messages and not self.waiters

    def put(self, expires: float, message: dict) -> None:
        if self.messages is None:
            self.messages = deque()
        self.messages.append((expires, message))
        self._wake_one()

    def _wake_one(self) -> None:
        while self.waiters:
            waiter = self.waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return

    async def get(self) -> dict:
        while not self.messages:
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self.waiters:
                    self.waiters.remove(waiter)
                elif self.messages:  # woken, then cancelled: pass the message on
                    self._wake_one()
                raise
        return self.messages.popleft()[1]

    def drop_expired(self, now: float) -> int:
        dropped = 0
        while self.messages and self.messages[0][0] < now:
            self.messages.popleft()
            dropped += 1
        return dropped


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer, looking for expired messages at most once a second, putting
    a group's message straight into each member's inbox, and keeping small inboxes.

    The stock layer walks every channel and every group membership on each receive and group
    send, so one post to a thread with N readers costs N walks of N channels: at 1,000 readers
    a reply took seconds to arrive (docs/benchmarks.md, "Live fan-out"). Messages expire after
    a minute, so sweeping a second late changes nothing anyone can see. Its group send also
    starts a task per member, deep-copies the message (a post's rendered fragment) for each and
    builds a queue it throws away: half the layer's time in ringing a thread's doorbell."""

    def __init__(self, sweep_interval: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.channels: dict[str, _Inbox] = {}
        self.sweep_interval = sweep_interval
        self._last_sweep = float("-inf")

    async def send(self, channel: str, message: dict) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        self._put(channel, message, _copier(message))

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        copy = _copier(message)
        for channel in list(self.groups.get(group, ())):
            try:
                self._put(channel, message, copy)
            except ChannelFull:  # as in Channels: that reader misses it and catches up
                pass

    def _put(self, channel: str, message: dict, copy: Callable[[dict], dict]) -> None:
        """Each receiver gets its own copy, as from Channels' layer, so none can change
        another's."""
        inbox = self._inbox(channel)
        if len(inbox) >= self.get_capacity(channel):
            raise ChannelFull(channel)
        inbox.put(time.time() + self.expiry, copy(message))

    async def receive(self, channel: str) -> dict:
        self.require_valid_channel_name(channel)
        self._clean_expired()
        inbox = self._inbox(channel)
        try:
            return await inbox.get()
        finally:
            if inbox.idle:
                self.channels.pop(channel, None)

    def _inbox(self, channel: str) -> _Inbox:
        inbox = self.channels.get(channel)
        if inbox is None:
            inbox = self.channels[channel] = _Inbox()
        return inbox

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep >= self.sweep_interval:
            self._last_sweep = now
            self._sweep()

    def _sweep(self) -> None:
        """Drop expired messages, and the channels they were for from every group (their
        reader has gone); end group memberships older than the group expiry."""
        wall_clock = time.time()
        for channel, inbox in list(self.channels.items()):
            if inbox.drop_expired(wall_clock):
                self._remove_from_groups(channel)
                if inbox.idle:
                    self.channels.pop(channel, None)
        joined_before = int(wall_clock) - self.group_expiry
        for members in self.groups.values():
            for channel, joined in list(members.items()):
                if joined and joined < joined_before:
                    members.pop(channel, None)


def _copier(message: dict) -> Callable[[dict], dict]:
    if all(isinstance(value, IMMUTABLE) for value in message.values()):
        return dict.copy
    return deepcopy

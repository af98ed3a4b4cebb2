"""The in-memory channel layer used when no Redis is configured (one process: `make run`,
tests, small trusts)."""

import time

from channels.layers import InMemoryChannelLayer


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer, looking for expired messages at most once a second.

    The stock layer walks every channel and every group membership on each receive and group
    send, so one post to a thread with N readers costs N walks of N channels: at 1,000 readers
    a reply took seconds to arrive (docs/benchmarks.md, "Live fan-out"). Messages expire after
    a minute, so sweeping a second late changes nothing anyone can see."""

    def __init__(self, sweep_interval: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sweep_interval = sweep_interval
        self._last_sweep = float("-inf")

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < self.sweep_interval:
            return
        self._last_sweep = now
        super()._clean_expired()

"""A second reference for the fan-out benchmark: the same broadcast through Django Channels
alone, with none of Staffroom's work around it.

Served by uvicorn with the flags Staffroom's server gets (`uvicorn bench._channels_floor:app`,
started by bench/fanout.py). Readers connect to any path and join one group on Staffroom's
in-memory layer; each group message is forwarded as a JSON frame by a consumer, as a thread
page's consumer forwards a post. No database, session, sign-in or template is involved, so the
gap between this and the plain asyncio broadcast (bench/_floor.py) is what Channels' consumers
and uvicorn's websocket handling cost, and the gap between Staffroom and this is Staffroom's
own. It speaks the floor's control protocol: `/control` takes `go <count> <interval_s>
<size>`, broadcasts on an open-loop schedule, logs when each message was due and when it was
handed to the layer in the file named by BENCH_TIMING_LOG, and answers `done`.
"""

import os
import time

from django.conf import settings

settings.configure(
    CHANNEL_LAYERS={"default": {"BACKEND": "config.layers.SweepingInMemoryChannelLayer"}}
)

from channels.generic.websocket import (  # noqa: E402
    AsyncJsonWebsocketConsumer,
    AsyncWebsocketConsumer,
)

from bench._floor import paced  # noqa: E402

GROUP = "readers"
_log = open(os.environ["BENCH_TIMING_LOG"], "a", buffering=1)  # noqa: SIM115
_rounds = 0


class Reader(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def dispatch(self, message: dict) -> None:
        # Straight to the handler, as Staffroom's consumers do for events that need no
        # database: Channels' own dispatch first hops to a thread to close old connections.
        if message["type"] == "floor.event":
            await self.floor_event(message)
        else:
            await super().dispatch(message)

    async def floor_event(self, event: dict) -> None:
        await self.send_json(
            {"type": "post.created", "post_id": event["post_id"], "html": event["html"]}
        )


class Control(AsyncWebsocketConsumer):
    async def receive(self, text_data: str | None = None, bytes_data=None) -> None:
        global _rounds
        _, count, interval, size = (text_data or "").split()
        _rounds += 1
        await self._round(int(count), float(interval), int(size), _rounds * 100_000)
        await self.send("done")

    async def _round(self, count: int, interval: float, size: int, first_id: int) -> None:
        async for post_id, due, html in paced(count, interval, size, first_id):
            sent = time.time()
            await self.channel_layer.group_send(
                GROUP, {"type": "floor.event", "post_id": post_id, "html": html}
            )
            _log.write(f"due {post_id} {due:.6f}\ncommit {post_id} {sent:.6f}\n")


_reader = Reader.as_asgi()
_control = Control.as_asgi()


async def app(scope, receive, send) -> None:
    handler = _control if scope["path"] == "/control" else _reader
    await handler(scope, receive, send)

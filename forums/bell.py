"""The notification bell, live: one websocket per open page, joined to the person's group.

Bell events carry the unread count already, so they are forwarded without a database hop.
On connecting (and on reconnecting after a lost layer) the page is sent the count afresh from
the database, so a ring missed while the layer was down costs nothing.
"""

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from forums.consumers import LAYER_ERRORS, SERVICE_RESTART, TRY_AGAIN_LATER
from forums.notifications import person_group, unread_count

logger = logging.getLogger(__name__)

# The bell's client only ever sends tiny frames.
MAX_FRAME_CHARACTERS = 512
ACTIONS = ("ping", "refresh")


class FrameRefused(ValueError):
    """A client frame the bell will not act on; its message goes back as an error frame."""


def parse_frame(text_data: str | None) -> str:
    """The action a client frame asks for, or FrameRefused saying what is wrong with it."""
    if text_data is None:
        raise FrameRefused("Send JSON text frames, not binary ones.")
    if len(text_data) > MAX_FRAME_CHARACTERS:
        raise FrameRefused(f"Frames to the bell may be at most {MAX_FRAME_CHARACTERS} characters.")
    try:
        content = json.loads(text_data)
    except (ValueError, RecursionError):
        raise FrameRefused("Frames must be JSON.") from None
    action = content.get("action") if isinstance(content, dict) else None
    if action not in ACTIONS:
        raise FrameRefused('Send a JSON object whose "action" is "ping" or "refresh".')
    return action


class BellConsumer(AsyncJsonWebsocketConsumer):
    """`ws/notifications/`: the signed-in person's unread count as it changes."""

    group: str | None = None

    async def __call__(self, scope, receive, send) -> None:
        # Losing the layer (a Redis restart) would leave this socket in a group nobody sends
        # to any more: close it instead, so the page reconnects, re-joins and re-counts.
        try:
            await super().__call__(scope, receive, send)
        except LAYER_ERRORS as error:
            logger.warning("Bell lost the channel layer (%s); closing its socket", error)
            try:
                await send({"type": "websocket.close", "code": SERVICE_RESTART})
            except Exception:  # the socket has gone already
                pass

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        group = person_group(user.pk)
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception:  # the layer is down: the page tries again with backoff
            logger.warning("Bell could not join %s; asked the page to retry", group)
            await self.close(code=TRY_AGAIN_LATER)
            return
        self.group = group
        await self.accept()
        await self._send_count()

    async def disconnect(self, code: int) -> None:
        if self.group is None:
            return
        try:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        except Exception:  # the layer may be down; the membership expires by itself
            logger.warning("Bell could not leave %s", self.group)
        self.group = None

    async def dispatch(self, message: dict) -> None:
        # Skips Channels' per-event database-connection hop: this handler never queries.
        if message.get("type") == "bell.update":
            await self.bell_update(message)
            return
        await super().dispatch(message)

    async def bell_update(self, event: dict) -> None:
        await self.send_json({"type": "bell", "unread": int(event.get("unread", 0))})

    async def receive(self, text_data: str | None = None, bytes_data=None, **kwargs) -> None:
        try:
            action = parse_frame(text_data)
        except FrameRefused as refusal:
            await self.send_json({"type": "error", "message": str(refusal)})
            return
        if action == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self._send_count()

    async def _send_count(self) -> None:
        unread = await database_sync_to_async(unread_count)(self.scope["user"])
        await self.send_json({"type": "bell", "unread": unread})

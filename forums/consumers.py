"""The live side of a thread page: a websocket per open page, joined to the thread's group.

The database is the record and the channel layer only a doorbell (see DESIGN.md, "Live
discussion"): events from the layer carry an already-rendered fragment and are forwarded
without touching the database; a client that reconnects asks to catch up from the last post id
it saw and gets what it missed from the database.
"""

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model
from redis.exceptions import RedisError

from forums import events
from forums.models import Thread
from forums.permissions import can_read_forum
from forums.selectors import posts_after

logger = logging.getLogger(__name__)

MAX_FRAME_CHARACTERS = 4096
CATCH_UP_LIMIT = 200
MAX_ID = 2**63 - 1
TRY_AGAIN_LATER = 1013  # RFC 6455: the server cannot serve this socket now
SERVICE_RESTART = 1012  # RFC 6455: the server is restarting; reconnect
# What a channel layer raises when it is lost (Redis restarting, unreachable).
LAYER_ERRORS = (OSError, RedisError)

# Events from the layer that only forward a rendered fragment: no database work, so they skip
# Channels' per-event `aclose_old_connections()` thread hop (one hop per recipient per event).
DATABASE_FREE_EVENTS = frozenset({"thread.event"})


class BadFrame(Exception):
    """A client frame we refuse, with the message the client is sent."""


class ThreadConsumer(AsyncJsonWebsocketConsumer):
    """`ws/threads/<thread_id>/`: live posts for one thread, for people who may read it."""

    thread: Thread | None = None
    group: str | None = None

    async def __call__(self, scope, receive, send) -> None:
        """A consumer that loses the layer closes its socket, so the client reconnects, joins
        the group again and catches up: otherwise it would sit in a group Redis forgot."""
        try:
            await super().__call__(scope, receive, send)
        except LAYER_ERRORS as error:
            logger.warning("Lost the channel layer (%s); closing so the client reconnects", error)
            try:
                await send({"type": "websocket.close", "code": SERVICE_RESTART})
            except Exception:  # the socket is already gone
                pass

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        thread_id = self.scope["url_route"]["kwargs"]["thread_id"]
        self.thread = await self._readable_thread(user, thread_id)
        if self.thread is None:
            await self.close(code=4403)
            return
        group = events.thread_group(self.thread.pk)
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception:  # the layer is down or restarting: the client retries with backoff
            logger.warning("Could not join %s; asked the client to try again", group)
            await self.close(code=TRY_AGAIN_LATER)
            return
        self.group = group
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            try:
                await self.channel_layer.group_discard(self.group, self.channel_name)
            except Exception:  # the layer may be down; its membership expires on its own
                logger.warning("Could not leave %s", self.group)
            self.group = None

    async def dispatch(self, message: dict) -> None:
        if message.get("type") in DATABASE_FREE_EVENTS:
            await self.thread_event(message)
            return
        await super().dispatch(message)

    # Events from the channel layer.

    async def thread_event(self, event: dict) -> None:
        """Forward an announced post as it came: rendered once by the sender, not per reader."""
        await self.send_json(
            {"type": event["event"], "post_id": event["post_id"], "html": event["html"]}
        )

    # Frames from the client.

    async def receive(self, text_data: str | None = None, bytes_data=None, **kwargs) -> None:
        try:
            content = self._decode(text_data, bytes_data)
            action = content["action"]
            if action == "ping":
                await self.send_json({"type": "pong"})
            elif action == "catch_up":
                await self._catch_up(content)
        except BadFrame as refusal:
            await self.send_json({"type": "error", "message": str(refusal)})

    def _decode(self, text_data: str | None, bytes_data) -> dict:
        if text_data is None:
            raise BadFrame("Send text frames of JSON, not binary frames.")
        if len(text_data) > MAX_FRAME_CHARACTERS:
            raise BadFrame(f"Frames may be at most {MAX_FRAME_CHARACTERS} characters long.")
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            raise BadFrame("Frames must be JSON.") from None
        if not isinstance(content, dict):
            raise BadFrame('Frames must be a JSON object with an "action".')
        if content.get("action") not in ("ping", "catch_up"):
            raise BadFrame('Unknown action: use "catch_up" or "ping".')
        return content

    async def _catch_up(self, content: dict) -> None:
        after = content.get("after")
        if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= MAX_ID:
            raise BadFrame('"after" must be the id of the last post you saw (0 for none).')
        posts = await self._posts_after(after)
        if posts is None:  # no longer allowed to read the thread (left a private network)
            await self.send_json(
                {"type": "error", "message": "You can no longer read this thread."}
            )
            await self.close(code=4403)
            return
        for post_id, html in posts:
            await self.send_json({"type": events.POST_CREATED, "post_id": post_id, "html": html})
        last = posts[-1][0] if posts else after
        await self.send_json(
            {"type": "caught_up", "last_post_id": last, "more": len(posts) >= CATCH_UP_LIMIT}
        )

    # Database work, off the event loop.

    @database_sync_to_async
    def _readable_thread(self, user, thread_id: int) -> Thread | None:
        thread = Thread.objects.select_related("forum__network").filter(pk=thread_id).first()
        if thread is None or not can_read_forum(user, thread.forum):
            return None
        return thread

    @database_sync_to_async
    def _posts_after(self, after: int) -> list[tuple[int, str]] | None:
        # Asked afresh: the person may have left a private network since connecting.
        person = get_user_model().objects.filter(pk=self.scope["user"].pk).first()
        if person is None or not can_read_forum(person, self.thread.forum):
            return None
        posts = posts_after(person, self.thread, after)[:CATCH_UP_LIMIT]
        return [(post.pk, events.render_post(post)) for post in posts]

"""The live side of thread and forum pages: a websocket per open page, joined to the group of
the thread or forum it shows.

The database is the record and the channel layer only a doorbell (see DESIGN.md, "Live
discussion"): events from the layer carry an already-rendered fragment and are forwarded
without touching the database; a client that reconnects asks to catch up from the last
revision it saw and gets every change it missed from the database.

Typing and presence live only in the layer (no shared store): a reader announces "here" when
it joins and every ~30 s after; those already reading answer a newcomer once; a socket that
closes says "left"; browsers forget readers they have not heard from in ~70 s. Names are
stamped here from the session, never taken from the client, and never sent at all in forums
that allow anonymous posts.
"""

import json
import logging
import secrets
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model
from django.utils.crypto import salted_hmac
from redis.exceptions import RedisError

from forums import events
from forums.models import Forum, Thread
from forums.permissions import can_read_forum, can_reply
from forums.selectors import posts_after, posts_changed_since
from networks.services import network_readers_group
from people.signals import live_sockets_group

logger = logging.getLogger(__name__)

MAX_FRAME_CHARACTERS = 4096
CATCH_UP_LIMIT = 200
# Revisions a socket remembers sending (or the client says it has), so none goes twice.
REMEMBERED_REVISIONS = 2000
MAX_ID = 2**63 - 1
TRY_AGAIN_LATER = 1013  # RFC 6455: the server cannot serve this socket now
SERVICE_RESTART = 1012  # RFC 6455: the server is restarting; reconnect
SIGNED_OUT = 4401  # as for a socket without a session
NOT_ALLOWED = 4403  # as for a socket refused: the page must not try again
ACCESS_LOST_MESSAGE = "You no longer have access to this network."
# What a channel layer raises when it is lost (Redis restarting, unreachable).
LAYER_ERRORS = (OSError, RedisError)
# At most one "typing" per socket in this many seconds is passed on; the rest are dropped.
TYPING_INTERVAL = 3.0
# Presence heartbeats come every ~30 s; more often than this is dropped.
HERE_INTERVAL = 10.0

# Events from the layer that only forward what the sender prepared: no database work, so they
# skip Channels' per-event `aclose_old_connections()` thread hop (one hop per recipient).
DATABASE_FREE_EVENTS = frozenset(
    {
        "thread.event",
        "typing.event",
        "presence.event",
        "forum.event",
        "bell.update",
        "session.ended",
        "network.access_lost",
    }
)


class BadFrame(Exception):
    """A client frame we refuse, with the message the client is sent."""


def _valid_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """What every live page's socket shares: session sign-in, joining one group, surviving a
    lost channel layer, and refusing bad frames with an error frame."""

    actions: tuple[str, ...] = ("ping",)
    max_frame_characters = MAX_FRAME_CHARACTERS
    group: str | None = None
    person_group: str | None = None
    # The private or open network whose thread or forum this page shows, if any.
    network_id: int | None = None
    network_group: str | None = None

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

    async def refuse(self, code: int) -> None:
        """Accept, then close at once with `code`: a socket closed before it is accepted
        reaches browsers as 1006 whatever the code, and the page would retry for ever. Nothing
        is joined and nothing sent, so an accepted-then-closed socket learns only the code."""
        await self.accept()
        await self.close(code=code)

    def signed_in_user(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        return user

    async def join(self, group: str, *, network_id: int | None = None) -> bool:
        user = self.signed_in_user()
        try:
            await self.channel_layer.group_add(group, self.channel_name)
            if user is not None:
                # Each of the person's sockets hears when they sign out (people.signals) or
                # leave a private network (networks.services).
                self.person_group = live_sockets_group(user.pk)
                await self.channel_layer.group_add(self.person_group, self.channel_name)
            if network_id is not None:
                # ... and when the network is made private.
                self.network_id = network_id
                self.network_group = network_readers_group(network_id)
                await self.channel_layer.group_add(self.network_group, self.channel_name)
        except Exception:  # the layer is down or restarting: the client retries with backoff
            logger.warning("Could not join %s; asked the client to try again", group)
            await self.close(code=TRY_AGAIN_LATER)
            return False
        self.group = group
        await self.accept()
        return True

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            try:
                await self.channel_layer.group_discard(self.group, self.channel_name)
            except Exception:  # the layer may be down; its membership expires on its own
                logger.warning("Could not leave %s", self.group)
            self.group = None
        for name in ("person_group", "network_group"):
            group = getattr(self, name)
            if group is None:
                continue
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                logger.warning("Could not leave %s", group)
            setattr(self, name, None)

    async def session_ended(self, event: dict) -> None:
        await self.close(code=SIGNED_OUT)

    async def network_access_lost(self, event: dict) -> None:
        """The person left (or was removed from) a private network: pages of it close, pages
        of other networks stay open."""
        if self.network_id is not None and event.get("network_id") == self.network_id:
            await self.lose_access()

    async def network_made_private(self, event: dict) -> None:
        # Rare, so each page asks the database whether its own reader is still allowed in.
        if self.network_id is not None and event.get("network_id") == self.network_id:
            if not await self.still_reads():
                await self.lose_access()

    async def lose_access(self) -> None:
        await self.send_json({"type": "access_lost", "message": ACCESS_LOST_MESSAGE})
        await self.close(code=NOT_ALLOWED)

    async def still_reads(self) -> bool:
        return True

    async def dispatch(self, message: dict) -> None:
        kind = message.get("type")
        handler = (
            getattr(self, kind.replace(".", "_"), None) if kind in DATABASE_FREE_EVENTS else None
        )
        if handler is not None:
            await handler(message)
            return
        await super().dispatch(message)

    async def receive(self, text_data: str | None = None, bytes_data=None, **kwargs) -> None:
        try:
            content = self._decode(text_data, bytes_data)
            await self.act(content["action"], content)
        except BadFrame as refusal:
            await self.send_json({"type": "error", "message": str(refusal)})

    async def act(self, action: str, content: dict) -> None:
        if action == "ping":
            await self.send_json({"type": "pong"})

    def _decode(self, text_data: str | None, bytes_data) -> dict:
        if text_data is None:
            raise BadFrame("Send text frames of JSON, not binary frames.")
        if len(text_data) > self.max_frame_characters:
            raise BadFrame(f"Frames may be at most {self.max_frame_characters} characters long.")
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            raise BadFrame("Frames must be JSON.") from None
        if not isinstance(content, dict):
            raise BadFrame('Frames must be a JSON object with an "action".')
        if content.get("action") not in self.actions:
            known = ", ".join(f'"{action}"' for action in self.actions)
            raise BadFrame(f'Unknown action: send a JSON object whose "action" is one of {known}.')
        return content


class ThreadConsumer(LiveConsumer):
    """`ws/threads/<thread_id>/`: live posts, typing and readers for one thread, for people
    who may read it."""

    actions = ("catch_up", "ping", "typing", "here")
    thread: Thread | None = None
    # Each change to a thread's posts has its own revision, so the revisions this page has
    # are the versions it shows: a live event and a catch-up can cross (the group is joined
    # before the catch-up reads the database), and neither sends what the other sent.
    delivered: set[int]

    async def connect(self) -> None:
        user = self.signed_in_user()
        if user is None:
            await self.refuse(SIGNED_OUT)
            return
        thread_id = self.scope["url_route"]["kwargs"]["thread_id"]
        found = await self._readable_thread(user, thread_id)
        if found is None:
            await self.refuse(NOT_ALLOWED)
            return
        self.thread, self.may_reply, self.name = found
        # Opaque keys: one per socket, one per person in this thread (so two tabs count once).
        self.key = secrets.token_urlsafe(9)
        self.person_key = salted_hmac("forums.presence", f"{self.thread.pk}:{user.pk}").hexdigest()[
            :20
        ]
        self.present = False
        self.delivered = set()
        self.last_typing = self.last_here = -float("inf")
        await self.join(
            events.thread_group(self.thread.pk), network_id=self.thread.forum.network_id
        )

    async def disconnect(self, code: int) -> None:
        if self.group is not None and self.present:
            self.present = False
            try:
                await self.channel_layer.group_send(self.group, self._presence("left"))
            except Exception:  # the layer may be down; browsers forget the reader on their own
                logger.warning("Could not say that a reader left %s", self.group)
        await super().disconnect(code)

    # Events from the channel layer.

    async def thread_event(self, event: dict) -> None:
        """Forward an announced post as it came: rendered once by the sender, not per reader."""
        frame = {"type": event["event"], "post_id": event["post_id"], "html": event["html"]}
        if "revision" in event:
            if not self._deliver(event["revision"]):
                return
            frame["revision"] = event["revision"]
        await self.send_json(frame)

    def _deliver(self, revision: int) -> bool:
        """Note that the page gets this revision; False if it has it already."""
        if revision <= 0:  # posts from before revisions were kept: nothing to compare
            return True
        if revision in self.delivered:
            return False
        if len(self.delivered) >= REMEMBERED_REVISIONS:
            # Forget the oldest half: those are long settled on the page.
            self.delivered = set(sorted(self.delivered)[REMEMBERED_REVISIONS // 2 :])
        self.delivered.add(revision)
        return True

    async def typing_event(self, event: dict) -> None:
        if event["person"] == self.person_key:  # yourself, perhaps in another tab
            return
        frame = {"type": "typing"}
        if event["name"] is not None:
            frame.update(person=event["person"], name=event["name"])
        await self.send_json(frame)

    async def presence_event(self, event: dict) -> None:
        if event["person"] == self.person_key:
            return
        frame = {
            "type": "presence",
            "event": event["event"],
            "key": event["key"],
            "person": event["person"],
        }
        if event["name"] is not None:
            frame["name"] = event["name"]
        await self.send_json(frame)
        if event["reply_to"] and self.present:
            # Answer a newcomer once, straight to its socket, so it knows who is here already.
            try:
                await self.channel_layer.send(event["reply_to"], self._presence("here"))
            except Exception:  # a lost answer only delays the list until the next heartbeat
                logger.debug("Could not answer a new reader in %s", self.group)

    # Frames from the client.

    async def act(self, action: str, content: dict) -> None:
        if action == "catch_up":
            await self._catch_up(content)
        elif action == "typing":
            await self._typing()
        elif action == "here":
            await self._here()
        else:
            await super().act(action, content)

    def _presence(self, kind: str, *, reply_to: str | None = None) -> dict:
        return events.presence_event(
            kind, key=self.key, person_key=self.person_key, name=self.name, reply_to=reply_to
        )

    async def _typing(self) -> None:
        if not self.may_reply:
            raise BadFrame("You cannot reply in this thread.")
        now = time.monotonic()
        if now - self.last_typing < TYPING_INTERVAL:
            return  # the reader already knows: dropped without a word
        self.last_typing = now
        await self.channel_layer.group_send(
            self.group,
            events.typing_event(person_key=self.person_key, name=self.name, sender=self.key),
        )

    async def _here(self) -> None:
        now = time.monotonic()
        if now - self.last_here < HERE_INTERVAL:
            return
        self.last_here = now
        joining = not self.present
        self.present = True
        message = self._presence("here", reply_to=self.channel_name if joining else None)
        await self.channel_layer.group_send(self.group, message)

    async def _catch_up(self, content: dict) -> None:
        revision = content.get("revision")
        if revision is None:
            after = content.get("after")
            if not _valid_number(after):
                raise BadFrame('"after" must be the id of the last post you saw (0 for none).')
        else:
            if not _valid_number(revision):
                raise BadFrame('"revision" must be the last revision you saw (0 for none).')
            after = content.get("after", 0)
            if not _valid_number(after):
                raise BadFrame('"after" must be the id of the last post you saw (0 for none).')
        have = content.get("have", [])
        if (
            not isinstance(have, list)
            or len(have) > CATCH_UP_LIMIT
            or not all(_valid_number(item) for item in have)
        ):
            raise BadFrame(
                f'"have" must be a list of at most {CATCH_UP_LIMIT} revisions you already have.'
            )
        for item in have:
            self._deliver(item)
        missed = await self._missed(after, revision)
        if missed is None:  # no longer allowed to read the thread (left a private network)
            await self.send_json(
                {"type": "error", "message": "You can no longer read this thread."}
            )
            await self.close(code=4403)
            return
        posts, thread_revision = missed
        for post_id, post_revision, html in posts:
            if not self._deliver(post_revision):
                continue
            kind = events.POST_CREATED if post_id > after else events.POST_UPDATED
            await self.send_json(
                {"type": kind, "post_id": post_id, "revision": post_revision, "html": html}
            )
        last = max([after, *(post_id for post_id, _, _ in posts)])
        done = {"type": "caught_up", "last_post_id": last}
        more = len(posts) >= CATCH_UP_LIMIT
        if revision is not None:
            # Everything up to this revision is now on the page. The thread's revision, read
            # before the posts, also covers changes this reader is not shown; revisions are
            # committed in order (the thread's row lock), so none below it can still appear.
            done["revision"] = max(revision, posts[-1][1] if posts else 0)
            if not more:
                done["revision"] = max(done["revision"], thread_revision)
        done["more"] = more
        await self.send_json(done)

    # Database work, off the event loop.

    @database_sync_to_async
    def still_reads(self) -> bool:
        return _reads_now(self.scope["user"].pk, self.thread.forum)

    @database_sync_to_async
    def _readable_thread(self, user, thread_id: int) -> tuple[Thread, bool, str | None] | None:
        thread = Thread.objects.select_related("forum__network").filter(pk=thread_id).first()
        if thread is None or not can_read_forum(user, thread.forum):
            return None
        # In forums that allow anonymous posts, typing and presence never name anyone.
        name = None if thread.forum.allows_anonymous_posts else user.name
        return thread, can_reply(user, thread), name

    @database_sync_to_async
    def _missed(
        self, after: int, revision: int | None
    ) -> tuple[list[tuple[int, int, str]], int] | None:
        """The posts missed, rendered, and the thread's revision read before them."""
        # Asked afresh: the person may have left a private network since connecting.
        person = _person_now(self.scope["user"].pk)
        if person is None or not can_read_forum(person, self.thread.forum):
            return None
        thread_revision = 0
        if revision is not None:
            thread_revision = (
                Thread.objects.filter(pk=self.thread.pk).values_list("revision", flat=True).first()
                or 0
            )
        if revision is None:
            posts = posts_after(person, self.thread, after)[:CATCH_UP_LIMIT]
        else:
            posts = posts_changed_since(person, self.thread, revision)[:CATCH_UP_LIMIT]
        return [
            (post.pk, post.revision, events.render_post(post)) for post in posts
        ], thread_revision


class ForumConsumer(LiveConsumer):
    """`ws/forums/<forum_id>/`: new threads and replies for a forum's page, for people who may
    read the forum."""

    async def connect(self) -> None:
        user = self.signed_in_user()
        if user is None:
            await self.refuse(SIGNED_OUT)
            return
        forum_id = self.scope["url_route"]["kwargs"]["forum_id"]
        self.forum = await self._readable_forum(user, forum_id)
        if self.forum is None:
            await self.refuse(NOT_ALLOWED)
            return
        await self.join(events.forum_group(forum_id), network_id=self.forum.network_id)

    async def forum_event(self, event: dict) -> None:
        await self.send_json(
            {
                "type": event["event"],
                "thread_id": event["thread_id"],
                "title": event["title"],
                "pinned": event["pinned"],
                "html": event["html"],
            }
        )

    @database_sync_to_async
    def still_reads(self) -> bool:
        return _reads_now(self.scope["user"].pk, self.forum)

    @database_sync_to_async
    def _readable_forum(self, user, forum_id: int) -> Forum | None:
        forum = Forum.objects.select_related("network").filter(pk=forum_id).first()
        return forum if forum is not None and can_read_forum(user, forum) else None


def _person_now(pk: int):
    """The person as the database has them now, or None once switched off or gone."""
    return get_user_model().objects.filter(pk=pk, is_active=True).first()


def _reads_now(person_pk: int, forum: Forum) -> bool:
    person = _person_now(person_pk)
    if person is None:
        return False
    forum = Forum.objects.select_related("network").get(pk=forum.pk)
    return can_read_forum(person, forum)

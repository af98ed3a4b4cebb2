"""Group names and the small JSON events of live discussion.

The database is the record and the channel layer only a doorbell: services save first, then
announce on commit; a client that missed an announcement catches up from the database.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.template.loader import render_to_string

from forums.models import Thread

logger = logging.getLogger(__name__)

POST_CREATED = "post.created"
POST_EDITED = "post.edited"
POST_REMOVED = "post.removed"
# Any other change to an existing post a reader must see: hidden, restored, reactions.
POST_UPDATED = "post.updated"
THREAD_ACTIVITY = "thread.activity"


def thread_group(thread_id: int) -> str:
    return f"thread.{thread_id}"


def forum_group(forum_id: int) -> str:
    return f"forum.{forum_id}"


def render_post(post) -> str:
    """The post's HTML fragment, rendered once per event rather than once per reader."""
    return render_to_string("forums/_post.html", {"post": post})


def post_event(kind: str, post) -> dict:
    return {
        "type": "thread.event",  # the consumers' handler
        "event": kind,
        "post_id": post.pk,
        "thread_id": post.thread_id,
        "revision": post.revision,
        "html": render_post(post),
    }


THREAD_STARTED = "thread.started"
THREAD_REPLIED = "thread.replied"


def render_thread_card(thread) -> str:
    """The thread's card for forum pages, the same for every reader (no unread counts)."""
    return render_to_string("forums/_thread_card.html", {"thread": thread})


def thread_card_event(thread) -> dict:
    return {
        "type": "forum.event",  # the forum consumers' handler
        "event": THREAD_REPLIED if thread.reply_count else THREAD_STARTED,
        "thread_id": thread.pk,
        "title": thread.title,
        "pinned": thread.pinned,
        "html": render_thread_card(thread),
    }


def announce_thread(thread_id: int) -> None:
    """Tell the forum's live pages that a thread started or has a new reply. Called after
    commit; like `announce`, it never fails the request that made the change."""
    try:
        thread = Thread.objects.select_related("author").filter(pk=thread_id).first()
        if thread is None:
            return
        message = thread_card_event(thread)
    except Exception:  # a card that cannot be rendered is only logged
        logger.warning("Could not render the card of thread %s", thread_id, exc_info=True)
        return
    announce(forum_group(thread.forum_id), message)


def typing_event(*, person_key: str, name: str | None, sender: str) -> dict:
    """Someone is writing a reply. `name` is None in forums that allow anonymous posts."""
    return {"type": "typing.event", "person": person_key, "name": name, "sender": sender}


def presence_event(
    kind: str, *, key: str, person_key: str, name: str | None, reply_to: str | None = None
) -> dict:
    """A socket is reading the thread ("here") or has gone ("left"). `reply_to` (a channel
    name, never sent to browsers) asks those already reading to answer the newcomer once."""
    return {
        "type": "presence.event",
        "event": kind,
        "key": key,
        "person": person_key,
        "name": name,
        "reply_to": reply_to,
    }


def announce(group: str, message: dict) -> None:
    """Ring the doorbell. A channel layer that is down must never fail the request that
    saved the post: readers catch up from the database when they reconnect."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # any layer failure (Redis down, over capacity) is only logged
        logger.warning("Could not announce to %s", group, exc_info=True)

"""Group names and the small JSON events of live discussion.

The database is the record and the channel layer only a doorbell: services save first, then
announce on commit; a client that missed an announcement catches up from the database.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.template.loader import render_to_string

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


def announce_thread(thread_id: int) -> None:
    """Tell a forum's live page that a thread started or moved on. (Being built: issue 4.)"""


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

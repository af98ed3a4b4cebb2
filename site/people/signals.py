"""Decoupled hooks of people: closing a person's live sockets when they sign out."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

SESSION_ENDED = {"type": "session.ended"}


def live_sockets_group(pk: int) -> str:
    """The channel-layer group every live socket of a person joins (forums.consumers), apart
    from the bell's group: sockets that cannot take bell updates must not hear them."""
    return f"signed-in.{pk}"


def close_live_sockets(sender, request, user, **kwargs) -> None:
    """Signing out closes the person's open websockets, so no page goes on updating."""
    if user is None or user.pk is None:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(live_sockets_group(user.pk), dict(SESSION_ENDED))
    except Exception:  # the layer is down: the sockets lose it too, and close on their own
        logger.warning("Could not close the live sockets of person %s", user.pk)

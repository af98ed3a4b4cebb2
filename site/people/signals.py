"""Decoupled hooks of people: closing a person's live sockets when they sign out or their
account is switched off."""

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

SESSION_ENDED = {"type": "session.ended"}


def live_sockets_group(pk: int) -> str:
    """The channel-layer group every live socket of a person joins (forums.consumers), apart
    from the bell's group: sockets that cannot take bell updates must not hear them."""
    return f"signed-in.{pk}"


def close_live_sockets(sender, request, user, **kwargs) -> None:
    """Signing out closes the person's open websockets, so no page goes on updating."""
    if user is not None and user.pk is not None:
        _end_live_sockets(user.pk)


def close_live_sockets_when_switched_off(sender, instance, created, update_fields=None, **kw):
    """Switching an account off closes its open websockets too, once the change is saved."""
    if created or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    transaction.on_commit(partial(_end_live_sockets, instance.pk))


def _end_live_sockets(pk: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(live_sockets_group(pk), dict(SESSION_ENDED))
    except Exception:  # the layer is down: the sockets lose it too, and close on their own
        logger.warning("Could not close the live sockets of person %s", pk)

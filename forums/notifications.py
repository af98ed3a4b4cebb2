"""Notifications: who hears about what, in the app (live bell) and by email."""

from django.db import transaction

from forums import events
from forums.models import Notification


def person_group(person_id: int) -> str:
    """Every open page of one person listens here (the bell; closing sockets at sign-out)."""
    return f"person.{person_id}"


def notify(
    *,
    recipient,
    kind: str,
    text: str,
    url: str,
    actor=None,
    thread=None,
    post=None,
    resource=None,
) -> Notification:
    """Record a notification and ring the person's bell once it is committed."""
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        text=text[:300],
        url=url,
        actor=actor,
        thread=thread,
        post=post,
        resource=resource,
    )
    recipient_id = recipient.pk
    transaction.on_commit(lambda: ring_bell(recipient_id))
    return notification


def ring_bell(person_id: int) -> None:
    """Tell the person's open pages how many unread notifications they have."""
    unread = Notification.objects.filter(recipient_id=person_id, read_at__isnull=True).count()
    events.announce(person_group(person_id), {"type": "bell.update", "unread": unread})


def post_saved(post_id: int, *, created: bool, mentioned_ids: list[int]) -> None:
    """Called after commit for every new or edited post."""

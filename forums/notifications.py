"""Notifications: who hears about what, in the app (live bell) and by email.

Notifications are written after the post they are about has been committed (services call
`post_saved` from `transaction.on_commit`), each batch in its own transaction, and bells ring
only once that batch is committed. An anonymous post never names its author here: the actor
is left empty and the text says "Someone".
"""

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import (
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from forums.models import (
    Forum,
    Notification,
    NotificationPreferences,
    Post,
    Thread,
    ThreadFollow,
)
from forums.permissions import can_read_forum
from forums.selectors import post_address
from people.roles import CENTRAL_ROLES

logger = logging.getLogger(__name__)

Kind = Notification.Kind
TEXT_MAX_LENGTH = Notification._meta.get_field("text").max_length


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
        text=text[:TEXT_MAX_LENGTH],
        url=url,
        actor=actor,
        thread=thread,
        post=post,
        resource=resource,
    )
    recipient_id = recipient.pk
    transaction.on_commit(lambda: ring_bell(recipient_id))
    return notification


def unread_count(person) -> int:
    if not getattr(person, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=person.pk, read_at__isnull=True).count()


def with_unread_count(people: QuerySet) -> QuerySet:
    """People with `unread_notifications` counted in the same query: the signed-in person is
    loaded this way (people.backends), so the header's bell costs no query of its own."""
    unread = (
        Notification.objects.filter(recipient_id=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return people.annotate(
        unread_notifications=Coalesce(Subquery(unread), Value(0), output_field=IntegerField())
    )


def ring_bell(person_id: int) -> None:
    """Tell the person's open pages how many unread notifications they have."""
    ring_bells([person_id])


def ring_bells(person_ids: Iterable[int]) -> None:
    """Ring several bells with one counting query; a person with nothing unread hears 0."""
    person_ids = list(dict.fromkeys(person_ids))
    if not person_ids:
        return
    counts = dict(
        Notification.objects.filter(recipient_id__in=person_ids, read_at__isnull=True)
        .values("recipient_id")
        .annotate(unread=Count("pk"))
        .values_list("recipient_id", "unread")
    )
    _announce_all(
        [
            (person_group(person_id), {"type": "bell.update", "unread": counts.get(person_id, 0)})
            for person_id in person_ids
        ]
    )


def _announce_all(messages: list[tuple[str, dict]]) -> None:
    """Send many bells from one event loop rather than one loop per person (a reply to a
    thread with hundreds of followers). Like `events.announce`, a layer failure is only
    logged: the counts are in the database and pages re-read them when they reconnect."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all() -> None:
        for group, message in messages:
            await layer.group_send(group, message)

    try:
        async_to_sync(send_all)()
    except Exception:  # the layer is down: the rest would fail the same way
        logger.warning("Could not ring %s bells", len(messages), exc_info=True)


# Who hears about a post.


def _actor_name(post: Post) -> str:
    return "Someone" if post.is_anonymous else post.author.name


def _quoted(title: str) -> str:
    return f"“{title}”"


def _post_url(post: Post) -> str:
    return post_address(post)


def _readers(follows: QuerySet, forum: Forum) -> QuerySet:
    """Follows whose person may still read the forum (a private network's members and the
    central team), in the query rather than one permission check per follower."""
    follows = follows.filter(person__is_active=True)
    if forum.network_id is None or not forum.network.is_private:
        return follows
    return follows.filter(
        Q(person__is_superuser=True)
        | Q(person__memberships__network_id=forum.network_id)
        | Q(person__groups__name__in=CENTRAL_ROLES)
    ).distinct()


def post_saved(post_id: int, *, created: bool, mentioned_ids: list[int]) -> None:
    """Called after commit for every new or edited post: the newly mentioned hear of it, and
    on a new reply so do the thread's followers (one folded notification per thread)."""
    try:
        _post_saved(post_id, created=created, mentioned_ids=mentioned_ids)
    except Exception:  # the post is committed already: its request must not fail now
        logger.exception("Could not record the notifications for post %s", post_id)


def _post_saved(post_id: int, *, created: bool, mentioned_ids: list[int]) -> None:
    post = (
        Post.objects.select_related("author", "thread__forum__network")
        .filter(pk=post_id, deleted_at__isnull=True, hidden_at__isnull=True)
        .first()
    )
    if post is None:
        return
    with transaction.atomic():
        # One thread's notifications are written by one reply at a time: two replies landing
        # together would otherwise update the same unread rows in different orders (a
        # deadlock on PostgreSQL, found by the live-failure drill) or both miss the other's
        # new row and fail to fold into it.
        list(Thread.objects.select_for_update().filter(pk=post.thread_id).values_list("pk"))
        mentioned = _notify_mentioned(post, mentioned_ids)
        replied = []
        if created:
            replied = _notify_followers(post, exclude_ids={post.author_id, *mentioned})
        rung = [*mentioned.keys(), *replied]
        emails = list(mentioned.values())
        transaction.on_commit(lambda: ring_bells(rung))
        transaction.on_commit(lambda: _enqueue_mention_emails(emails))


def _notify_mentioned(post: Post, mentioned_ids: list[int]) -> dict[int, int]:
    """Mention notifications for those who can read the thread: {person id: notification id}."""
    if not mentioned_ids:
        return {}
    thread = post.thread
    people = get_user_model().objects.filter(pk__in=mentioned_ids, is_active=True)
    readers = [
        person
        for person in people
        if person.pk != post.author_id and can_read_forum(person, thread.forum)
    ]
    text = f"{_actor_name(post)} mentioned you in {_quoted(thread.title)}"[:TEXT_MAX_LENGTH]
    actor = None if post.is_anonymous else post.author
    url = _post_url(post)
    created = Notification.objects.bulk_create(
        [
            Notification(
                recipient=person,
                kind=Kind.MENTION,
                actor=actor,
                thread=thread,
                post=post,
                text=text,
                url=url,
            )
            for person in readers
        ]
    )
    if any(notification.pk is None for notification in created):  # backends without RETURNING
        return dict(
            Notification.objects.filter(post=post, kind=Kind.MENTION).values_list(
                "recipient_id", "pk"
            )
        )
    return {notification.recipient_id: notification.pk for notification in created}


def _notify_followers(post: Post, *, exclude_ids: set[int]) -> list[int]:
    """Reply notifications for the thread's followers, in a constant number of queries:
    an unread one for the thread is folded into ("3 new replies in …"), else one is made."""
    thread = post.thread
    follower_ids = set(
        _readers(ThreadFollow.objects.filter(thread=thread), thread.forum)
        .exclude(person_id__in=exclude_ids)
        .values_list("person_id", flat=True)
    )
    if not follower_ids:
        return []
    unread = Notification.objects.filter(
        recipient_id__in=follower_ids, kind=Kind.REPLY, thread=thread, read_at__isnull=True
    )
    folded_ids = set(unread.values_list("recipient_id", flat=True))
    now = timezone.now()
    actor_id = None if post.is_anonymous else post.author_id
    if folded_ids:
        title = _quoted(thread.title)
        unread.update(
            count=F("count") + 1,
            post=post,
            actor_id=actor_id,
            created_at=now,
            text=Concat(
                Cast(F("count") + 1, output_field=CharField()),
                Value(f" new replies in {title}"),
                output_field=CharField(),
            ),
        )
    text = f"{_actor_name(post)} replied in {_quoted(thread.title)}"[:TEXT_MAX_LENGTH]
    url = _post_url(post)
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=person_id,
                kind=Kind.REPLY,
                actor_id=actor_id,
                thread=thread,
                post=post,
                text=text,
                url=url,
                created_at=now,
            )
            for person_id in follower_ids - folded_ids
        ],
        batch_size=500,
    )
    return sorted(follower_ids)


def _enqueue_mention_emails(notification_ids: list[int]) -> None:
    from forums.tasks import send_mention_email

    for notification_id in notification_ids:
        try:
            send_mention_email.enqueue(notification_id=notification_id)
        except Exception:  # the notification is saved either way; the email is a courtesy
            logger.exception("Could not schedule the email for notification %s", notification_id)


def notify_resource_endorsed(*, resource, endorser, **kwargs) -> None:
    """Receiver of resources' `resource_endorsed` signal: the author hears of it, unless they
    endorsed it themselves."""
    if resource.author_id is None or resource.author_id == endorser.pk:
        return
    try:
        author = get_user_model().objects.filter(pk=resource.author_id, is_active=True).first()
        if author is None:
            return
        with transaction.atomic():
            notify(
                recipient=author,
                kind=Kind.ENDORSEMENT,
                text=f"{endorser.name} recommended your resource {_quoted(resource.title)}",
                url=resource.get_absolute_url(),
                actor=endorser,
                resource=resource,
            )
    except Exception:  # sent after the endorsement committed: a failure here must not undo it
        logger.exception("Could not notify the author of resource %s", resource.pk)


# The inbox.


def inbox(person) -> QuerySet:
    """The person's notifications, newest first (the text and url are stored: no joins)."""
    return Notification.objects.filter(recipient_id=person.pk).order_by("-created_at", "-pk")


def notification_for(person, pk: int) -> Notification | None:
    return Notification.objects.filter(recipient_id=person.pk, pk=pk).first()


def notification_mark_read(*, notification: Notification) -> None:
    with transaction.atomic():
        updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if updated:
            recipient_id = notification.recipient_id
            transaction.on_commit(lambda: ring_bell(recipient_id))


def notifications_mark_all_read(*, person) -> int:
    with transaction.atomic():
        updated = Notification.objects.filter(recipient_id=person.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        person_id = person.pk
        transaction.on_commit(lambda: ring_bell(person_id))
    person.__dict__.pop("unread_notifications", None)  # counted when they were loaded
    return updated


# Preferences.


def preferences_for(person) -> NotificationPreferences:
    """The person's email preferences (both on until they choose otherwise); not saved."""
    preferences = NotificationPreferences.objects.filter(person_id=person.pk).first()
    return preferences or NotificationPreferences(person_id=person.pk)


def preferences_update(
    *, person, email_mentions: bool | None = None, email_digest: bool | None = None
) -> NotificationPreferences:
    with transaction.atomic():
        preferences, _ = NotificationPreferences.objects.get_or_create(person_id=person.pk)
        changed = []
        if email_mentions is not None:
            preferences.email_mentions = email_mentions
            changed.append("email_mentions")
        if email_digest is not None:
            preferences.email_digest = email_digest
            changed.append("email_digest")
        if changed:
            preferences.save(update_fields=changed)
    return preferences


# One-click unsubscribe from emails: a signed token naming the person and the email.

UNSUBSCRIBE_SALT = "forums.notifications.unsubscribe"
EMAIL_PREFERENCE = {"mentions": "email_mentions", "digest": "email_digest"}


def unsubscribe_token(*, person_id: int, email: str) -> str:
    if email not in EMAIL_PREFERENCE:
        raise ValueError(f"Unknown email: {email}")
    return signing.dumps({"person": person_id, "email": email}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_target(token: str) -> tuple[int, str] | None:
    """The (person id, email) a token names, or None for a bad or tampered token."""
    try:
        content = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(content, dict):
        return None
    person_id, email = content.get("person"), content.get("email")
    if isinstance(person_id, bool) or not isinstance(person_id, int):
        return None
    if email not in EMAIL_PREFERENCE:
        return None
    return person_id, email


def unsubscribe(*, person_id: int, email: str) -> bool:
    """Stop one kind of email for the person; answers whether the person exists."""
    if not get_user_model().objects.filter(pk=person_id).exists():
        return False
    person = get_user_model()(pk=person_id)
    preferences_update(person=person, **{EMAIL_PREFERENCE[email]: False})
    return True

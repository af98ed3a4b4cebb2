"""Emails about forums, sent in the background: a mention soon after it happens, and a daily
digest of followed threads. Both are idempotent: each claims its work in the database
(`emailed_at`, `digest_sent_at`) before sending, so a task run twice sends once."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django_tasks import task

from forums.models import Notification, NotificationPreferences, Post
from forums.notifications import unsubscribe_token
from forums.permissions import can_read_forum
from forums.selectors import post_address

logger = logging.getLogger(__name__)

# A first digest covers the last day; later ones everything since the one before.
DIGEST_WINDOW = timedelta(days=1)
EXCERPT_CHARACTERS = 280


def trust_name() -> str:
    from cms.models import TrustBranding

    try:
        return TrustBranding.load().trust_name or settings.TRUST_NAME
    except Exception:  # no site or settings row yet (a fresh installation)
        return settings.TRUST_NAME


def absolute(url: str) -> str:
    return f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{url}"


def _excerpt(post: Post) -> str:
    return Truncator(" ".join(post.body.split())).chars(EXCERPT_CHARACTERS)


def _send(*, person, email: str, subject: str, template: str, context: dict) -> None:
    """One email in plain text and HTML, with RFC 8058 one-click unsubscribe headers."""
    unsubscribe_url = absolute(
        reverse(
            "forums:unsubscribe",
            kwargs={"token": unsubscribe_token(person_id=person.pk, email=email)},
        )
    )
    context = {
        **context,
        "person": person,
        "trust_name": trust_name(),
        "unsubscribe_url": unsubscribe_url,
        "settings_url": absolute(reverse("forums:notification_settings")),
    }
    message = EmailMultiAlternatives(
        subject=f"{subject} – {context['trust_name']}",
        body=render_to_string(f"forums/email/{template}.txt", context),
        to=[person.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string(f"forums/email/{template}.html", context), "text/html"
    )
    message.send()


# Mentions.


def mention_email(notification_id: int) -> bool:
    """Email the person a mention names, once; answers whether an email was sent."""
    notification = (
        Notification.objects.select_related("recipient", "post__author", "thread")
        .filter(pk=notification_id, kind=Notification.Kind.MENTION)
        .first()
    )
    if notification is None or notification.emailed_at is not None:
        return False
    person, post = notification.recipient, notification.post
    if not person.is_active or post is None or not post.is_visible:
        return False
    preferences = NotificationPreferences.objects.filter(person=person).first()
    if preferences is not None and not preferences.email_mentions:
        return False
    # Claimed first, so that two workers running this task send one email between them.
    claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    author = "Someone" if post.is_anonymous else post.author.name
    try:
        _send(
            person=person,
            email="mentions",
            subject=f"{author} mentioned you in “{notification.thread.title}”",
            template="mention",
            context={
                "author": author,
                "thread_title": notification.thread.title,
                "excerpt": _excerpt(post),
                "post_url": absolute(notification.url),
            },
        )
    except Exception:
        # Unclaimed again, so a retry can send it.
        Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
        raise
    return True


@task()
def send_mention_email(notification_id: int) -> bool:
    return mention_email(notification_id)


# The daily digest.


@dataclass(frozen=True)
class DigestThread:
    title: str
    url: str
    new_posts: int
    latest_author: str
    latest_excerpt: str


def digest_threads(person, *, since: datetime, until: datetime) -> list[DigestThread]:
    """Followed threads the person may read with posts by others in (since, until]."""
    new_posts = Post.objects.filter(
        thread__follows__person=person,
        created_at__gt=since,
        created_at__lte=until,
        deleted_at__isnull=True,
        hidden_at__isnull=True,
    ).exclude(author=person)
    counts = {
        row["thread_id"]: row
        for row in new_posts.values("thread_id").annotate(new=Count("pk"), latest=Max("pk"))
    }
    if not counts:
        return []
    latest = Post.objects.select_related("author", "thread__forum__network").filter(
        pk__in=[row["latest"] for row in counts.values()]
    )
    threads = []
    for post in sorted(latest, key=lambda post: post.pk, reverse=True):
        if not can_read_forum(person, post.thread.forum):
            continue
        threads.append(
            DigestThread(
                title=post.thread.title,
                url=absolute(post_address(post)),
                new_posts=counts[post.thread_id]["new"],
                latest_author="Anonymous" if post.is_anonymous else post.author.name,
                latest_excerpt=_excerpt(post),
            )
        )
    return threads


def digest_email(person_id: int, *, now: datetime | None = None) -> bool:
    """Send the person's digest if they want one and something is new; answers whether sent."""
    now = now or timezone.now()
    person = get_user_model().objects.filter(pk=person_id, is_active=True).first()
    if person is None:
        return False
    preferences, _ = NotificationPreferences.objects.get_or_create(person=person)
    if not preferences.email_digest:
        return False
    last_sent = preferences.digest_sent_at
    since = last_sent or now - DIGEST_WINDOW
    if since >= now:
        return False
    threads = digest_threads(person, since=since, until=now)
    if not threads:
        return False
    # Compare-and-set on the last send, so two runs at once send one digest.
    unchanged = {"digest_sent_at": last_sent} if last_sent else {"digest_sent_at__isnull": True}
    claimed = NotificationPreferences.objects.filter(pk=preferences.pk, **unchanged)
    if not claimed.update(digest_sent_at=now):
        return False
    total = sum(thread.new_posts for thread in threads)
    try:
        _send(
            person=person,
            email="digest",
            subject=f"{total} new post{'s' if total != 1 else ''} in threads you follow",
            template="digest",
            context={"threads": threads, "total": total, "since": since},
        )
    except Exception:
        NotificationPreferences.objects.filter(pk=preferences.pk).update(digest_sent_at=last_sent)
        raise
    return True


def digest_candidates(now: datetime) -> list[int]:
    """People who follow a thread that has moved on within the longest window that matters:
    a cheap first cut, each person is then checked exactly by `digest_email`."""
    oldest = (
        NotificationPreferences.objects.filter(email_digest=True, digest_sent_at__isnull=False)
        .order_by("digest_sent_at")
        .values_list("digest_sent_at", flat=True)
        .first()
    )
    since = min(oldest, now - DIGEST_WINDOW) if oldest else now - DIGEST_WINDOW
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            followed_threads__thread__last_activity_at__gt=since,
        )
        .exclude(notification_preferences__email_digest=False)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def send_all_digests(*, now: datetime | None = None) -> int:
    """Every digest due now; answers how many were sent. A failure for one person is logged
    and the rest still go."""
    now = now or timezone.now()
    sent = 0
    for person_id in digest_candidates(now):
        try:
            sent += digest_email(person_id, now=now)
        except Exception:
            logger.exception("Could not send the forum digest to person %s", person_id)
    return sent


@task()
def send_digests() -> int:
    return send_all_digests()

"""Every safeguarding write: raising a concern, the leads' actions on it, and keeping the
words of a post hidden because it identified a pupil.

Each write owns its transaction and its audit entry. Audit entries, notifications and emails
refer to concerns by id only: what happened, who is involved and the leads' notes stay on the
concern, which only the leads of its school and the trust's leads read.
"""

import logging

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record as audit_record
from forums import notifications
from forums.models import Notification, Post, PostRevision
from forums.selectors import post_by_id
from forums.services import ForumActionRefused
from people.models import School
from people.roles import Role
from safeguarding import selectors
from safeguarding.models import (
    NOTE_MAX_LENGTH,
    WHAT_HAPPENED_MAX_LENGTH,
    WHO_INVOLVED_MAX_LENGTH,
    Concern,
    ConcernNote,
    PreservedPost,
)

logger = logging.getLogger(__name__)


class SafeguardingRefused(ForumActionRefused):
    """A clear refusal the page shows as it is."""


# Audit actions (ids only in their detail, never the concern's words).
CONCERN_RAISED = AuditEntry.Action.CONCERN_RAISED
CONCERN_VIEWED = AuditEntry.Action.CONCERN_VIEWED
CONCERNS_LISTED = AuditEntry.Action.CONCERNS_LISTED
CONCERN_ACKNOWLEDGED = AuditEntry.Action.CONCERN_ACKNOWLEDGED
CONCERN_NOTE_ADDED = AuditEntry.Action.CONCERN_NOTE_ADDED
CONCERN_CLOSED = AuditEntry.Action.CONCERN_CLOSED
PRESERVED_POST_VIEWED = AuditEntry.Action.PRESERVED_POST_VIEWED

NEW_CONCERN_TEXT = "A new safeguarding concern was raised. Open it to read it."
NEW_CONCERN_EMAIL_SUBJECT = "A new safeguarding concern"
NEW_CONCERN_EMAIL_BODY = (
    "A new safeguarding concern was raised on Staffroom.\n\n"
    "Sign in to read it:\n{url}\n\n"
    "This email holds no details of the concern on purpose."
)
NOBODY_TO_TELL_TEXT = (
    "A safeguarding concern was raised for {school}, but nobody leads safeguarding for it or "
    "for the trust in Staffroom. Name the leads now (Safeguarding leads in the admin)."
)


def _clean_text(value: str | None, *, limit: int, what: str, required: bool = True) -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise SafeguardingRefused(f"Say {what}.")
    if len(value) > limit:
        raise SafeguardingRefused(f"Keep {what} to {limit:,} characters; this has {len(value):,}.")
    return value


def _email_on_commit(people: list) -> None:
    from forums.tasks import absolute

    url = absolute(reverse("safeguarding:concerns"))
    addresses = [person.email for person in people if person.email]

    def send() -> None:
        for address in addresses:
            try:
                send_mail(
                    NEW_CONCERN_EMAIL_SUBJECT,
                    NEW_CONCERN_EMAIL_BODY.format(url=url),
                    None,
                    [address],
                )
            except Exception:  # an email failing must not undo or hide the concern
                logger.exception("Could not email a safeguarding lead about a new concern")

    transaction.on_commit(send)


def _trust_admins() -> list:
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.TRUST_ADMIN.value)
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def concern_raise(
    *,
    reporter,
    school: School,
    what_happened: str,
    who_involved: str,
    post_id: int | None = None,
) -> tuple[Concern, bool]:
    """Save a concern and tell only its school's leads and the trust's leads. Returns the
    concern and whether anyone who can read it was told."""
    if not getattr(reporter, "is_authenticated", False) or not reporter.is_active:
        raise SafeguardingRefused("Sign in to raise a safeguarding concern.")
    what_happened = _clean_text(what_happened, limit=WHAT_HAPPENED_MAX_LENGTH, what="what happened")
    who_involved = _clean_text(who_involved, limit=WHO_INVOLVED_MAX_LENGTH, what="who is involved")
    post = None
    if post_id is not None:
        post = post_by_id(reporter, post_id)
        if post is None:
            raise SafeguardingRefused(
                "That post cannot be found. Leave the post out and describe it instead."
            )
    concern = Concern.objects.create(
        reporter=reporter,
        school=school,
        what_happened=what_happened,
        who_involved=who_involved,
        post=post,
    )
    audit_record(
        actor=reporter,
        action=CONCERN_RAISED,
        post=post,
        detail={"concern": concern.pk, "school": school.pk},
    )
    leads = selectors.recipients_for(school.pk)
    url = reverse("safeguarding:concern", kwargs={"pk": concern.pk})
    for lead in leads:
        notifications.notify(
            recipient=lead, kind=Notification.Kind.MODERATION, text=NEW_CONCERN_TEXT, url=url
        )
    if leads:
        _email_on_commit(leads)
    else:
        for admin in _trust_admins():
            notifications.notify(
                recipient=admin,
                kind=Notification.Kind.MODERATION,
                text=NOBODY_TO_TELL_TEXT.format(school=school.name),
                url=reverse("wagtailadmin_home"),
            )
    return concern, bool(leads)


def _require_lead(person, concern: Concern) -> Concern:
    found = selectors.concern_for_lead(person, concern.pk)
    if found is None:
        raise SafeguardingRefused("Only the safeguarding leads for this school can do that.")
    return found


def _locked(concern: Concern) -> Concern:
    return Concern.objects.select_for_update().get(pk=concern.pk)


def _tell_reporter(concern: Concern, text: str) -> None:
    if concern.reporter_id is None:
        return
    notifications.notify(
        recipient=concern.reporter,
        kind=Notification.Kind.MODERATION,
        text=text,
        url=reverse("safeguarding:my_concerns"),
    )


def concern_viewed(*, concern: Concern, lead) -> None:
    _require_lead(lead, concern)
    audit_record(actor=lead, action=CONCERN_VIEWED, detail={"concern": concern.pk})


def concerns_listed(*, lead, concern_ids: list[int]) -> None:
    audit_record(actor=lead, action=CONCERNS_LISTED, detail={"concerns": concern_ids})


@transaction.atomic
def concern_acknowledge(*, concern: Concern, lead) -> Concern:
    _require_lead(lead, concern)
    concern = _locked(concern)
    if concern.status != Concern.Status.OPEN:
        raise SafeguardingRefused("This concern has already been acknowledged.")
    concern.status = Concern.Status.ACKNOWLEDGED
    concern.acknowledged_at = timezone.now()
    concern.acknowledged_by = lead
    concern.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    audit_record(actor=lead, action=CONCERN_ACKNOWLEDGED, detail={"concern": concern.pk})
    _tell_reporter(concern, "A safeguarding lead has acknowledged a concern you raised.")
    return concern


@transaction.atomic
def concern_note_add(*, concern: Concern, lead, text: str) -> ConcernNote:
    _require_lead(lead, concern)
    text = _clean_text(text, limit=NOTE_MAX_LENGTH, what="what the note says")
    note = ConcernNote.objects.create(concern=concern, author=lead, text=text)
    audit_record(
        actor=lead, action=CONCERN_NOTE_ADDED, detail={"concern": concern.pk, "note": note.pk}
    )
    return note


@transaction.atomic
def concern_close(*, concern: Concern, lead) -> Concern:
    _require_lead(lead, concern)
    concern = _locked(concern)
    if concern.status == Concern.Status.CLOSED:
        raise SafeguardingRefused("This concern is already closed.")
    now = timezone.now()
    if concern.acknowledged_at is None:
        concern.acknowledged_at, concern.acknowledged_by = now, lead
    concern.status = Concern.Status.CLOSED
    concern.closed_at = now
    concern.closed_by = lead
    concern.save(
        update_fields=["status", "acknowledged_at", "acknowledged_by", "closed_at", "closed_by"]
    )
    audit_record(actor=lead, action=CONCERN_CLOSED, detail={"concern": concern.pk})
    _tell_reporter(concern, "A safeguarding lead has closed a concern you raised.")
    return concern


# Posts that identify a pupil: forums.moderation.post_hide and post_restore call these inside
# their transaction, on the post they hold locked.


def can_hide_identifying(person, post: Post) -> bool:
    """Safeguarding leads may hide a post they can read, or one a concern they read names."""
    if not selectors.is_safeguarding_lead(person):
        return False
    if post_by_id(person, post.pk) is not None:
        return True
    return selectors.concerns_for_lead(person).filter(post_id=post.pk).exists()


def can_restore_identifying(person, preserved: PreservedPost) -> bool:
    return selectors.is_safeguarding_lead(person) and selectors.can_read_preservation(
        person, preserved
    )


def post_preserve(*, post: Post, hidden_by) -> PreservedPost:
    """Move the post's words and edit history into a preserved record and leave the post
    empty, so no page, fragment, email, quote or index built from it can show them."""
    earlier = [
        {"body": revision.body, "replaced_at": revision.replaced_at.isoformat()}
        for revision in PostRevision.objects.filter(post=post).order_by("-replaced_at", "-pk")
    ]
    preserved = PreservedPost.objects.create(
        post=post,
        body=post.body,
        body_html=post.body_html,
        earlier_versions=earlier,
        hidden_by=hidden_by,
    )
    PostRevision.objects.filter(post=post).delete()
    post.body = ""
    post.body_html = ""
    return preserved


def post_unpreserve(*, post: Post, preserved: PreservedPost, restored_by) -> PreservedPost:
    """Put the preserved words back into the post (the caller saves it)."""
    from datetime import datetime

    post.body = preserved.body
    post.body_html = preserved.body_html
    PostRevision.objects.bulk_create(
        [
            PostRevision(
                post=post,
                body=version["body"],
                replaced_at=datetime.fromisoformat(version["replaced_at"]),
            )
            for version in preserved.earlier_versions
        ]
    )
    preserved.restored_at = timezone.now()
    preserved.restored_by = restored_by
    preserved.save(update_fields=["restored_at", "restored_by"])
    return preserved


def preserved_post_viewed(*, preserved: PreservedPost, lead) -> None:
    if not selectors.is_safeguarding_lead(lead) or not selectors.can_read_preservation(
        lead, preserved
    ):
        raise SafeguardingRefused("Only the safeguarding leads can read a preserved post.")
    audit_record(
        actor=lead,
        action=PRESERVED_POST_VIEWED,
        post=preserved.post,
        detail={"preserved": preserved.pk},
    )

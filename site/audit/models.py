"""The trust's one audit log: sign-ins, role changes, moderation, reports, looks at anonymous
authors and deletions. Append-only: the database itself refuses UPDATE and DELETE on the table
(migration 0003_append_only).

Every reference is an id without a database constraint, so deleting a post, a thread or a
person still works and the entry keeps the id. People are referred to by id only, never by
name or email in free text: erasing someone leaves the entry with a pseudonymous id.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


def _reference(to: str, **kwargs) -> models.ForeignKey:
    return models.ForeignKey(
        to,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        **kwargs,
    )


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        # Moderation and safeguarding (forums.moderation).
        HIDE = "hide", "Hid a post"
        RESTORE = "restore", "Restored a post"
        LOCK = "lock", "Locked a thread"
        UNLOCK = "unlock", "Unlocked a thread"
        PIN = "pin", "Pinned a thread"
        UNPIN = "unpin", "Unpinned a thread"
        MOVE = "move", "Moved a thread"
        SUSPEND = "suspend", "Suspended someone from posting"
        LIFT_SUSPENSION = "lift_suspension", "Lifted a suspension"
        DISMISS_REPORT = "dismiss_report", "Dismissed a report"
        REVEAL_AUTHOR = "reveal_author", "Saw the author of an anonymous post"
        REMOVE_POST = "remove_post", "Removed someone else's post"
        REPORT_MADE = "report_made", "Reported a post"
        # Deletions.
        POST_DELETED = "post_deleted", "Removed their own post"
        POST_ERASED = "post_erased", "Deleted a post from the database"
        THREAD_DELETED = "thread_deleted", "Deleted a thread"
        RESOURCE_DELETED = "resource_deleted", "Deleted a resource"
        FILE_DELETED = "file_deleted", "Deleted a resource file"
        PERSON_DELETED = "person_deleted", "Deleted an account"
        # Signing in (people).
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Failed to sign in with a password"
        SIGN_IN_REFUSED = "sign_in_refused", "Refused sign-in through an identity provider"
        LOCKED_OUT = "locked_out", "Locked out after too many failed sign-ins"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Asked for a password reset"
        # Roles and access (people).
        ROLE_GRANTED = "role_granted", "Given a role"
        ROLE_REMOVED = "role_removed", "Role taken away"
        PERMISSION_GRANTED = "permission_granted", "Given a permission directly"
        PERMISSION_REMOVED = "permission_removed", "Direct permission taken away"
        ACCOUNT_DEACTIVATED = "account_deactivated", "Account switched off"
        ACCOUNT_REACTIVATED = "account_reactivated", "Account switched back on"
        # Data protection (people.subject_access, people.erasure).
        SUBJECT_ACCESS = "subject_access", "Downloaded a person's data"
        PERSON_ERASED = "person_erased", "Erased a leaver's personal data"
        # Safeguarding concerns (safeguarding.services): ids only, never their words.
        CONCERN_RAISED = "concern_raised", "Raised a safeguarding concern"
        CONCERN_VIEWED = "concern_viewed", "Read a safeguarding concern"
        CONCERNS_LISTED = "concerns_listed", "Listed safeguarding concerns"
        CONCERN_ACKNOWLEDGED = "concern_acknowledged", "Acknowledged a safeguarding concern"
        CONCERN_NOTE_ADDED = "concern_note_added", "Added a note to a safeguarding concern"
        CONCERN_CLOSED = "concern_closed", "Closed a safeguarding concern"
        PRESERVED_POST_VIEWED = (
            "preserved_post_viewed",
            "Read a post hidden because it identified a pupil",
        )

    action = models.CharField(max_length=40, choices=Action.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = _reference(
        settings.AUTH_USER_MODEL,
        related_name="audit_entries",
        help_text="Who did it; empty for a failed sign-in to no known account.",
    )
    subject = _reference(
        settings.AUTH_USER_MODEL,
        related_name="+",
        help_text="The person acted upon (the author, the suspended person, the new role holder).",
    )
    post = _reference("forums.Post", related_name="+")
    thread = _reference("forums.Thread", related_name="+")
    report = _reference("forums.Report", related_name="+")
    address = models.GenericIPAddressField(null=True, blank=True)
    reason = models.TextField(max_length=2000, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "audit_entry"
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["action", "-created_at"], name="audit_by_action")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {self.created_at:%d %b %Y %H:%M}"

"""Safeguarding: who the designated safeguarding leads are, the concerns staff raise with
them, and the words of posts hidden because they identified a pupil.

Concerns never go into a thread, a feed, search or the audit log's text: only the leads of
the concern's school and the trust's safeguarding leads read them.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

WHAT_HAPPENED_MAX_LENGTH = 5000
WHO_INVOLVED_MAX_LENGTH = 1000
NOTE_MAX_LENGTH = 5000


class SafeguardingLead(models.Model):
    """A school's designated safeguarding lead or deputy, or the trust's safeguarding lead,
    who reads concerns from every school."""

    class Role(models.TextChoices):
        DESIGNATED = "designated", "Designated safeguarding lead"
        DEPUTY = "deputy", "Deputy designated safeguarding lead"
        TRUST = "trust", "Trust safeguarding lead"

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="safeguarding_roles",
        verbose_name="member of staff",
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    school = models.ForeignKey(
        "people.School",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="safeguarding_leads",
        help_text="The school they lead safeguarding for. Leave empty for the trust lead.",
    )

    class Meta:
        ordering = ["school__name", "role", "person__last_name"]
        verbose_name = "safeguarding lead"
        constraints = [
            models.UniqueConstraint(
                fields=["person", "school"], name="one_safeguarding_role_per_school"
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(school__isnull=True),
                name="one_trust_safeguarding_role",
            ),
            models.CheckConstraint(
                condition=(models.Q(role="trust") & models.Q(school__isnull=True))
                | (~models.Q(role="trust") & models.Q(school__isnull=False)),
                name="trust_lead_has_no_school",
            ),
        ]

    def __str__(self) -> str:
        where = self.school.name if self.school_id else "the trust"
        return f"{self.person} — {self.get_role_display()} ({where})"

    def clean(self) -> None:
        super().clean()
        if self.role == self.Role.TRUST and self.school_id:
            raise ValidationError({"school": "The trust safeguarding lead has no school."})
        if self.role and self.role != self.Role.TRUST and not self.school_id:
            raise ValidationError({"school": "Choose the school they lead safeguarding for."})


class Concern(models.Model):
    """A safeguarding concern raised by a member of staff."""

    class Status(models.TextChoices):
        OPEN = "open", "Sent to the safeguarding leads"
        ACKNOWLEDGED = "acknowledged", "Acknowledged by a safeguarding lead"
        CLOSED = "closed", "Closed by a safeguarding lead"

    # Kept when the reporter's account goes: the record belongs to the school.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="safeguarding_concerns",
    )
    school = models.ForeignKey(
        "people.School", on_delete=models.PROTECT, related_name="safeguarding_concerns"
    )
    what_happened = models.TextField(max_length=WHAT_HAPPENED_MAX_LENGTH)
    who_involved = models.TextField(max_length=WHO_INVOLVED_MAX_LENGTH)
    post = models.ForeignKey(
        "forums.Post",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="safeguarding_concerns",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "safeguarding concern"
        indexes = [models.Index(fields=["school", "status", "-created_at"], name="concern_queue")]

    def __str__(self) -> str:
        # Never the words: this shows in admin lists and logs.
        return f"Safeguarding concern {self.pk}"


class ConcernNote(models.Model):
    """A safeguarding lead's note on a concern; the reporter never sees these."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Note {self.pk} on safeguarding concern {self.concern_id}"


class PreservedPost(models.Model):
    """The words of a post hidden because it identified a pupil, taken out of the post (and
    its edit history) so that only the safeguarding leads can read them."""

    post = models.ForeignKey(
        "forums.Post", null=True, on_delete=models.SET_NULL, related_name="preservations"
    )
    body = models.TextField()
    body_html = models.TextField()
    # The post's earlier versions: [{"body": ..., "replaced_at": iso datetime}], newest first.
    earlier_versions = models.JSONField(default=list, blank=True)
    hidden_at = models.DateTimeField(default=timezone.now)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-hidden_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["post"],
                condition=models.Q(restored_at__isnull=True),
                name="one_preservation_per_hidden_post",
            )
        ]

    def __str__(self) -> str:
        return f"Preserved text of post {self.post_id}"

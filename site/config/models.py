from django.conf import settings
from django.db import models
from django.utils import timezone


class CompletedSubmission(models.Model):
    """A form that changed something, remembered by the key the form carried. Sending the same
    form again (a retry after the connection dropped, a second click) changes nothing more and
    lands on the same page as the first time."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # What the form did and to what, e.g. "reply:42": a key only counts for the same thing.
    purpose = models.CharField(max_length=60)
    key = models.UUIDField()
    # A digest of what was sent: the same key with other words (a form brought back with the
    # browser's Back button and written again) is a new submission, not a repeat.
    fingerprint = models.CharField(max_length=64)
    result_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "purpose", "key", "fingerprint"],
                name="completed_submission_once",
            )
        ]
        indexes = [models.Index(fields=["person", "created_at"], name="completed_submission_age")]

    def __str__(self) -> str:
        return f"{self.purpose} by {self.person_id} ({self.key})"

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from networks.curriculum import Phase


class Subject(models.Model):
    """A subject staff teach; the national curriculum subjects to begin with, editable by
    trust admins."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.name)
        super().save(*args, **kwargs)


class Network(models.Model):
    """Staff from every school who teach or support the same thing: a subject network, or one
    without a subject such as SEND and inclusion, early years or wellbeing."""

    class Visibility(models.TextChoices):
        OPEN = "open", "Open to all staff"
        PRIVATE = "private", "Private: members only"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    subject = models.ForeignKey(
        Subject, null=True, blank=True, on_delete=models.SET_NULL, related_name="networks"
    )
    description = models.TextField(blank=True)
    phases = models.JSONField(default=list, blank=True, help_text="The phases it covers.")
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.OPEN
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="networks"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:120]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("networks:detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        chosen = set(self.phases or [])
        if unknown := chosen - set(Phase.values):
            raise ValidationError({"phases": f"Unknown phase: {', '.join(sorted(unknown))}."})
        self.phases = [phase for phase in Phase.values if phase in chosen]

    @property
    def is_private(self) -> bool:
        return self.visibility == self.Visibility.PRIVATE

    @property
    def phase_labels(self) -> list[str]:
        return [Phase(phase).label for phase in self.phases if phase in Phase.values]


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        LEAD = "lead", "Lead"

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "person"], name="one_membership_each")
        ]
        indexes = [models.Index(fields=["person", "network"])]

    def __str__(self) -> str:
        return f"{self.person} in {self.network} ({self.get_role_display()})"

    @property
    def is_lead(self) -> bool:
        return self.role == self.Role.LEAD


class JoinRequest(models.Model):
    """A request to join a private network, decided by one of its leads."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a lead"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="join_requests")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests"
    )
    message = models.TextField(blank=True, max_length=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "person"],
                condition=models.Q(status="pending"),
                name="one_pending_request_each",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} asks to join {self.network}"

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from networks.curriculum import Phase


class School(models.Model):
    class Phase(models.TextChoices):
        PRIMARY = "primary", "Primary"
        SECONDARY = "secondary", "Secondary"
        ALL_THROUGH = "all_through", "All-through"
        SPECIAL = "special", "Special"
        ALTERNATIVE_PROVISION = "alternative_provision", "Alternative provision"

    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=150, unique=True)
    urn = models.CharField(
        "URN",
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^\d{6}$", "A URN is the school's six-digit number.")],
        help_text="The school's unique reference number, from Get Information about Schools.",
    )
    phase = models.CharField(max_length=30, choices=Phase.choices)
    lowest_age = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2), MaxValueValidator(19)]
    )
    highest_age = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2), MaxValueValidator(25)]
    )
    local_authority = models.CharField(max_length=100, blank=True)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    website = models.URLField(blank=True)
    headteacher = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lowest_age__lte=models.F("highest_age")),
                name="school_age_range_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:150]
        super().save(*args, **kwargs)

    @property
    def age_range(self) -> str:
        return f"{self.lowest_age}–{self.highest_age}"


class PersonManager(BaseUserManager["Person"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> "Person":
        if not email:
            raise ValueError("A member of staff needs an email address.")
        person = self.model(email=self.normalize_email(email).lower(), **fields)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_user(self, email: str, password: str | None = None, **fields) -> "Person":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "Person":
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str) -> "Person":
        return self.get(email__iexact=username)


class Person(AbstractBaseUser, PermissionsMixin):
    """A member of staff of the trust. Signs in with their email address."""

    email = models.EmailField("email address", unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    display_name = models.CharField(
        max_length=100,
        blank=True,
        help_text="How colleagues see your name, for example ‘Mrs Patel’. "
        "Leave blank to use your full name.",
    )
    job_title = models.CharField(max_length=120, blank=True)
    school = models.ForeignKey(
        School,
        verbose_name="home school",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    subjects_taught = models.ManyToManyField(
        "networks.Subject", blank=True, related_name="teachers"
    )
    phases = models.JSONField(
        default=list,
        blank=True,
        help_text="The phases you teach or support.",
    )
    about = models.TextField("about me", max_length=1000, blank=True)
    is_staff = models.BooleanField(
        "Django admin access",
        default=False,
        help_text="Only trust admins need the Django admin; Wagtail access comes from roles.",
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when a leaver's personal data is erased (people.erasure): the account then stands
    # for "Former member of staff" and their resources are held by their networks.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = "member of staff"
        verbose_name_plural = "staff"
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="person_email_unique_ignoring_case"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.display_name or self.first_name

    def get_absolute_url(self) -> str:
        return reverse("people:profile", kwargs={"pk": self.pk})

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        chosen = set(self.phases or [])
        if unknown := chosen - set(Phase.values):
            raise ValidationError({"phases": f"Unknown phase: {', '.join(sorted(unknown))}."})
        self.phases = [phase for phase in Phase.values if phase in chosen]

    @property
    def phase_labels(self) -> list[str]:
        return [Phase(phase).label for phase in self.phases if phase in Phase.values]


class SignInEvent(models.Model):
    """A sign-in through the trust's identity providers, or one refused: the audit trail of
    who got in and who was turned away (and why), kept apart from the forums' moderation log,
    which records what a person did."""

    class Outcome(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        SIGNED_UP = "signed_up", "First sign-in"
        REFUSED = "refused", "Refused"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    # people.adapters.Refusal's value when refused.
    reason = models.CharField(max_length=40, blank=True)
    provider = models.CharField(max_length=40, blank=True)
    email = models.CharField(max_length=254, blank=True)
    person = models.ForeignKey(
        "Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.email or '-'} ({self.provider or '-'})"

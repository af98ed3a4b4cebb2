from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from taggit.managers import TaggableManager

from networks.curriculum import (
    KeyStage,
    Phase,
    YearGroup,
    key_stages_for,
    phases_for,
    year_bits,
)
from networks.models import Network, Subject
from people.models import School


class Resource(models.Model):
    """A curriculum resource shared in a network: files, a link, or both."""

    class Type(models.TextChoices):
        LESSON_PLAN = "lesson_plan", "Lesson plan"
        SLIDE_DECK = "slide_deck", "Slide deck"
        WORKSHEET = "worksheet", "Worksheet"
        ASSESSMENT = "assessment", "Assessment"
        SCHEME_OF_WORK = "scheme_of_work", "Scheme of work"
        KNOWLEDGE_ORGANISER = "knowledge_organiser", "Knowledge organiser"
        VIDEO = "video", "Video"
        LINK = "link", "Link"
        OTHER = "other", "Other"

    class Scope(models.TextChoices):
        TRUST = "trust", "Everyone in the trust"
        NETWORK = "network", "Network members only"

    class Licence(models.TextChoices):
        TRUST = "trust", "For use within the trust"
        OGL = "ogl", "Open Government Licence v3.0"
        CC_BY = "cc_by", "Creative Commons Attribution 4.0 (CC BY)"
        CC_BY_SA = "cc_by_sa", "Creative Commons Attribution-ShareAlike 4.0 (CC BY-SA)"
        CC_BY_NC = "cc_by_nc", "Creative Commons Attribution-NonCommercial 4.0 (CC BY-NC)"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True, max_length=20_000, help_text="Markdown.")
    notes_html = models.TextField(blank=True, editable=False)
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="resources")
    subject = models.ForeignKey(
        Subject, null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    year_groups = models.JSONField(default=list)
    year_bits = models.PositiveIntegerField(default=0, editable=False, db_index=True)
    resource_type = models.CharField(max_length=30, choices=Type.choices)
    link_url = models.URLField("link", max_length=500, blank=True)
    tags = TaggableManager(blank=True)
    principles = models.ManyToManyField("cms.PrinciplePage", blank=True, related_name="resources")
    shared_focus = models.BooleanField(
        "supports the shared focus", default=False, help_text="The trust's focus for the year."
    )
    send_notes = models.TextField("SEND and inclusion notes", blank=True, max_length=5000)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.TRUST)
    licence = models.CharField(max_length=10, choices=Licence.choices, default=Licence.TRUST)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="resources"
    )
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    adapted_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="adaptations"
    )
    endorsed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    endorsed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    download_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="resource_browse"),
            models.Index(fields=["network", "status", "-published_at"], name="resource_network"),
            models.Index(fields=["subject", "status"], name="resource_subject"),
            models.Index(fields=["resource_type", "status"], name="resource_type_status"),
            models.Index(fields=["school", "status"], name="resource_school"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.title)[:200] or "resource"
        self.year_bits = year_bits(self.year_groups)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("resources:detail", kwargs={"pk": self.pk, "slug": self.slug})

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not (self.title or "").strip():
            errors["title"] = "Give the resource a title."
        chosen = set(self.year_groups or [])
        if unknown := chosen - set(YearGroup.values):
            errors["year_groups"] = f"Unknown year group: {', '.join(sorted(unknown))}."
        elif not chosen:
            errors["year_groups"] = "Choose at least one year group."
        self.year_groups = [year for year in YearGroup.values if year in chosen]
        if self.resource_type == self.Type.LINK and not self.link_url:
            errors["link_url"] = "A link resource needs the address it links to."
        if self.link_url and not self.link_url.lower().startswith(("https://", "http://")):
            errors["link_url"] = "Links must start with https:// or http://."
        if errors:
            raise ValidationError(errors)

    @property
    def key_stages(self) -> list[str]:
        return key_stages_for(self.year_groups)

    @property
    def phases(self) -> list[str]:
        return phases_for(self.year_groups)

    @property
    def year_group_labels(self) -> list[str]:
        return [YearGroup(year).label for year in self.year_groups]

    @property
    def key_stage_labels(self) -> list[str]:
        return [KeyStage(ks).label for ks in self.key_stages]

    @property
    def phase_labels(self) -> list[str]:
        return [Phase(phase).label for phase in self.phases]

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_endorsed(self) -> bool:
        return self.endorsed_at is not None


class ResourceFile(models.Model):
    """One file of a resource (say, the slides); each upload of it is a new version."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="files")
    title = models.CharField(max_length=200, blank=True)
    current = models.OneToOneField(
        "FileVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.title or (self.current.original_name if self.current else "file")


def version_upload_to(instance: "FileVersion", filename: str) -> str:
    # The stored name is ours, never the uploader's: the original is kept as a field.
    return f"resources/{instance.sha256[:2]}/{instance.sha256}/{filename}"


class FileVersion(models.Model):
    class Extraction(models.TextChoices):
        PENDING = "pending", "Waiting to be read"
        DONE = "done", "Text read"
        FAILED = "failed", "Could not be read"
        NOT_TEXT = "not_text", "No text to read"

    file = models.ForeignKey(ResourceFile, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    blob = models.FileField(upload_to=version_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    content_type = models.CharField("sniffed type", max_length=120)
    change_note = models.CharField("what changed", max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    extracted_text = models.TextField(blank=True)
    extraction = models.CharField(
        max_length=10, choices=Extraction.choices, default=Extraction.PENDING
    )
    extraction_notice = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["file", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["file", "number"], name="one_number_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.original_name} (version {self.number})"


class Bookmark(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks"
    )
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["person", "resource"], name="one_bookmark_each")
        ]

    def __str__(self) -> str:
        return f"{self.person} bookmarked {self.resource}"


class Collection(models.Model):
    """A personal collection of resources, for example ‘Year 6 revision’."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections"
    )
    name = models.CharField(max_length=120)
    resources = models.ManyToManyField(Resource, blank=True, related_name="collections")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="collection_names_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Strand(models.Model):
    """A thread of a network's curriculum map, such as Number or Fractions."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="strands")
    name = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["network", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "name"], name="strand_names_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A unit of work placed on the map at one year group, linking the resources for it."""

    strand = models.ForeignKey(Strand, on_delete=models.CASCADE, related_name="units")
    year_group = models.CharField(max_length=10, choices=YearGroup.choices)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, max_length=2000)
    position = models.PositiveSmallIntegerField(default=0)
    resources = models.ManyToManyField(Resource, blank=True, related_name="units")

    class Meta:
        ordering = ["strand", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_year_group_display()})"

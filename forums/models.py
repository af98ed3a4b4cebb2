from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from networks.models import Network

POST_MAX_LENGTH = 20_000


class Forum(models.Model):
    """A place for threads: trust-wide (staff voice, wellbeing…) or one per network."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    network = models.OneToOneField(
        Network, null=True, blank=True, on_delete=models.CASCADE, related_name="forum"
    )
    central_team_starts_threads = models.BooleanField(
        default=False, help_text="Only the central team may start threads (Announcements)."
    )
    allows_anonymous_posts = models.BooleanField(
        default=False, help_text="Staff may post as ‘Anonymous’ (staff voice)."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:120]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("forums:forum", kwargs={"slug": self.slug})


class Thread(models.Model):
    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    reply_count = models.PositiveIntegerField(default=0)
    pinned = models.BooleanField(default=False)
    locked = models.BooleanField(default=False)
    # Started with an anonymous first post: thread lists then show "Anonymous" too.
    is_anonymous = models.BooleanField(default=False)
    # Bumped (under the thread's row lock) by every change a live reader must see: new posts,
    # edits, removals, hiding and reactions. Each post keeps the revision of its last change,
    # so a reconnecting reader asks for "everything changed since revision N" and misses nothing.
    revision = models.PositiveBigIntegerField(default=0)
    # A resource's discussion, or a principle page's consultation: the same machinery.
    resource = models.OneToOneField(
        "resources.Resource",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="discussion",
    )
    page = models.OneToOneField(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="consultation",
    )

    class Meta:
        ordering = ["-pinned", "-last_activity_at", "-pk"]
        indexes = [
            models.Index(fields=["forum", "-pinned", "-last_activity_at"], name="thread_listing")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forums:thread", kwargs={"pk": self.pk})


class Post(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    body = models.TextField(max_length=POST_MAX_LENGTH)
    body_html = models.TextField(editable=False)
    is_anonymous = models.BooleanField(default=False)
    quoted = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveBigIntegerField(
        default=0, help_text="The thread's revision at the post's last change."
    )

    class Meta:
        ordering = ["thread", "pk"]
        indexes = [
            models.Index(fields=["thread", "id"], name="post_catch_up"),
            models.Index(fields=["thread", "revision"], name="post_changes"),
            models.Index(fields=["author", "-created_at"], name="post_rate_limit"),
        ]

    def __str__(self) -> str:
        return f"Post {self.pk} in {self.thread}"

    def get_absolute_url(self) -> str:
        # Redirects to the page of the thread holding the post (threads are paged).
        return reverse("forums:post", kwargs={"pk": self.pk})

    @property
    def is_visible(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None


class PostRevision(models.Model):
    """The text a post had before an edit: edits are visible to readers."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["post", "-replaced_at"]

    def __str__(self) -> str:
        return f"Earlier text of post {self.post_id}"


class ThreadFollow(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_threads"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "thread"], name="one_follow_each")]

    def __str__(self) -> str:
        return f"{self.person} follows {self.thread}"


class ThreadRead(models.Model):
    """How far a person has read a thread, for unread counts."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_reads"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    last_read_post_id = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "thread"], name="one_read_marker_each")
        ]

    def __str__(self) -> str:
        return f"{self.person} read {self.thread} to post {self.last_read_post_id}"


class Reaction(models.Model):
    class Kind(models.TextChoices):
        THANKS = "thanks", "Thanks"
        AGREE = "agree", "Agree"
        HELPFUL = "helpful", "Helpful"
        CELEBRATE = "celebrate", "Celebrate"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "person", "kind"], name="one_reaction_each")
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_kind_display()} — post {self.post_id}"


class Mention(models.Model):
    """Someone named with @ in a post (kept so edits notify only the newly mentioned)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "person"], name="one_mention_each")]

    def __str__(self) -> str:
        return f"{self.person} mentioned in post {self.post_id}"


class Notification(models.Model):
    class Kind(models.TextChoices):
        MENTION = "mention", "Mention"
        REPLY = "reply", "Reply in a thread you follow"
        ENDORSEMENT = "endorsement", "Endorsement of your resource"
        REPORT_OUTCOME = "report_outcome", "Outcome of a report"
        MODERATION = "moderation", "Moderation of your post"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Null for anonymous posts: a notification never names an anonymous author.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.CASCADE)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE)
    resource = models.ForeignKey(
        "resources.Resource", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(max_length=300, help_text="What happened, in a sentence.")
    url = models.CharField(max_length=500)
    # Replies in one thread fold into one unread notification ("3 new replies in …").
    count = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")
        ]

    def __str__(self) -> str:
        return f"To {self.recipient}: {self.text}"


class NotificationPreferences(models.Model):
    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    email_mentions = models.BooleanField(
        default=True, verbose_name="Email me soon after someone mentions me"
    )
    email_digest = models.BooleanField(
        default=True, verbose_name="Email me a daily digest of threads I follow"
    )
    digest_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "notification preferences"

    def __str__(self) -> str:
        return f"Notification preferences of {self.person}"


class Report(models.Model):
    class Reason(models.TextChoices):
        SAFEGUARDING = "safeguarding", "A safeguarding concern"
        ABUSIVE = "abusive", "Abusive, bullying or discriminatory"
        PERSONAL_DATA = "personal_data", "Shares personal data about pupils or staff"
        SPAM = "spam", "Spam or advertising"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a moderator"
        UPHELD = "upheld", "Upheld: the post was hidden"
        DISMISSED = "dismissed", "Dismissed: the post stays"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome_note = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "-created_at"], name="report_queue")]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"],
                condition=models.Q(status="open"),
                name="one_open_report_per_reporter",
            )
        ]

    def __str__(self) -> str:
        return f"Report of post {self.post_id} by {self.reporter}"


class Suspension(models.Model):
    """Someone may not post or react until `ends_at` (or until lifted)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suspensions"
    )
    reason = models.TextField(max_length=2000)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["person", "ends_at"], name="suspension_current")]

    def __str__(self) -> str:
        return f"{self.person} suspended until {self.ends_at:%d %b %Y %H:%M}"

"""Moderation: reports, the queue, hiding and restoring posts, thread controls, suspensions,
the safeguarding look at an anonymous author, and the audit log of all of it.

Every write owns its transaction and writes its AuditEntry inside it, so an action is never
done without its record; live readers and notified people hear only after commit.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Min, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from audit import selectors as audit_selectors
from audit.models import AuditEntry
from audit.services import record as audit_record
from forums import events, notifications
from forums.models import Forum, Notification, Post, Report, Suspension, Thread
from forums.permissions import (
    can_moderate_forum,
    can_read_forum,
    can_reveal_author,
    is_moderator,
)
from forums.selectors import post_address, readable_forums
from forums.services import ForumActionRefused, announce_post_on_commit, bump_revision
from networks.selectors import led_network_ids
from people.roles import Role, role_names
from safeguarding import selectors as safeguarding_selectors
from safeguarding import services as safeguarding

REASON_MAX_LENGTH = 2000


# Who may do what.


def moderated_forums(person) -> QuerySet[Forum]:
    """Every forum for moderators and the central team; the forums of a lead's networks."""
    if is_moderator(person):
        return Forum.objects.all()
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return Forum.objects.none()
    return readable_forums(person).filter(network_id__in=led_network_ids(person))


def post_for_moderation(person, pk: int) -> Post | None:
    """A post in a forum the person moderates, hidden or not. Moderators act on reports from
    private networks' forums too, even ones they could not otherwise read."""
    return (
        Post.objects.filter(thread__forum__in=moderated_forums(person))
        .select_related("thread", "thread__forum", "thread__forum__network", "author")
        .filter(pk=pk)
        .first()
    )


def thread_for_moderation(person, pk: int) -> Thread | None:
    return (
        Thread.objects.filter(forum__in=moderated_forums(person))
        .select_related("forum", "forum__network", "author")
        .filter(pk=pk)
        .first()
    )


def can_use_queue(person) -> bool:
    return is_moderator(person) or moderated_forums(person).exists()


def can_suspend(person) -> bool:
    """A suspension stops posting everywhere, so it is for moderators, not a network's leads."""
    return is_moderator(person)


def can_read_audit(person) -> bool:
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return False
    return person.is_superuser or Role.TRUST_ADMIN.value in role_names(person)


def _clean_reason(reason: str | None, *, required: bool, what: str) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ForumActionRefused(f"Give a reason for {what}: it is kept in the audit log.")
    if len(reason) > REASON_MAX_LENGTH:
        raise ForumActionRefused(
            f"Reasons can be at most {REASON_MAX_LENGTH:,} characters; this one has "
            f"{len(reason):,}."
        )
    return reason


def _require_moderates(person, forum: Forum) -> None:
    if not can_moderate_forum(person, forum):
        raise ForumActionRefused("Only moderators and the network's leads can do that here.")


def _audit(
    *,
    actor,
    action: str,
    post: Post | None = None,
    thread: Thread | None = None,
    subject=None,
    report: Report | None = None,
    reason: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    detail = dict(detail or {})
    if post is not None and post.is_anonymous:
        # Readers of the log must not learn an anonymous author from it (see audit_rows).
        detail["anonymous"] = True
    return audit_record(
        actor=actor,
        action=action,
        post=post,
        thread=thread,
        subject=subject,
        report=report,
        reason=reason,
        detail=detail,
    )


def _locked_post(post: Post) -> Post:
    return (
        Post.objects.select_for_update(of=("self",))
        .select_related("thread__forum__network", "author")
        .get(pk=post.pk)
    )


def _post_url(post: Post) -> str:
    return post_address(post)


# Reports.


@transaction.atomic
def report_create(*, post: Post, reporter, reason: str, details: str = "") -> Report:
    """Report a post to the moderators: one open report per person per post."""
    post = Post.objects.select_related("thread__forum__network").get(pk=post.pk)
    if not can_read_forum(reporter, post.thread.forum):
        raise ForumActionRefused("You cannot report a post you cannot read.")
    if post.author_id == reporter.pk:
        raise ForumActionRefused(
            "This is your own post: edit or remove it instead of reporting it."
        )
    if not post.is_visible:
        raise ForumActionRefused("This post has already been taken down.")
    if reason not in Report.Reason.values:
        raise ForumActionRefused("Choose why you are reporting this post.")
    details = (details or "").strip()
    if len(details) > REASON_MAX_LENGTH:
        raise ForumActionRefused(f"Details can be at most {REASON_MAX_LENGTH:,} characters.")
    already = "You have already reported this post. A moderator will look at it soon."
    if Report.objects.filter(post=post, reporter=reporter, status=Report.Status.OPEN).exists():
        raise ForumActionRefused(already)
    try:
        with transaction.atomic():
            report = Report.objects.create(
                post=post, reporter=reporter, reason=reason, details=details
            )
    except IntegrityError:  # the same report sent twice at once (a double click)
        raise ForumActionRefused(already) from None
    # The reporter's own words stay on the report, where erasure and moderators reach them.
    _audit(
        actor=reporter,
        action=AuditEntry.Action.REPORT_MADE,
        post=post,
        report=report,
        subject=post.author,
        detail={"reason": reason},
    )
    return report


def _decide_reports(post: Post, *, moderator, status: str, note: str) -> list[Report]:
    reports = list(
        Report.objects.select_for_update()
        .filter(post=post, status=Report.Status.OPEN)
        .select_related("reporter")
        .order_by("pk")
    )
    now = timezone.now()
    for report in reports:
        report.status = status
        report.decided_by = moderator
        report.decided_at = now
        report.outcome_note = note
        report.save(update_fields=["status", "decided_by", "decided_at", "outcome_note"])
    return reports


def _tell_reporters(reports: list[Report], post: Post) -> None:
    """The reporter hears the outcome, never who decided it nor who wrote the post."""
    url = reverse("forums:my_reports")
    title = post.thread.title
    for report in reports:
        if report.status == Report.Status.UPHELD:
            text = f"Your report of a post in “{title}” was upheld: the post has been taken down."
        else:
            text = (
                f"A moderator looked at your report of a post in “{title}” and decided "
                "the post can stay."
            )
        notifications.notify(
            recipient=report.reporter,
            kind=Notification.Kind.REPORT_OUTCOME,
            text=text,
            url=url,
            thread=post.thread,
        )


def _tell_author(post: Post, text: str) -> None:
    notifications.notify(
        recipient=post.author,
        kind=Notification.Kind.MODERATION,
        text=text,
        url=_post_url(post),
        thread=post.thread,
        post=post,
    )


@transaction.atomic
def report_dismiss(*, post: Post, moderator, note: str = "") -> list[Report]:
    """Decide that a reported post stays: its open reports are dismissed, each one audited."""
    post = _locked_post(post)
    _require_moderates(moderator, post.thread.forum)
    note = _clean_reason(note, required=False, what="dismissing")
    reports = _decide_reports(post, moderator=moderator, status=Report.Status.DISMISSED, note=note)
    if not reports:
        raise ForumActionRefused("There are no open reports of this post to dismiss.")
    for report in reports:
        _audit(
            actor=moderator,
            action=AuditEntry.Action.DISMISS_REPORT,
            post=post,
            report=report,
            reason=note,
            detail={"report_reason": report.reason},
        )
    _tell_reporters(reports, post)
    return reports


# Posts.


IDENTIFIES_PUPIL = "Identifies a pupil"


@transaction.atomic
def post_hide(*, post: Post, moderator, reason: str = "", identifies_pupil: bool = False) -> Post:
    """Take a post down: readers see a placeholder (live), its open reports are upheld, the
    reporters and the author are told.

    A post that identifies a pupil is also emptied: its words and edit history move to a
    preserved record only the safeguarding leads read (safeguarding.services), so moderators,
    the author's edit page, quotes, emails and both search indexes lose them too. Safeguarding
    leads may do this as well as moderators; the reason is fixed, so no pupil's name is
    written into the audit log."""
    post = _locked_post(post)
    if identifies_pupil:
        if not (
            can_moderate_forum(moderator, post.thread.forum)
            or safeguarding.can_hide_identifying(moderator, post)
        ):
            raise ForumActionRefused(
                "Only moderators and safeguarding leads can hide a post that identifies a pupil."
            )
        reason = IDENTIFIES_PUPIL
    else:
        _require_moderates(moderator, post.thread.forum)
        reason = _clean_reason(reason, required=True, what="hiding the post")
    if post.deleted_at is not None:
        raise ForumActionRefused("This post has already been removed.")
    if post.hidden_at is not None:
        raise ForumActionRefused("This post is already hidden.")
    post.hidden_at = timezone.now()
    fields = ["hidden_at"]
    detail: dict = {}
    if identifies_pupil:
        preserved = safeguarding.post_preserve(post=post, hidden_by=moderator)
        fields += ["body", "body_html"]
        detail = {"identifies_pupil": True, "preserved": preserved.pk}
    # Before the save, so readers' pages hear first (see announce_post_on_commit).
    announce_post_on_commit(events.POST_UPDATED, post)
    # Saved (not updated) so search's post signal re-indexes the thread in both backends.
    post.save(update_fields=fields)
    bump_revision(post)
    reports = _decide_reports(post, moderator=moderator, status=Report.Status.UPHELD, note=reason)
    _audit(
        actor=moderator,
        action=AuditEntry.Action.HIDE,
        post=post,
        subject=post.author,
        reason=reason,
        detail={"reports": [report.pk for report in reports], **detail},
    )
    _tell_reporters(reports, post)
    if identifies_pupil:
        _tell_author(
            post,
            f"Your post in “{post.thread.title}” was hidden because it identified a pupil. "
            "Please never name pupils in Staffroom; if you are worried about a pupil, speak "
            "to your school's designated safeguarding lead today.",
        )
    else:
        _tell_author(
            post,
            f"A moderator hid your post in “{post.thread.title}”. If you have questions, "
            "speak to your school's designated safeguarding lead.",
        )
    return post


def is_hidden_for_identifying_a_pupil(post: Post) -> bool:
    if post.hidden_at is None:
        return False
    return safeguarding_selectors.active_preservation(post.pk) is not None


@transaction.atomic
def post_restore(*, post: Post, moderator, reason: str) -> Post:
    """Put a hidden post back for every reader (live). A post hidden because it identified a
    pupil comes back only from a safeguarding lead, with its words and edit history."""

    post = _locked_post(post)
    preserved = safeguarding_selectors.active_preservation(post.pk)
    if preserved is not None:
        if not safeguarding.can_restore_identifying(moderator, preserved):
            raise ForumActionRefused(
                "This post was hidden because it identified a pupil: only a safeguarding "
                "lead can restore it."
            )
    else:
        _require_moderates(moderator, post.thread.forum)
    reason = _clean_reason(reason, required=True, what="restoring the post")
    if post.hidden_at is None:
        raise ForumActionRefused("This post is not hidden.")
    if post.deleted_at is not None:
        raise ForumActionRefused("This post has been removed and cannot be restored.")
    post.hidden_at = None
    fields = ["hidden_at"]
    detail: dict = {}
    if preserved is not None:
        safeguarding.post_unpreserve(post=post, preserved=preserved, restored_by=moderator)
        fields += ["body", "body_html"]
        detail = {"identifies_pupil": True, "preserved": preserved.pk}
    announce_post_on_commit(events.POST_UPDATED, post)  # before the save, as in post_hide
    post.save(update_fields=fields)
    bump_revision(post)
    _audit(
        actor=moderator,
        action=AuditEntry.Action.RESTORE,
        post=post,
        subject=post.author,
        reason=reason,
        detail=detail,
    )
    _tell_author(post, f"A moderator restored your post in “{post.thread.title}”.")
    return post


def record_post_removal(*, post: Post, remover) -> None:
    """Called by services.post_delete inside its transaction: every removal is audited, and
    someone removing another person's post is a moderation action upholding its open reports."""
    if post.author_id == remover.pk:
        _audit(actor=remover, action=AuditEntry.Action.POST_DELETED, post=post, subject=remover)
        return
    reports = _decide_reports(post, moderator=remover, status=Report.Status.UPHELD, note="")
    _audit(
        actor=remover,
        action=AuditEntry.Action.REMOVE_POST,
        post=post,
        subject=post.author,
        detail={"reports": [report.pk for report in reports]},
    )
    _tell_reporters(reports, post)
    _tell_author(post, f"A moderator removed your post in “{post.thread.title}”.")


@transaction.atomic
def author_reveal(*, post: Post, moderator, reason: str):
    """Who wrote an anonymous post, for a moderator with a safeguarding reason; every look is
    recorded."""
    post = Post.objects.select_related("author", "thread").get(pk=post.pk)
    if not can_reveal_author(moderator):
        raise ForumActionRefused("Only moderators can see who wrote an anonymous post.")
    if not post.is_anonymous:
        raise ForumActionRefused("This post is not anonymous.")
    reason = _clean_reason(reason, required=True, what="seeing who wrote this post")
    _audit(
        actor=moderator,
        action=AuditEntry.Action.REVEAL_AUTHOR,
        post=post,
        subject=post.author,
        reason=reason,
    )
    return post.author


# Threads.


def _locked_thread(thread: Thread) -> Thread:
    return (
        Thread.objects.select_for_update(of=("self",))
        .select_related("forum__network")
        .get(pk=thread.pk)
    )


def _thread_flag(thread: Thread, *, moderator, field: str, value: bool, reason: str) -> Thread:
    thread = _locked_thread(thread)
    _require_moderates(moderator, thread.forum)
    reason = _clean_reason(reason, required=False, what="this")
    if getattr(thread, field) == value:
        return thread
    setattr(thread, field, value)
    thread.save(update_fields=[field])
    actions = {
        ("locked", True): AuditEntry.Action.LOCK,
        ("locked", False): AuditEntry.Action.UNLOCK,
        ("pinned", True): AuditEntry.Action.PIN,
        ("pinned", False): AuditEntry.Action.UNPIN,
    }
    _audit(actor=moderator, action=actions[(field, value)], thread=thread, reason=reason)
    thread_id = thread.pk
    transaction.on_commit(lambda: events.announce_thread(thread_id))
    return thread


@transaction.atomic
def thread_lock(*, thread: Thread, moderator, locked: bool, reason: str = "") -> Thread:
    return _thread_flag(thread, moderator=moderator, field="locked", value=locked, reason=reason)


@transaction.atomic
def thread_pin(*, thread: Thread, moderator, pinned: bool, reason: str = "") -> Thread:
    return _thread_flag(thread, moderator=moderator, field="pinned", value=pinned, reason=reason)


@transaction.atomic
def thread_move(*, thread: Thread, moderator, forum: Forum, reason: str = "") -> Thread:
    """Move a thread to another forum the moderator also moderates."""
    thread = _locked_thread(thread)
    _require_moderates(moderator, thread.forum)
    forum = Forum.objects.select_related("network").get(pk=forum.pk)
    if not can_moderate_forum(moderator, forum):
        raise ForumActionRefused(f"You cannot move threads into {forum.name}.")
    if forum.pk == thread.forum_id:
        raise ForumActionRefused(f"The thread is already in {forum.name}.")
    if thread.resource_id is not None or thread.page_id is not None:
        raise ForumActionRefused(
            "This is the discussion of a resource or page: it stays with what it discusses."
        )
    reason = _clean_reason(reason, required=False, what="moving the thread")
    source = thread.forum
    thread.forum = forum
    thread.save(update_fields=["forum"])
    _audit(
        actor=moderator,
        action=AuditEntry.Action.MOVE,
        thread=thread,
        reason=reason,
        detail={"from": source.name, "from_id": source.pk, "to": forum.name, "to_id": forum.pk},
    )
    thread_id = thread.pk
    transaction.on_commit(lambda: events.announce_thread(thread_id))
    return thread


# Suspensions.


def current_suspensions() -> QuerySet[Suspension]:
    now = timezone.now()
    return (
        Suspension.objects.filter(starts_at__lte=now, ends_at__gt=now, lifted_at__isnull=True)
        .select_related("person", "created_by")
        .order_by("ends_at", "pk")
    )


@transaction.atomic
def suspension_create(*, person, moderator, ends_at: datetime, reason: str) -> Suspension:
    """Stop someone posting, replying and reacting until `ends_at`."""
    if not can_suspend(moderator):
        raise ForumActionRefused("Only moderators can suspend someone from posting.")
    if person.pk == moderator.pk:
        raise ForumActionRefused("You cannot suspend yourself.")
    reason = _clean_reason(reason, required=True, what="the suspension")
    now = timezone.now()
    if ends_at <= now:
        raise ForumActionRefused("Choose an end in the future.")
    suspension = Suspension.objects.create(
        person=person, reason=reason, starts_at=now, ends_at=ends_at, created_by=moderator
    )
    _audit(
        actor=moderator,
        action=AuditEntry.Action.SUSPEND,
        subject=person,
        reason=reason,
        detail={"suspension": suspension.pk, "ends_at": ends_at.isoformat()},
    )
    until = timezone.localtime(ends_at)
    notifications.notify(
        recipient=person,
        kind=Notification.Kind.MODERATION,
        text=f"A moderator has suspended you from posting until {until:%-d %B %Y, %H:%M}: {reason}",
        url=reverse("forums:index"),
    )
    return suspension


@transaction.atomic
def suspension_lift(*, suspension: Suspension, moderator, reason: str) -> Suspension:
    if not can_suspend(moderator):
        raise ForumActionRefused("Only moderators can lift a suspension.")
    suspension = (
        Suspension.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=suspension.pk)
    )
    reason = _clean_reason(reason, required=True, what="lifting the suspension")
    if suspension.lifted_at is not None or suspension.ends_at <= timezone.now():
        raise ForumActionRefused("This suspension has already ended.")
    suspension.lifted_at = timezone.now()
    suspension.save(update_fields=["lifted_at"])
    _audit(
        actor=moderator,
        action=AuditEntry.Action.LIFT_SUSPENSION,
        subject=suspension.person,
        reason=reason,
        detail={"suspension": suspension.pk},
    )
    notifications.notify(
        recipient=suspension.person,
        kind=Notification.Kind.MODERATION,
        text="A moderator has lifted your suspension: you can post again.",
        url=reverse("forums:index"),
    )
    return suspension


# The queue and the reporter's own list.


@dataclass(frozen=True)
class QueueItem:
    """One reported post with its open reports, oldest report first."""

    post: Post
    reports: list[Report]

    @property
    def reasons(self) -> list[str]:
        seen: dict[str, str] = {}
        for report in self.reports:
            seen.setdefault(report.reason, report.get_reason_display())
        return list(seen.values())


def reported_posts(person) -> QuerySet[Post]:
    """Posts with open reports in the forums the person moderates, longest-waiting first, each
    with `open_reports` prefetched: a fixed number of queries however long the queue."""
    open_reports = Report.objects.filter(status=Report.Status.OPEN).select_related("reporter")
    return (
        Post.objects.filter(
            thread__forum__in=moderated_forums(person), reports__status=Report.Status.OPEN
        )
        .annotate(first_reported_at=Min("reports__created_at"))
        .select_related("author", "thread", "thread__forum")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=open_reports.order_by("created_at", "pk"),
                to_attr="open_reports",
            )
        )
        .order_by("first_reported_at", "pk")
    )


def queue_items(posts) -> list[QueueItem]:
    return [QueueItem(post=post, reports=post.open_reports) for post in posts]


def reports_by(person) -> QuerySet[Report]:
    return Report.objects.filter(reporter=person).select_related("post__thread__forum")


def open_report_of(person, post: Post) -> Report | None:
    return Report.objects.filter(reporter=person, post=post, status=Report.Status.OPEN).first()


# The audit log.


# The log itself lives in the audit app; these names stay for the moderation pages.
AuditFilters = audit_selectors.AuditFilters
audit_entries = audit_selectors.entries
audit_actors = audit_selectors.actors


ANONYMOUS_SUBJECT = "Anonymous author (not shown)"


def audit_subject_name(entry: AuditEntry) -> str:
    """The person acted upon, except the author of an anonymous post: only a moderator's
    recorded look reveals that, and the log must not become a second way in."""
    if entry.detail.get("anonymous") or (entry.post is not None and entry.post.is_anonymous):
        return ANONYMOUS_SUBJECT
    if entry.subject is not None:
        return entry.subject.name
    # Deleted accounts keep their id in the log, and nothing more.
    return f"Deleted account {entry.subject_id}" if entry.subject_id else ""

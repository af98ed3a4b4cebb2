"""Pages for reporting posts, the moderation queue and its actions, suspensions and the
audit log. Thin: each adapts the request to a moderation service or selector."""

import csv
from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from audit.models import AuditEntry
from forums import moderation, permissions
from forums.models import Post, Suspension, Thread
from forums.moderation_forms import (
    AuditFilterForm,
    PostHideForm,
    ReasonForm,
    ReportForm,
    SuspensionForm,
    ThreadMoveForm,
)
from forums.selectors import post_address
from forums.services import ForumActionRefused
from forums.views import post_or_404, thread_or_404
from safeguarding import selectors as safeguarding_selectors
from safeguarding import services as safeguarding_services

QUEUE_PAGE_SIZE = 20
REPORTS_PAGE_SIZE = 30
AUDIT_PAGE_SIZE = 50


def _moderated_post(request: HttpRequest, pk: int) -> Post:
    post = moderation.post_for_moderation(request.user, pk)
    if post is None:
        post_or_404(request, pk)  # 404 when the person may not even read it
        raise PermissionDenied("Only moderators and the network's leads can do that here.")
    return post


def _moderated_thread(request: HttpRequest, pk: int) -> Thread:
    thread = moderation.thread_for_moderation(request.user, pk)
    if thread is None:
        thread_or_404(request, pk)
        raise PermissionDenied("Only moderators and the network's leads can do that here.")
    return thread


def _next_url(request: HttpRequest, fallback: str) -> str:
    """Back where the action came from (the queue or the thread), if that is on this site."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: redirect() takes any other word for the name of a view.
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


def _post_url(post: Post) -> str:
    return post_address(post)


# Reporting.


def post_report(request: HttpRequest, pk: int) -> HttpResponse:
    post = post_or_404(request, pk)
    if post.author_id == request.user.pk:
        raise PermissionDenied("This is your own post: edit or remove it instead.")
    context = {"post": post, "thread": post.thread, "forum": post.thread.forum}
    existing = moderation.open_report_of(request.user, post)
    if existing is not None:
        return render(
            request, "forums/moderation/report_exists.html", {**context, "report": existing}
        )
    if not post.is_visible:
        messages.info(request, "This post has already been taken down.")
        return redirect(_post_url(post))
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = moderation.report_create(
                post=post,
                reporter=request.user,
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
            )
        except ForumActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            return redirect("forums:report_sent", pk=report.pk)
    status = 400 if form.errors else 200
    return render(
        request, "forums/moderation/report_form.html", {**context, "form": form}, status=status
    )


def report_sent(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(moderation.reports_by(request.user), pk=pk)
    return render(request, "forums/moderation/report_sent.html", {"report": report})


def my_reports(request: HttpRequest) -> HttpResponse:
    page = Paginator(moderation.reports_by(request.user), REPORTS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "forums/moderation/my_reports.html", {"page": page})


# The queue and its actions.


def queue(request: HttpRequest) -> HttpResponse:
    if not moderation.can_use_queue(request.user):
        raise PermissionDenied("The moderation queue is for moderators and network leads.")
    page = Paginator(moderation.reported_posts(request.user), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "items": moderation.queue_items(page.object_list),
        "shows_reporters": permissions.is_moderator(request.user),
        "reveals": permissions.can_reveal_author(request.user),
        "suspends": moderation.can_suspend(request.user),
    }
    return render(request, "forums/moderation/queue.html", context)


def _post_action(
    request: HttpRequest,
    post: Post,
    *,
    action: Callable[[str], object],
    form: ReasonForm,
    title: str,
    button: str,
    explanation: str,
    done: str,
) -> HttpResponse:
    """The confirmation page (GET, or a POST with errors) and the action itself (POST)."""
    if request.method == "POST" and form.is_valid():
        try:
            action(form.cleaned_data["reason"])
        except ForumActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, done)
            return redirect(_next_url(request, _post_url(post)))
    context = {
        "post": post,
        "thread": post.thread,
        "forum": post.thread.forum,
        "form": form,
        "title": title,
        "button": button,
        "explanation": explanation,
        "next": _next_url(request, ""),
    }
    status = 400 if form.errors else 200
    return render(request, "forums/moderation/post_action.html", context, status=status)


def _post_for_hiding(request: HttpRequest, pk: int) -> tuple[Post, bool]:
    """The post and whether the person may only hide it as identifying a pupil (a
    safeguarding lead who does not moderate its forum)."""
    post = moderation.post_for_moderation(request.user, pk)
    if post is not None:
        return post, False
    candidate = (
        Post.objects.select_related("thread__forum__network", "author").filter(pk=pk).first()
    )
    if candidate is not None and safeguarding_services.can_hide_identifying(
        request.user, candidate
    ):
        return candidate, True
    return _moderated_post(request, pk), False


def post_hide(request: HttpRequest, pk: int) -> HttpResponse:
    post, pupil_only = _post_for_hiding(request, pk)
    if post.hidden_at is not None or post.deleted_at is not None:
        messages.info(request, "This post is already hidden or removed.")
        return redirect(_next_url(request, _post_url(post)))
    form = PostHideForm(request.POST or None, pupil_only=pupil_only)
    if request.method == "POST" and form.is_valid():
        try:
            moderation.post_hide(
                post=post,
                moderator=request.user,
                reason=form.cleaned_data.get("reason", ""),
                identifies_pupil=form.identifies_pupil,
            )
        except ForumActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                "The post has been hidden and its words kept for the safeguarding leads."
                if form.identifies_pupil
                else "The post has been hidden.",
            )
            return redirect(_next_url(request, _post_url(post)))
    context = {
        "post": post,
        "thread": post.thread,
        "forum": post.thread.forum,
        "form": form,
        "title": "Hide this post?",
        "button": "Hide the post",
        "explanation": (
            "Readers will see that a moderator hid a post here, not what it said. Its open "
            "reports are upheld and the reporters are told. If it identifies a pupil, its "
            "words are taken out of the thread, the author's edit history and search, and "
            "kept where only the safeguarding leads can read them; only they can restore it."
        ),
        "next": _next_url(request, ""),
    }
    status = 400 if form.errors else 200
    return render(request, "forums/moderation/post_hide.html", context, status=status)


def _post_for_restoring(request: HttpRequest, pk: int) -> Post:
    post = moderation.post_for_moderation(request.user, pk)
    if post is not None:
        return post
    preserved = safeguarding_selectors.active_preservation(pk)
    if preserved is not None and safeguarding_services.can_restore_identifying(
        request.user, preserved
    ):
        return Post.objects.select_related("thread__forum__network", "author").get(pk=pk)
    return _moderated_post(request, pk)


def post_restore(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post_for_restoring(request, pk)
    if post.hidden_at is None:
        messages.info(request, "This post is not hidden.")
        return redirect(_next_url(request, _post_url(post)))
    preserved = safeguarding_selectors.active_preservation(post.pk)
    if preserved is not None and not safeguarding_services.can_restore_identifying(
        request.user, preserved
    ):
        raise PermissionDenied(
            "This post was hidden because it identified a pupil: only a safeguarding lead "
            "can restore it."
        )
    return _post_action(
        request,
        post,
        action=lambda reason: moderation.post_restore(
            post=post, moderator=request.user, reason=reason
        ),
        form=ReasonForm(request.POST or None, label="Why are you restoring it?"),
        title="Restore this post?",
        button="Restore the post",
        explanation="Everyone who can read the thread will see the post again.",
        done="The post has been restored.",
    )


def report_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    post = _moderated_post(request, pk)
    return _post_action(
        request,
        post,
        action=lambda note: moderation.report_dismiss(post=post, moderator=request.user, note=note),
        form=ReasonForm(
            request.POST or None,
            label="Note for the record (optional)",
            required=False,
            help_text="The reporters are told the post stays; they do not see this note.",
        ),
        title="Dismiss the reports of this post?",
        button="Dismiss the reports",
        explanation="The post stays. Everyone who reported it hears that a moderator looked at it.",
        done="The reports have been dismissed.",
    )


@never_cache
def post_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.can_reveal_author(request.user):
        post_or_404(request, pk)
        raise PermissionDenied("Only moderators can see who wrote an anonymous post.")
    post = _moderated_post(request, pk)
    if not post.is_anonymous:
        raise Http404("This post is not anonymous.")
    form = ReasonForm(
        request.POST or None,
        label="Your safeguarding reason",
        help_text="Recorded in the audit log with your name, every time.",
    )
    author = None
    if request.method == "POST" and form.is_valid():
        try:
            author = moderation.author_reveal(
                post=post, moderator=request.user, reason=form.cleaned_data["reason"]
            )
        except ForumActionRefused as refusal:
            form.add_error(None, refusal.message)
    context = {
        "post": post,
        "thread": post.thread,
        "forum": post.thread.forum,
        "form": form,
        "author": author,
        "suspends": moderation.can_suspend(request.user),
    }
    status = 400 if form.errors else 200
    return render(request, "forums/moderation/reveal.html", context, status=status)


# Threads.


def _flag_choice(request: HttpRequest, name: str) -> bool:
    value = request.POST.get(name)
    if value not in ("0", "1"):
        raise ForumActionRefused("Choose whether to turn this on or off.")
    return value == "1"


def _thread_flag(request: HttpRequest, pk: int, *, name: str, service, done: dict) -> HttpResponse:
    thread = _moderated_thread(request, pk)
    try:
        value = _flag_choice(request, name)
        service(
            thread=thread,
            moderator=request.user,
            reason=request.POST.get("reason", ""),
            **{name: value},
        )
    except ForumActionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, done[value])
    return redirect(_next_url(request, thread.get_absolute_url()))


@require_POST
def thread_lock(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_flag(
        request,
        pk,
        name="locked",
        service=moderation.thread_lock,
        done={True: "The thread is locked.", False: "The thread is unlocked."},
    )


@require_POST
def thread_pin(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_flag(
        request,
        pk,
        name="pinned",
        service=moderation.thread_pin,
        done={True: "The thread is pinned.", False: "The thread is unpinned."},
    )


def thread_move(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _moderated_thread(request, pk)
    forums = (
        moderation.moderated_forums(request.user)
        .exclude(pk=thread.forum_id)
        .order_by("network__name", "position", "name")
    )
    form = ThreadMoveForm(request.POST or None, forums=forums)
    if request.method == "POST" and form.is_valid():
        try:
            moderation.thread_move(
                thread=thread,
                moderator=request.user,
                forum=form.cleaned_data["forum"],
                reason=form.cleaned_data["reason"],
            )
        except ForumActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, f"The thread is now in {form.cleaned_data['forum'].name}.")
            return redirect(thread.get_absolute_url())
    context = {"thread": thread, "forum": thread.forum, "form": form}
    status = 400 if form.errors else 200
    return render(request, "forums/moderation/thread_move.html", context, status=status)


# Suspensions.


def _require_suspends(request: HttpRequest) -> None:
    if not moderation.can_suspend(request.user):
        raise PermissionDenied("Only moderators can suspend someone from posting.")


def person_suspend(request: HttpRequest, pk: int) -> HttpResponse:
    _require_suspends(request)
    person = get_object_or_404(get_user_model(), pk=pk, is_active=True)
    form = SuspensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            moderation.suspension_create(
                person=person,
                moderator=request.user,
                ends_at=form.cleaned_data["until"],
                reason=form.cleaned_data["reason"],
            )
        except ForumActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, f"{person.name} is suspended from posting.")
            return redirect("forums:suspensions")
    context = {
        "person": person,
        "form": form,
        "current": moderation.current_suspensions().filter(person=person).first(),
    }
    status = 400 if form.errors else 200
    return render(request, "forums/moderation/suspend.html", context, status=status)


def suspensions(request: HttpRequest) -> HttpResponse:
    _require_suspends(request)
    return render(
        request,
        "forums/moderation/suspensions.html",
        {"suspensions": moderation.current_suspensions()},
    )


def suspension_lift(request: HttpRequest, pk: int) -> HttpResponse:
    _require_suspends(request)
    suspension = get_object_or_404(Suspension.objects.select_related("person"), pk=pk)
    form = ReasonForm(request.POST or None, label="Why are you lifting it?")
    if request.method == "POST" and form.is_valid():
        try:
            moderation.suspension_lift(
                suspension=suspension, moderator=request.user, reason=form.cleaned_data["reason"]
            )
        except ForumActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, f"{suspension.person.name} can post again.")
            return redirect("forums:suspensions")
    status = 400 if form.errors else 200
    return render(
        request,
        "forums/moderation/suspension_lift.html",
        {"suspension": suspension, "form": form},
        status=status,
    )


# The audit log.


def _audit_filters(request: HttpRequest) -> tuple[AuditFilterForm, moderation.AuditFilters]:
    if not moderation.can_read_audit(request.user):
        raise PermissionDenied("The audit log is for the trust's admins.")
    form = AuditFilterForm(request.GET or None, actors=moderation.audit_actors())
    filters = moderation.AuditFilters()
    if form.is_bound and form.is_valid():
        actor = form.cleaned_data["actor"]
        filters = moderation.AuditFilters(
            action=form.cleaned_data["action"],
            actor_id=actor.pk if actor else None,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
        )
    return form, filters


def _filter_query(request: HttpRequest) -> str:
    return urlencode(
        [(key, value) for key, value in request.GET.items() if key != "page" and value]
    )


def audit_log(request: HttpRequest) -> HttpResponse:
    form, filters = _audit_filters(request)
    page = Paginator(moderation.audit_entries(filters), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(entry, moderation.audit_subject_name(entry)) for entry in page.object_list]
    query = _filter_query(request)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query,
        "export_url": f"{reverse('forums:audit_export')}{'?' + query if query else ''}",
        "status": 400 if form.errors else 200,
    }
    return render(request, "forums/moderation/audit.html", context, status=context["status"])


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets an apostrophe."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


AUDIT_COLUMNS = [
    "When",
    "Action",
    "Done by",
    "Done by (email)",
    "Person acted upon",
    "Forum",
    "Thread",
    "Post",
    "Reason",
    "Detail",
    "Done by (id)",
    "Person acted upon (id)",
    "Address",
]


def _audit_csv_rows(entries: Iterable[AuditEntry]) -> Iterable[list[str]]:
    yield AUDIT_COLUMNS
    for entry in entries:
        thread = entry.thread
        yield [
            spreadsheet_safe(value)
            for value in (
                timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                entry.get_action_display(),
                entry.actor.name if entry.actor is not None else "",
                entry.actor.email if entry.actor is not None else "",
                moderation.audit_subject_name(entry),
                thread.forum.name if thread is not None else "",
                thread.title if thread is not None else "",
                entry.post_id or "",
                entry.reason,
                "; ".join(
                    f"{key}: {value}"
                    for key, value in sorted(entry.detail.items())
                    if key != "anonymous"
                ),
                entry.actor_id or "",
                "" if _hides_subject(entry) else entry.subject_id or "",
                entry.address or "",
            )
        ]


def _hides_subject(entry: AuditEntry) -> bool:
    return moderation.audit_subject_name(entry) == moderation.ANONYMOUS_SUBJECT


def audit_export(request: HttpRequest) -> HttpResponse:
    form, filters = _audit_filters(request)
    if form.errors:
        messages.error(request, "Correct the filters before exporting.")
        return redirect(f"{reverse('forums:audit_log')}?{_filter_query(request)}")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="staffroom-audit-{stamp}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 only with a byte order mark
    writer = csv.writer(response)
    writer.writerows(_audit_csv_rows(moderation.audit_entries(filters).iterator(chunk_size=500)))
    return response

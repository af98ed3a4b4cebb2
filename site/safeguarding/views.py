"""Raising a safeguarding concern, the reporter's own list, and the leads' pages. Thin: each
adapts the request to a safeguarding service or selector."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from config.idempotency import submit_once
from forums.selectors import post_by_id
from safeguarding import selectors, services
from safeguarding.forms import POST_ID_MAX, ConcernForm, ConcernNoteForm
from safeguarding.models import Concern

PAGE_SIZE = 30
POST_NOT_FOUND = "That post cannot be found. Leave the post out and describe it instead."


def _int_or_none(value: str | None) -> int | None:
    value = (value or "").strip()
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value) if len(value) <= 19 else 0
    return number if 0 < number <= POST_ID_MAX else None


@never_cache
def concern_new(request: HttpRequest) -> HttpResponse:
    person = request.user
    if request.method == "POST":
        form = ConcernForm(request.POST)
    else:
        wanted = _int_or_none(request.GET.get("post"))
        if request.GET.get("post") and (wanted is None or post_by_id(person, wanted) is None):
            messages.warning(request, POST_NOT_FOUND)
            wanted = None
        form = ConcernForm(initial={"school": person.school_id, "post": wanted})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def raise_concern() -> str:
            concern, _ = services.concern_raise(
                reporter=person,
                school=data["school"],
                what_happened=data["what_happened"],
                who_involved=data["who_involved"],
                post_id=data["post"],
            )
            return f"{reverse('safeguarding:my_concerns')}?raised={concern.pk}"

        try:
            next_url, _ = submit_once(
                person=person,
                key=data["submission_key"],
                purpose="safeguarding_concern",
                sent=(data["school"].pk, data["what_happened"], data["who_involved"], data["post"]),
                action=raise_concern,
            )
        except services.SafeguardingRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            return redirect(next_url)
    post_id = _int_or_none(str(form["post"].value() or ""))
    post = post_by_id(person, post_id) if post_id else None
    status = 400 if form.errors else 200
    return render(
        request,
        "safeguarding/concern_form.html",
        {"form": form, "post": post if post is not None and post.is_visible else None},
        status=status,
    )


@never_cache
def my_concerns(request: HttpRequest) -> HttpResponse:
    concerns = selectors.concerns_raised_by(request.user)
    page = Paginator(concerns, PAGE_SIZE).get_page(request.GET.get("page"))
    raised = None
    raised_id = _int_or_none(request.GET.get("raised"))
    if raised_id is not None:
        raised = concerns.filter(pk=raised_id).first()
    waiting = {c.school_id for c in page.object_list if c.status == Concern.Status.OPEN}
    if raised is not None:
        waiting.add(raised.school_id)
    unheard_schools = selectors.schools_without_leads(waiting)
    context = {"page": page, "raised": raised, "unheard_schools": unheard_schools}
    return render(request, "safeguarding/my_concerns.html", context)


def _require_lead(request: HttpRequest) -> None:
    if not selectors.is_safeguarding_lead(request.user):
        raise PermissionDenied("Safeguarding concerns are for the designated safeguarding leads.")


@never_cache
def concerns(request: HttpRequest) -> HttpResponse:
    _require_lead(request)
    status = request.GET.get("status", "")
    listed = selectors.concerns_for_lead(request.user)
    if status in Concern.Status.values:
        listed = listed.filter(status=status)
    else:
        status = ""
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    services.concerns_listed(lead=request.user, concern_ids=[c.pk for c in page.object_list])
    preserved = list(
        selectors.preservations_for_lead(request.user).filter(restored_at__isnull=True)[:PAGE_SIZE]
    )
    context = {
        "page": page,
        "status": status,
        "statuses": Concern.Status.choices,
        "preserved": preserved,
    }
    return render(request, "safeguarding/concerns.html", context)


@never_cache
def concern(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.concern_for_lead(request.user, pk)
    if found is None:
        raise Http404("No such concern.")
    note_form = ConcernNoteForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "acknowledge":
                services.concern_acknowledge(concern=found, lead=request.user)
                messages.success(request, "You have acknowledged this concern.")
                return redirect("safeguarding:concern", pk=found.pk)
            if action == "close":
                services.concern_close(concern=found, lead=request.user)
                messages.success(request, "The concern is closed.")
                return redirect("safeguarding:concern", pk=found.pk)
            if action == "note":
                note_form = ConcernNoteForm(request.POST)
                if note_form.is_valid():
                    services.concern_note_add(
                        concern=found, lead=request.user, text=note_form.cleaned_data["text"]
                    )
                    messages.success(request, "Your note has been added.")
                    return redirect("safeguarding:concern", pk=found.pk)
            else:
                messages.error(request, "Choose acknowledge, add a note or close.")
        except services.SafeguardingRefused as refusal:
            messages.error(request, refusal.message)
    services.concern_viewed(concern=found, lead=request.user)
    context = {
        "concern": found,
        "notes": selectors.concern_notes(found),
        "note_form": note_form,
        "preserved": selectors.preservations_of_concern(found),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "safeguarding/concern.html", context, status=status)


@never_cache
def preserved_post(request: HttpRequest, pk: int) -> HttpResponse:
    preserved = selectors.preservation_for_lead(request.user, pk)
    if preserved is None:
        raise Http404("No such preserved post.")
    services.preserved_post_viewed(preserved=preserved, lead=request.user)
    return render(request, "safeguarding/preserved_post.html", {"preserved": preserved})

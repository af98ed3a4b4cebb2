"""The trust admins' pages in the Wagtail admin: staff import, resetting an admin's
authenticator app, the sign-in events, and data protection (subject access, erasing leavers)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST
from wagtail.admin.auth import permission_required

from people import erasure, selectors, two_step
from people.forms import LeaverErasureForm, StaffImportForm
from people.models import Person, SignInEvent
from people.staff_import import COLUMNS, example_csv, staff_import
from people.views import subject_access_response

STAFF_IMPORT_PERMISSION = "people.add_person"
AUTHENTICATOR_RESET_PERMISSION = "otp_totp.delete_totpdevice"
SIGN_IN_EVENTS_PERMISSION = "people.view_signinevent"
# Trust admins: the only role that may change any member of staff.
DATA_PROTECTION_PERMISSION = "people.change_person"
SIGN_IN_EVENTS_SHOWN = 200


@permission_required(STAFF_IMPORT_PERMISSION)
def staff_import_view(request: HttpRequest) -> HttpResponse:
    report = None
    if request.method == "POST":
        form = StaffImportForm(request.POST, request.FILES)
    else:
        form = StaffImportForm()
    if form.is_bound and form.is_valid():
        report = staff_import(
            csv_file=form.cleaned_data["csv_file"], dry_run=form.cleaned_data["dry_run"]
        )
    return TemplateResponse(
        request,
        "people/admin/staff_import.html",
        {"form": form, "report": report, "columns": COLUMNS},
        status=400 if form.errors or (report and not report.ok) else 200,
    )


@permission_required(STAFF_IMPORT_PERMISSION)
def staff_import_template(request: HttpRequest) -> HttpResponse:
    # The byte order mark makes Excel open the file as UTF-8, so accented names survive.
    response = HttpResponse("\ufeff" + example_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="staff-import-template.csv"'
    return response


@permission_required(AUTHENTICATOR_RESET_PERMISSION)
def authenticator_apps_view(request: HttpRequest) -> HttpResponse:
    """Who has an authenticator app set up, and a reset for someone who lost theirs: their next
    password sign-in sets up a new one."""
    if request.method == "POST":
        person = two_step.authenticator_reset(
            person_id=request.POST.get("person", ""), by=request.user
        )
        if person is None:
            messages.error(request, "That authenticator app cannot be reset here.")
        else:
            messages.success(
                request,
                f"{person.name}'s authenticator app has been reset. They set up a new one "
                "the next time they sign in with their password.",
            )
        return redirect("people_authenticator_apps")
    return TemplateResponse(
        request,
        "people/admin/authenticator_apps.html",
        {"people": two_step.people_with_authenticator_apps()},
    )


@permission_required(SIGN_IN_EVENTS_PERMISSION)
def sign_in_events_view(request: HttpRequest) -> HttpResponse:
    """The latest sign-ins through the identity providers and the refusals, newest first."""
    events = SignInEvent.objects.select_related("person")[:SIGN_IN_EVENTS_SHOWN]
    return TemplateResponse(
        request,
        "people/admin/sign_in_events.html",
        {"events": events, "shown": SIGN_IN_EVENTS_SHOWN},
    )


# Data protection: subject access requests made to the trust, and erasing leavers.

STAFF_DATA_SHOWN = 50


def _person_or_404(pk: int) -> Person:
    person = Person.objects.filter(pk=pk).first()
    if person is None:
        raise Http404("No such member of staff.")
    return person


@permission_required(DATA_PROTECTION_PERMISSION)
def staff_data_view(request: HttpRequest) -> HttpResponse:
    """Find a member of staff to download their data for (a subject access request sent to
    the trust) or to erase when they have left."""
    query = " ".join(request.GET.get("q", "")[:200].replace("\x00", "").split())
    people = selectors.people_matching(query)[:STAFF_DATA_SHOWN] if query else []
    return TemplateResponse(
        request,
        "people/admin/staff_data.html",
        {"query": query, "people": people, "shown": STAFF_DATA_SHOWN},
    )


@permission_required(DATA_PROTECTION_PERMISSION)
@require_POST
def staff_data_download(request: HttpRequest, pk: int) -> HttpResponse:
    return subject_access_response(request, person=_person_or_404(pk))


@permission_required(DATA_PROTECTION_PERMISSION)
def staff_erase_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase a leaver, after the admin types their email or name: it cannot be undone."""
    person = _person_or_404(pk)
    refused = ""
    if person.pk == request.user.pk:
        refused = "You cannot erase your own account; ask another trust admin."
    elif erasure.is_erased(person):
        refused = "This account has already been erased."
    form = LeaverErasureForm(request.POST or None, person=person)
    if request.method == "POST" and not refused and form.is_valid():
        try:
            erasure.erase_leaver(person=person, by=request.user)
        except erasure.ErasureRefused as why:
            refused = str(why)
        else:
            messages.success(
                request,
                f"Account {person.pk} has been erased. Their posts and resources stay, "
                "shown as by a former member of staff.",
            )
            return redirect("people_staff_data")
    return TemplateResponse(
        request,
        "people/admin/staff_erase.html",
        {"person": person, "form": form, "refused": refused},
        status=403 if refused else (400 if form.errors else 200),
    )

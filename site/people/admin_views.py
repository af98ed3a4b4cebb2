"""The trust admins' pages in the Wagtail admin: staff import, resetting an admin's
authenticator app, and the sign-in events."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from wagtail.admin.auth import permission_required

from people import two_step
from people.forms import StaffImportForm
from people.models import SignInEvent
from people.staff_import import COLUMNS, example_csv, staff_import

STAFF_IMPORT_PERMISSION = "people.add_person"
AUTHENTICATOR_RESET_PERMISSION = "otp_totp.delete_totpdevice"
SIGN_IN_EVENTS_PERMISSION = "people.view_signinevent"
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

"""The trust admins' staff import page in the Wagtail admin."""

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from wagtail.admin.auth import permission_required

from people.forms import StaffImportForm
from people.staff_import import COLUMNS, example_csv, staff_import

STAFF_IMPORT_PERMISSION = "people.add_person"


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

"""Uploading, downloading and previewing the files of resources."""

import hashlib

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.forms.utils import ErrorDict
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from config.files import file_response
from config.idempotency import SubmissionKeyField, submit_once
from resources import files, user_content
from resources.models import FileVersion, Resource, ResourceFile
from resources.permissions import can_edit_resource
from resources.selectors import resources_visible_to
from resources.uploads import (
    ACCEPT_ATTRIBUTE,
    FRIENDLY_LIST,
    SizeLimitedUploadHandler,
    max_upload_bytes,
    request_too_large,
    too_large_message,
)

# Shown in the browser rather than saved: PDFs and raster images, which browsers render in
# their own viewers. Never HTML or SVG (both can run script), and nothing else needs it.
PREVIEW_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
# A saved file is never rendered, but if a browser ever did, it could load and run nothing.
ATTACHMENT_POLICY = "default-src 'none'; sandbox"
# A preview is its own document in its own tab: sandboxed (a unique origin, no scripts, no
# forms). Chrome's PDF viewer does not render under default-src 'none', so sandbox alone.
INLINE_POLICY = "sandbox"


class FileUploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        error_messages={"required": "Choose a file to upload.", "empty": "This file is empty."},
    )
    title = forms.CharField(
        label="Name for this file (optional)",
        max_length=200,
        required=False,
        help_text="For example ‘Slides’ or ‘Answer sheet’. Leave blank to use the file’s name.",
    )
    change_note = forms.CharField(
        label="What is in it (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Sending the same upload twice (a retry after a dropped connection) stores it once.
    submission_key = SubmissionKeyField()

    def __init__(self, *args, new_version: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit = filesizeformat(max_upload_bytes())
        self.fields["file"].help_text = f"{FRIENDLY_LIST}, up to {limit}."
        self.fields["file"].widget.attrs.update(
            {"accept": ACCEPT_ATTRIBUTE, "data-max-bytes": str(max_upload_bytes())}
        )
        if new_version:
            del self.fields["title"]
            note = self.fields["change_note"]
            note.label = "What changed"
            note.required = True
            note.help_text = "For example ‘Corrected the answers to question 4’."
            note.error_messages["required"] = "Say what changed in this version."


# Reads ------------------------------------------------------------------------------


def _visible_versions(person) -> QuerySet[FileVersion]:
    return FileVersion.objects.select_related("file__resource", "uploaded_by").filter(
        file__resource__in=resources_visible_to(person)
    )


def _resource_for(person, pk: int) -> Resource:
    try:
        return resources_visible_to(person).select_related("network").get(pk=pk)
    except Resource.DoesNotExist as missing:
        raise Http404("No resource has that number, or it is not shared with you.") from missing


def _file_for(person, pk: int) -> ResourceFile:
    try:
        return ResourceFile.objects.select_related("resource__network", "current").get(
            pk=pk, resource__in=resources_visible_to(person)
        )
    except ResourceFile.DoesNotExist as missing:
        raise Http404("No file has that number, or it is not shared with you.") from missing


def _version_for(person, pk: int) -> FileVersion:
    try:
        return _visible_versions(person).get(pk=pk)
    except FileVersion.DoesNotExist as missing:
        raise Http404("No file has that number, or it is not shared with you.") from missing


def _resource_url(resource: Resource) -> str:
    try:
        return resource.get_absolute_url()
    except NoReverseMatch:
        return reverse("resources:index")


def _after_upload_url(resource: Resource, resource_file: ResourceFile) -> str:
    try:
        return resource.get_absolute_url()
    except NoReverseMatch:
        return reverse("resources:file_history", kwargs={"file_pk": resource_file.pk})


# Uploads ----------------------------------------------------------------------------


def _upload(request: HttpRequest, *, resource: Resource, resource_file: ResourceFile | None):
    if not can_edit_resource(request.user, resource):
        raise PermissionDenied("Only people who may edit this resource can add files to it.")
    new_version = resource_file is not None
    form = FileUploadForm(new_version=new_version)
    status = 200
    if request.method == "POST":
        if request_too_large(request):
            # Refused from the declared length alone: the body is never read.
            form = _refused_form(too_large_message(), new_version=new_version)
            status = 413
        else:
            handler = SizeLimitedUploadHandler(request)
            request.upload_handlers = [handler]
            # Reads the body (through the handler) for the token.
            if refused := CsrfViewMiddleware(lambda request: None).process_view(
                request, None, (), {}
            ):
                return refused
            outcome = _handle_post(request, resource, resource_file, handler)
            if isinstance(outcome, HttpResponse):
                return outcome
            status, form = outcome
    template = "resources/files/new_version.html" if new_version else "resources/files/upload.html"
    return render(
        request,
        template,
        {
            "form": form,
            "resource": resource,
            "resource_file": resource_file,
            "resource_url": _resource_url(resource),
        },
        status=status,
    )


def _refused_form(message: str, *, new_version: bool) -> FileUploadForm:
    form = FileUploadForm({}, {}, new_version=new_version)
    form.is_valid()
    form._errors = ErrorDict()  # only the reason for the refusal, not "choose a file"
    form.add_error("file", message)
    return form


def _handle_post(
    request: HttpRequest,
    resource: Resource,
    resource_file: ResourceFile | None,
    handler: SizeLimitedUploadHandler,
) -> HttpResponse | tuple[int, FileUploadForm]:
    """The page to go to next, or the status and form to show again."""
    form = FileUploadForm(request.POST, request.FILES, new_version=resource_file is not None)
    if handler.refusal:
        return 413, _refused_form(handler.refusal, new_version=resource_file is not None)
    if not form.is_valid():
        return 400, form
    data = form.cleaned_data

    def store() -> str:
        if resource_file is None:
            version = files.file_add(
                resource=resource,
                uploaded_file=data["file"],
                person=request.user,
                title=data["title"],
                change_note=data["change_note"],
            )
        else:
            version = files.file_version_add(
                resource_file=resource_file,
                uploaded_file=data["file"],
                person=request.user,
                change_note=data["change_note"],
            )
        if version.number == 1:
            messages.success(request, f"“{version.original_name}” has been added.")
        else:
            messages.success(
                request, f"Version {version.number} of “{version.file}” has been added."
            )
        return _after_upload_url(resource, version.file)

    purpose = f"file:{resource.pk}" if resource_file is None else f"version:{resource_file.pk}"
    try:
        next_url, _ = submit_once(
            person=request.user,
            key=data["submission_key"],
            purpose=purpose,
            sent=(_file_digest(data["file"]), data.get("title", ""), data["change_note"]),
            action=store,
        )
    except files.UploadRejected as rejected:
        form.add_error("file", rejected.message)
        return 400, form
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        # upload.js navigates itself; following a redirect inside the request would use up
        # the "has been added" message before the person sees the page.
        answer = HttpResponse(status=200)
        answer["X-Upload-Redirect"] = next_url
        return answer
    return redirect(next_url)


def _file_digest(uploaded_file) -> str:
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return f"{uploaded_file.name}:{digest.hexdigest()}"


# The upload handler must be in place before anything reads the body, and the CSRF
# middleware reads it, so these views make the same check themselves, after installing it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def file_upload(request: HttpRequest, pk: int) -> HttpResponse:
    return _upload(request, resource=_resource_for(request.user, pk), resource_file=None)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def file_version_upload(request: HttpRequest, file_pk: int) -> HttpResponse:
    resource_file = _file_for(request.user, file_pk)
    return _upload(request, resource=resource_file.resource, resource_file=resource_file)


# Downloads --------------------------------------------------------------------------


def _file_response(request: HttpRequest, version: FileVersion, *, inline: bool) -> FileResponse:
    try:
        blob = version.blob.open("rb")
    except (FileNotFoundError, OSError) as missing:
        raise Http404("This file is missing from storage.") from missing
    response = file_response(
        request,
        blob,
        as_attachment=not inline,
        filename=version.original_name,
        content_type=version.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    response["Content-Security-Policy"] = INLINE_POLICY if inline else ATTACHMENT_POLICY
    return response


def _served(request: HttpRequest, version: FileVersion, *, inline: bool) -> HttpResponse:
    """The file itself, or, when files live on a user-content origin, a short-lived link
    to it there."""
    if user_content.user_content_origin():
        link = user_content.signed_link(
            version_pk=version.pk, person_pk=request.user.pk, inline=inline
        )
        response = HttpResponseRedirect(link)
        response["Cache-Control"] = "private, no-store"
        return response
    return _file_response(request, version, inline=inline)


def _previewable(version: FileVersion) -> FileVersion:
    if version.content_type not in PREVIEW_TYPES:
        raise Http404("Only PDFs and images can be previewed; download this file instead.")
    return version


@require_http_methods(["GET"])
def file_download(request: HttpRequest, version_pk: int) -> HttpResponse:
    version = _version_for(request.user, version_pk)
    response = _served(request, version, inline=False)
    Resource.objects.filter(pk=version.file.resource_id).update(
        download_count=F("download_count") + 1
    )
    return response


@xframe_options_sameorigin
@require_http_methods(["GET"])
def file_preview(request: HttpRequest, version_pk: int) -> HttpResponse:
    version = _previewable(_version_for(request.user, version_pk))
    return _served(request, version, inline=True)


@login_not_required  # no session on the user-content origin: the signed link says who
@require_http_methods(["GET"])
def file_content(request: HttpRequest, token: str) -> FileResponse:
    """A signed link on the user-content origin; only there, and only while the person it
    names may still see the file."""
    if not user_content.on_user_content_host(request):
        raise Http404("File links are served from the user-content address only.")
    version_pk, person_pk, inline = user_content.read_link(token)
    person = get_user_model().objects.filter(pk=person_pk, is_active=True).first()
    if person is None:
        raise Http404("This download link is not valid.")
    version = _version_for(person, version_pk)
    if inline:
        _previewable(version)
    return _file_response(request, version, inline=inline)


def file_history(request: HttpRequest, file_pk: int) -> HttpResponse:
    resource_file = _file_for(request.user, file_pk)
    versions = resource_file.versions.select_related("uploaded_by").order_by("-number")
    return render(
        request,
        "resources/files/history.html",
        {
            "resource_file": resource_file,
            "resource": resource_file.resource,
            "resource_url": _resource_url(resource_file.resource),
            "versions": versions,
            "can_edit": can_edit_resource(request.user, resource_file.resource),
            "preview_types": PREVIEW_TYPES,
        },
    )

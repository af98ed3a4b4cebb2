"""Adding files and new versions of files to resources."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from resources.models import FileVersion, Resource, ResourceFile, version_upload_to
from resources.permissions import can_edit_resource
from resources.scanning import scan_upload
from resources.uploads import CheckedUpload, UploadRejected, check_upload, storage_name

__all__ = ["UploadRejected", "file_add", "file_version_add"]

logger = logging.getLogger(__name__)


def _checked(*, resource: Resource, uploaded_file: UploadedFile, person) -> CheckedUpload:
    if not can_edit_resource(person, resource):
        raise PermissionDenied("Only people who may edit this resource can add files to it.")
    checked = check_upload(uploaded_file)
    scan_upload(uploaded_file)
    duplicate = (
        ResourceFile.objects.filter(resource=resource, current__sha256=checked.sha256)
        .select_related("current")
        .first()
    )
    if duplicate is not None:
        raise UploadRejected(
            f"This file is already in this resource, as “{duplicate}”. "
            "Choose a different file, or upload a changed version of it."
        )
    return checked


def _store(checked: CheckedUpload, uploaded_file: UploadedFile) -> str:
    probe = FileVersion(sha256=checked.sha256)
    name = version_upload_to(probe, storage_name(checked.name))
    uploaded_file.seek(0)
    try:
        return default_storage.save(name, uploaded_file)
    except Exception as error:
        logger.exception("Storing an upload failed")
        raise UploadRejected(
            "The file could not be saved just now. Nothing was changed; please try again."
        ) from error


def _new_version(
    *,
    resource_file: ResourceFile,
    checked: CheckedUpload,
    stored_name: str,
    person,
    change_note: str,
    number: int,
) -> FileVersion:
    version = FileVersion(
        file=resource_file,
        number=number,
        original_name=checked.name,
        size=checked.size,
        sha256=checked.sha256,
        content_type=checked.content_type,
        change_note=change_note.strip()[:500],
        uploaded_by=person,
        uploaded_at=timezone.now(),
        extraction=FileVersion.Extraction.PENDING,
    )
    version.blob.name = stored_name
    version.save()
    resource_file.current = version
    resource_file.save(update_fields=["current"])
    return version


def _schedule_extraction(version: FileVersion) -> None:
    from resources.tasks import extract_file_text

    def enqueue() -> None:
        try:
            extract_file_text.enqueue(version_pk=version.pk)
        except Exception:
            # The file is saved either way; its text stays "waiting to be read".
            logger.exception("Could not schedule text extraction for version %s", version.pk)

    transaction.on_commit(enqueue)


def _save_rows_or_remove_blob(stored_name: str, write) -> FileVersion:
    try:
        with transaction.atomic():
            version = write()
            _schedule_extraction(version)
    except Exception:
        default_storage.delete(stored_name)
        raise
    return version


def file_add(
    *,
    resource: Resource,
    uploaded_file: UploadedFile,
    person,
    title: str = "",
    change_note: str = "",
) -> FileVersion:
    """A new file on the resource, as its version 1."""
    checked = _checked(resource=resource, uploaded_file=uploaded_file, person=person)
    stored_name = _store(checked, uploaded_file)

    def write() -> FileVersion:
        resource_file = ResourceFile.objects.create(resource=resource, title=title.strip()[:200])
        return _new_version(
            resource_file=resource_file,
            checked=checked,
            stored_name=stored_name,
            person=person,
            change_note=change_note,
            number=1,
        )

    return _save_rows_or_remove_blob(stored_name, write)


def file_version_add(
    *,
    resource_file: ResourceFile,
    uploaded_file: UploadedFile,
    person,
    change_note: str,
) -> FileVersion:
    """The next version of a file; it becomes current and earlier versions are kept."""
    checked = _checked(resource=resource_file.resource, uploaded_file=uploaded_file, person=person)
    stored_name = _store(checked, uploaded_file)

    def write() -> FileVersion:
        # Lock the file so two uploads at once cannot take the same number.
        locked = ResourceFile.objects.select_for_update().get(pk=resource_file.pk)
        latest = locked.versions.aggregate(latest=Max("number"))["latest"] or 0
        return _new_version(
            resource_file=locked,
            checked=checked,
            stored_name=stored_name,
            person=person,
            change_note=change_note,
            number=latest + 1,
        )

    version = _save_rows_or_remove_blob(stored_name, write)
    resource_file.current = version
    return version

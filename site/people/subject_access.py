"""A subject access download: everything Staffroom holds about one member of staff, as a zip
of JSON files (one per kind, from people.personal_data), their uploaded files and a README.

Built into a temporary file and streamed, so a large account never sits in memory. Other
people appear by id at most: who reported them, who wrote an anonymous post they replied to
or who decided their requests are left out (the inventory's `leave_out`).
"""

import datetime
import json
import tempfile
import zipfile
from collections.abc import Iterator
from typing import IO

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record as audit_record
from people.models import Person
from people.personal_data import Holding, downloaded_holdings, rows_about

README = """\
Your data from Staffroom
========================

This archive holds everything Staffroom keeps about {name} (account number {pk}),
made on {made} (UTC). Each .json file is a list of records, one per row we hold;
dates are in UTC. Other colleagues appear by account number at most, and people
who reported posts or wrote anonymously are never named.

Files in this archive:

{files}
files/
    Every version of every file you uploaded to a resource, named
    <resource number>/<file version number>-<original file name>.

If something is missing or wrong, ask your trust's data protection officer.
"""

KIND_DESCRIPTIONS = {
    "profile": "Your profile: name, email, job title, school, phases, about you.",
    "subjects_taught": "The subjects on your profile.",
    "roles": "Your roles in Staffroom (for example Staff, Network leads).",
    "direct_permissions": "Permissions given to you directly rather than through a role.",
    "sign_in_events": "Your sign-ins through the trust's identity providers, and refusals.",
    "email_addresses": "The email addresses linked to your account for signing in.",
    "identity_provider_accounts": "Your Microsoft or Google accounts used to sign in.",
    "authenticator_apps": "Authenticator apps set up for two-step sign-in (not their keys).",
    "failed_sign_ins": "Failed password sign-ins with your email, being counted now.",
    "failed_sign_in_log": "Past failed password sign-ins with your email.",
    "sign_in_log": "Past password sign-ins with your email.",
    "django_admin_actions": "Changes you made in the technical admin pages.",
    "audit_entries": "Audit log entries you made or that are about you: actions and ids.",
    "completed_forms": "Forms you have completed.",
    "memberships": "The networks you belong to and your role in each.",
    "join_requests": "Your requests to join private networks.",
    "resources": "Resources you shared or drafted, with their details.",
    "file_versions": "Details of each file version you uploaded (the files are in files/).",
    "bookmarks": "Resources you bookmarked.",
    "collections": "Your collections of resources.",
    "threads": "Forum threads you started (is_anonymous says if you started it anonymously).",
    "posts": "Your forum posts; is_anonymous marks those posted anonymously.",
    "post_revisions": "Earlier wording of your posts, before you edited them.",
    "follows": "Threads you follow.",
    "reads": "How far you have read each thread.",
    "reactions": "Your reactions to posts.",
    "mentions": "Posts that mention you.",
    "notifications": "Your notifications.",
    "notification_preferences": "Your notification and email settings.",
    "reports_made": "Posts you reported to the moderators, and what they decided.",
    "suspensions": "Times you were suspended from posting.",
    "wagtail_preferences": "Your settings in the content admin.",
    "page_subscriptions": "Content pages you asked to hear about.",
    "page_comments": "Your comments on content pages.",
    "page_comment_replies": "Your replies to comments on content pages.",
    "page_revisions": "Versions of content pages you saved.",
    "page_history": "Your actions on content pages.",
    "admin_history": "Your actions in the content admin.",
    "pages_owned": "Content pages you own.",
    "documents_uploaded": "Documents you uploaded to the content admin.",
    "images_uploaded": "Images you uploaded to the content admin.",
}

CHUNK = 1024 * 1024


def _value(field: models.Field, instance: models.Model):
    if field.is_relation:
        return getattr(instance, field.attname)
    value = getattr(instance, field.attname)
    if isinstance(field, models.FileField):
        return value.name if value else ""
    return value


def _kept_about_others(instance: models.Model, person: Person) -> dict:
    # An audit entry made by someone else about them keeps the action, never who did it,
    # from where or in their words.
    if isinstance(instance, AuditEntry) and instance.actor_id != person.pk:
        return {"actor": None, "address": None, "reason": ""}
    return {}


def rows_for(model: type[models.Model], holding: Holding, person: Person) -> Iterator[dict]:
    fields = [
        field
        for field in model._meta.concrete_fields
        if field.name not in holding.leave_out and field.attname not in holding.leave_out
    ]
    for instance in rows_about(model, holding, person).iterator(chunk_size=500):
        row = {field.name: _value(field, instance) for field in fields}
        row.update(_kept_about_others(instance, person))
        yield row


def _write_json(archive: zipfile.ZipFile, name: str, rows: Iterator[dict]) -> None:
    # Row by row, so a kind with many thousands of posts is never one string in memory.
    with archive.open(name, "w", force_zip64=True) as target:
        target.write(b"[")
        for number, row in enumerate(rows):
            text = json.dumps(row, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
            target.write(((",\n" if number else "\n") + text).encode())
        target.write(b"\n]\n")


def _copy_file(archive: zipfile.ZipFile, name: str, stored) -> bool:
    """Copy one stored file into the archive; False when storage no longer has it."""
    try:
        source = stored.open("rb")
    except OSError:
        return False
    with source, archive.open(name, "w", force_zip64=True) as target:
        while chunk := source.read(CHUNK):
            target.write(chunk)
    return True


def subject_access_build(*, person: Person, by: Person) -> IO[bytes]:
    """The archive for `person` in a temporary file, rewound; the download is audited with
    ids only. The caller streams it and closing it deletes it."""
    from resources.models import FileVersion

    made = timezone.now()
    archive_file = tempfile.TemporaryFile(suffix=".zip")
    described: list[str] = []
    with zipfile.ZipFile(archive_file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for model, holding in downloaded_holdings():
            _write_json(archive, f"{holding.kind}.json", rows_for(model, holding, person))
            described.append(
                f"{holding.kind}.json\n    {KIND_DESCRIPTIONS.get(holding.kind, holding.kind)}"
            )
        versions = FileVersion.objects.filter(uploaded_by=person).select_related("file")
        missing = [
            archive_name(version)
            for version in versions.order_by("pk").iterator(chunk_size=100)
            if not _copy_file(archive, archive_name(version), version.blob)
        ]
        if missing:
            described.append(
                "Missing files\n    These uploads are listed in file_versions.json but their "
                "files could not be read from storage: " + ", ".join(missing)
            )
        archive.writestr(
            "README.txt",
            README.format(
                name=person.name,
                pk=person.pk,
                made=made.astimezone(datetime.UTC).strftime("%d %B %Y at %H:%M"),
                files="\n".join(described),
            ),
        )
    audit_record(
        action=AuditEntry.Action.SUBJECT_ACCESS,
        actor=by,
        subject=person,
        detail={"by_admin": by.pk != person.pk},
    )
    archive_file.seek(0)
    return archive_file


def archive_name(version) -> str:
    original = version.original_name.replace("/", "_").replace("\\", "_") or "file"
    return f"files/{version.file.resource_id}/{version.pk}-{original}"


def download_name(person: Person) -> str:
    return f"staffroom-data-{person.pk}-{timezone.now():%Y-%m-%d}.zip"

"""A member of staff downloads everything Staffroom holds about them, and a trust admin can
make the same download for a subject access request sent by email."""

import hashlib
import io
import json
import zipfile

import pytest
from axes.models import AccessAttempt

from audit.models import AuditEntry
from people.personal_data import downloaded_holdings, rows_about
from people.subject_access import archive_name
from tests.factories import PersonFactory, sign_in_with_identity_provider
from tests.people.leaver import EMAIL, build_leaver

pytestmark = pytest.mark.django_db

MY_DATA_URL = "/people/me/data/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def download(client) -> zipfile.ZipFile:
    response = client.post(MY_DATA_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_download_holds_every_row_and_every_file_the_inventory_lists(client):
    leaver = build_leaver()
    sign_in_with_identity_provider(client, leaver.person)
    # Signing in clears the failed attempts being counted; one more since.
    AccessAttempt.objects.create(username=EMAIL, ip_address="192.0.2.9", failures_since_start=1)

    archive = download(client)

    made_after = AuditEntry.objects.filter(action=AuditEntry.Action.SUBJECT_ACCESS).values("pk")
    names = set(archive.namelist())
    counted = {}
    for model, holding in downloaded_holdings():
        rows = json.loads(archive.read(f"{holding.kind}.json"))
        # The download's own audit entry is written once the archive is made.
        expected = rows_about(model, holding, leaver.person)
        if model is AuditEntry:
            expected = expected.exclude(pk__in=made_after)
        assert len(rows) == expected.count(), holding.kind
        assert sorted(row["id"] for row in rows) == sorted(expected.values_list("pk", flat=True))
        counted[holding.kind] = len(rows)
    for version in leaver.versions:
        stored = version.blob.open("rb").read()
        assert hashlib.sha256(archive.read(archive_name(version))).hexdigest() == (
            hashlib.sha256(stored).hexdigest()
        )
        assert archive_name(version) in names
    readme = archive.read("README.txt").decode()
    for _model, holding in downloaded_holdings():
        assert f"{holding.kind}.json" in readme
    # One or more of everything the leaver has, including the anonymous post and revisions.
    for kind in [
        "profile",
        "subjects_taught",
        "roles",
        "memberships",
        "join_requests",
        "threads",
        "posts",
        "post_revisions",
        "reactions",
        "follows",
        "reads",
        "mentions",
        "notifications",
        "notification_preferences",
        "bookmarks",
        "collections",
        "resources",
        "file_versions",
        "reports_made",
        "suspensions",
        "sign_in_events",
        "failed_sign_ins",
        "failed_sign_in_log",
        "sign_in_log",
        "email_addresses",
        "identity_provider_accounts",
        "authenticator_apps",
        "completed_forms",
        "audit_entries",
        "safeguarding_roles",
        "safeguarding_concerns_raised",
    ]:
        assert counted[kind] >= 1, kind
    # What they wrote in a concern is about a child and stays with the leads.
    (concern,) = json.loads(archive.read("safeguarding_concerns_raised.json"))
    assert "what_happened" not in concern and "who_involved" not in concern
    posts = json.loads(archive.read("posts.json"))
    assert any(post["is_anonymous"] for post in posts)
    assert counted["sign_in_events"] == 2  # the refused one with their email too


def test_the_download_names_nobody_else_and_holds_no_secrets(client):
    leaver = build_leaver()
    sign_in_with_identity_provider(client, leaver.person)

    archive = download(client)

    text = "\n".join(
        archive.read(name).decode() for name in archive.namelist() if name.endswith(".json")
    )
    assert leaver.colleague.get_full_name() not in text
    assert leaver.colleague.email not in text
    assert "password" not in json.loads(archive.read("profile.json"))[0]
    notifications = json.loads(archive.read("notifications.json"))
    assert all("actor" not in row for row in notifications)  # the anonymous replier
    reports = json.loads(archive.read("reports_made.json"))
    assert {row["post"] for row in reports} == {leaver.anonymous_post.pk}  # not reports on them
    audit = json.loads(archive.read("audit_entries.json"))
    revealed = [row for row in audit if row["action"] == AuditEntry.Action.REVEAL_AUTHOR]
    assert revealed and revealed[0]["actor"] is None
    assert all("key" not in row for row in json.loads(archive.read("authenticator_apps.json")))


def test_the_download_is_audited_with_ids_only(client):
    leaver = build_leaver()
    sign_in_with_identity_provider(client, leaver.person)

    download(client)

    entry = AuditEntry.objects.get(action=AuditEntry.Action.SUBJECT_ACCESS)
    assert (entry.actor_id, entry.subject_id) == (leaver.person.pk, leaver.person.pk)
    assert EMAIL not in json.dumps(entry.detail) + entry.reason


def test_the_page_explains_the_download_and_the_profile_links_to_it(client, primary_teacher):
    sign_in_with_identity_provider(client, primary_teacher)

    page = client.get(MY_DATA_URL)
    profile = client.get(f"/people/{primary_teacher.pk}/")

    assert page.status_code == 200
    assert "Download my data" in page.content.decode()
    assert MY_DATA_URL in profile.content.decode()


def test_a_person_with_nothing_yet_still_gets_a_complete_archive(client):
    person = PersonFactory()
    sign_in_with_identity_provider(client, person)

    archive = download(client)

    assert json.loads(archive.read("posts.json")) == []
    assert len(json.loads(archive.read("profile.json"))) == 1


def test_a_trust_admin_downloads_a_named_persons_data_and_it_is_audited(client, trust_admin):
    leaver = build_leaver()
    sign_in_with_identity_provider(client, trust_admin)

    found = client.get("/admin/staff-data/", {"q": "quillfeather"})
    response = client.post(f"/admin/staff-data/{leaver.person.pk}/download/")

    assert EMAIL in found.content.decode()
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert json.loads(archive.read("profile.json"))[0]["email"] == EMAIL
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SUBJECT_ACCESS)
    assert (entry.actor_id, entry.subject_id) == (trust_admin.pk, leaver.person.pk)
    assert entry.detail == {"by_admin": True}


def test_staff_cannot_download_someone_elses_data(client, primary_teacher):
    other = PersonFactory()
    sign_in_with_identity_provider(client, primary_teacher)

    response = client.post(f"/admin/staff-data/{other.pk}/download/")

    assert response.status_code in (302, 403)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.SUBJECT_ACCESS).exists()


def test_an_unknown_person_is_not_found(client, trust_admin):
    sign_in_with_identity_provider(client, trust_admin)

    assert client.post("/admin/staff-data/999999/download/").status_code == 404
    assert client.get("/admin/staff-data/999999/erase/").status_code == 404

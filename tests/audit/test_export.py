"""The trust admin reads and exports the whole log, filtered by action and date range, from the
site or from the Wagtail admin's settings menu; nobody else can."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from tests.factories import sign_in_with_identity_provider

pytestmark = pytest.mark.django_db

AUDIT = reverse("forums:audit_log")
EXPORT = reverse("forums:audit_export")


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8")[1:])))


@pytest.mark.parametrize(
    "persona", ["primary_teacher", "secondary_maths_lead", "moderator", "central_team_editor"]
)
def test_only_trust_admins_export(client, persona, request):
    sign_in_with_identity_provider(client, request.getfixturevalue(persona))

    assert client.get(EXPORT).status_code == 403
    assert client.get(EXPORT, {"action": "sign_in"}).status_code == 403


def test_visitors_who_are_not_signed_in_are_sent_to_sign_in(client):
    response = client.get(EXPORT)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:sign_in"))


def test_the_export_filters_sign_ins_and_role_changes_by_action_and_date_range(
    client, trust_admin, primary_teacher
):
    now = timezone.now()
    for days_ago, action in [
        (40, AuditEntry.Action.SIGN_IN),
        (10, AuditEntry.Action.SIGN_IN),
        (10, AuditEntry.Action.ROLE_GRANTED),
        (2, AuditEntry.Action.SIGN_IN),
    ]:
        AuditEntry.objects.create(
            action=action,
            actor=primary_teacher,
            subject=primary_teacher,
            address="192.0.2.7",
            created_at=now - timedelta(days=days_ago),
        )
    sign_in_with_identity_provider(client, trust_admin)
    today = timezone.localdate()

    header, *entries = rows(
        client.get(
            EXPORT,
            {
                "action": "sign_in",
                "date_from": (today - timedelta(days=20)).isoformat(),
                "date_to": (today - timedelta(days=5)).isoformat(),
            },
        )
    )

    assert len(entries) == 1
    entry = dict(zip(header, entries[0], strict=True))
    assert entry["Action"] == "Signed in"
    assert entry["Done by (id)"] == str(primary_teacher.pk)
    assert entry["Person acted upon (id)"] == str(primary_teacher.pk)
    assert entry["Address"] == "192.0.2.7"


def test_an_entry_of_someone_since_deleted_exports_with_their_id_only(client, trust_admin):
    from tests.factories import PersonFactory

    gone = PersonFactory(first_name="Former", last_name="Colleague")
    AuditEntry.objects.create(action=AuditEntry.Action.SIGN_IN_FAILED, subject=gone)
    gone_id = gone.pk
    gone.delete()
    sign_in_with_identity_provider(client, trust_admin)

    header, *entries = rows(client.get(EXPORT, {"action": "sign_in_failed"}))

    entry = dict(zip(header, entries[0], strict=True))
    assert entry["Person acted upon"] == f"Deleted account {gone_id}"
    assert entry["Person acted upon (id)"] == str(gone_id)


def test_the_wagtail_admin_lists_the_log_for_trust_admins_only(
    client, trust_admin, central_team_editor
):
    sign_in_with_identity_provider(client, trust_admin)
    assert AUDIT in client.get("/admin/").content.decode()

    client.logout()
    sign_in_with_identity_provider(client, central_team_editor)
    admin = client.get("/admin/")
    assert admin.status_code == 200
    assert AUDIT not in admin.content.decode()


def test_the_done_by_filter_lists_who_acted_not_everyone_who_signed_in(
    client, trust_admin, moderator, primary_teacher
):
    from audit.selectors import actors
    from forums import moderation
    from tests.forums.factories import PostFactory

    sign_in_with_identity_provider(client, primary_teacher)
    sign_in_with_identity_provider(client, moderator)
    moderation.post_hide(post=PostFactory(), moderator=moderator, reason="Unkind")

    assert list(actors()) == [moderator]

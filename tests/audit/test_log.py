"""What reaches the trust's audit log, and what does not: sign-ins, refusals, role and access
changes from anywhere (with who made them), reports and deletions, always by id, never by the
name or email that erasure must be able to remove."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.http import HttpResponse
from django.test import RequestFactory

from audit.context import AuditContextMiddleware
from audit.models import AuditEntry
from forums import moderation
from forums.models import Report
from people.models import SignInEvent
from people.roles import Role
from people.services import sign_in_event_record
from people.staff_import import COLUMNS, staff_rows_import
from tests.factories import PASSWORD, PersonFactory, sign_in_with_identity_provider
from tests.forums.factories import PostFactory
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action


def entries(action: str, after: int = 0) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, pk__gt=after).order_by("pk"))


def last_entry_id() -> int:
    """Where a test's own entries start: making the personas gives them roles, logged too."""
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def no_personal_text(entry: AuditEntry, person) -> bool:
    text = repr([entry.reason, entry.detail])
    return all(
        value.lower() not in text.lower()
        for value in (person.email, person.first_name, person.last_name)
    )


def test_a_password_sign_in_and_a_failed_one_are_logged_by_id(client, primary_teacher):
    client.post("/people/sign-in/", {"username": primary_teacher.email, "password": "wrong"})
    client.post("/people/sign-in/", {"username": primary_teacher.email, "password": PASSWORD})

    [failed] = entries(Action.SIGN_IN_FAILED)
    [signed_in] = entries(Action.SIGN_IN)
    assert failed.subject_id == primary_teacher.pk and failed.actor_id is None
    assert failed.address == "127.0.0.1"
    assert (signed_in.actor, signed_in.subject) == (primary_teacher, primary_teacher)
    assert signed_in.detail == {"how": "password"}
    assert no_personal_text(failed, primary_teacher)


def test_a_failed_sign_in_to_no_known_account_keeps_nothing_of_what_was_typed(client):
    client.post("/people/sign-in/", {"username": "nobody@trust.example", "password": "x"})

    [failed] = entries(Action.SIGN_IN_FAILED)
    assert failed.subject_id is None and failed.actor_id is None
    assert "nobody" not in repr([failed.reason, failed.detail])


def test_identity_provider_sign_ins_and_refusals_are_logged(client, primary_teacher):
    sign_in_with_identity_provider(client, primary_teacher)
    sign_in_event_record(
        outcome=SignInEvent.Outcome.REFUSED,
        reason="wrong_organisation",
        provider="google",
        email=primary_teacher.email,
        person=primary_teacher,
    )

    [signed_in] = entries(Action.SIGN_IN)
    [refused] = entries(Action.SIGN_IN_REFUSED)
    assert signed_in.detail == {"how": "identity provider"}
    assert refused.subject == primary_teacher
    assert refused.detail == {"reason": "wrong_organisation", "provider": "google"}
    assert no_personal_text(refused, primary_teacher)


def test_roles_given_and_taken_from_either_side_are_logged(primary_teacher):
    moderators = Group.objects.get(name=Role.MODERATOR.value)
    leads = Group.objects.get(name=Role.NETWORK_LEAD.value)
    start = last_entry_id()

    primary_teacher.groups.add(moderators)
    leads.user_set.add(primary_teacher)
    primary_teacher.groups.remove(moderators)
    primary_teacher.groups.clear()

    granted = [(e.subject_id, e.detail["role"]) for e in entries(Action.ROLE_GRANTED, start)]
    removed = [(e.subject_id, e.detail["role"]) for e in entries(Action.ROLE_REMOVED, start)]
    assert granted == [
        (primary_teacher.pk, Role.MODERATOR.value),
        (primary_teacher.pk, Role.NETWORK_LEAD.value),
    ]
    # The clear took away the Staff role the persona was made with, and the lead role.
    assert removed == [
        (primary_teacher.pk, Role.MODERATOR.value),
        *sorted(
            [(primary_teacher.pk, Role.STAFF.value), (primary_teacher.pk, Role.NETWORK_LEAD.value)],
            key=lambda pair: Group.objects.get(name=pair[1]).pk,
        ),
    ]


def test_direct_permissions_and_access_flags_are_logged(primary_teacher):
    permission = Permission.objects.get(codename="change_post")
    start = last_entry_id()

    primary_teacher.user_permissions.add(permission)
    primary_teacher.user_permissions.remove(permission)
    primary_teacher.is_superuser = True
    primary_teacher.is_staff = True
    primary_teacher.save()
    primary_teacher.is_active = False
    primary_teacher.save(update_fields=["is_active"])
    primary_teacher.is_active = True
    primary_teacher.save()

    assert [e.detail for e in entries(Action.PERMISSION_GRANTED)] == [
        {"permission": "forums.change_post"}
    ]
    assert len(entries(Action.PERMISSION_REMOVED)) == 1
    assert sorted(e.detail["role"] for e in entries(Action.ROLE_GRANTED, start)) == [
        "Superuser",
        "Wagtail admin access",
    ]
    assert [e.subject for e in entries(Action.ACCOUNT_DEACTIVATED)] == [primary_teacher]
    assert [e.subject for e in entries(Action.ACCOUNT_REACTIVATED)] == [primary_teacher]


def test_saving_a_profile_writes_no_entry(primary_teacher):
    start = last_entry_id()
    primary_teacher.job_title = "Year 4 teacher"
    primary_teacher.save()
    primary_teacher.save(update_fields=["last_login"])

    assert not AuditEntry.objects.filter(pk__gt=start).exists()


def test_a_change_made_in_a_request_names_who_made_it(trust_admin, primary_teacher):
    request = RequestFactory().post("/admin/users/", REMOTE_ADDR="192.0.2.10")
    request.user = trust_admin
    moderators = Group.objects.get(name=Role.MODERATOR.value)
    start = last_entry_id()

    def change(request) -> HttpResponse:
        primary_teacher.groups.add(moderators)
        return HttpResponse()

    AuditContextMiddleware(change)(request)

    [entry] = entries(Action.ROLE_GRANTED, start)
    assert (entry.actor, entry.subject, entry.address) == (
        trust_admin,
        primary_teacher,
        "192.0.2.10",
    )


def test_a_staff_import_logs_each_role_it_gives_or_takes():
    row = {
        "email": "sam.new@oakfield.example",
        "first_name": "Sam",
        "last_name": "New",
        "job_title": "Teacher",
        "school_urn": "",
        "roles": "Moderators",
        "subjects": "",
        "phases": "",
    }
    report = staff_rows_import(rows=[(2, row)])
    assert report.ok, report.problems
    staff_rows_import(rows=[(2, {**row, "roles": "Network leads"})])

    granted = [e.detail["role"] for e in entries(Action.ROLE_GRANTED)]
    removed = [e.detail["role"] for e in entries(Action.ROLE_REMOVED)]
    assert sorted(granted[:2]) == sorted([Role.STAFF.value, Role.MODERATOR.value])
    assert granted[2:] == [Role.NETWORK_LEAD.value]
    assert removed == [Role.MODERATOR.value]
    assert all(e.detail["by"] == "staff import" for e in entries(Action.ROLE_GRANTED))
    assert {e.subject.email for e in entries(Action.ROLE_GRANTED)} == {"sam.new@oakfield.example"}


def test_a_dry_run_import_logs_nothing():
    row = dict.fromkeys(COLUMNS, "") | {
        "email": "dry.run@oakfield.example",
        "first_name": "Dry",
        "last_name": "Run",
        "roles": "Moderators",
    }
    report = staff_rows_import(rows=[(2, row)], dry_run=True)
    assert report.ok, report.problems

    assert not AuditEntry.objects.exists()


def test_reports_and_removals_are_logged(primary_teacher, moderator):
    post = PostFactory()
    report = moderation.report_create(
        post=post, reporter=primary_teacher, reason=Report.Reason.SPAM, details="Selling cars"
    )

    [made] = entries(Action.REPORT_MADE)
    assert (made.actor, made.post, made.report) == (primary_teacher, post, report)
    assert made.detail == {"reason": "spam"}
    assert "Selling cars" not in repr([made.reason, made.detail])


def test_deleting_a_resource_and_its_files_is_logged():
    resource = ResourceFactory()
    file = resource.files.create(title="Slides")
    ids = (resource.pk, file.pk, resource.author_id)

    resource.delete()

    [deleted] = entries(Action.RESOURCE_DELETED)
    [file_deleted] = entries(Action.FILE_DELETED)
    assert (deleted.detail["resource"], file_deleted.detail["file"], deleted.subject_id) == ids
    assert file_deleted.detail["resource"] == ids[0]


def test_an_anonymous_posts_erasure_keeps_its_author_out_of_the_page(client, trust_admin):
    author = PersonFactory(first_name="Hidden", last_name="Writer")
    post = PostFactory(author=author, is_anonymous=True, thread__forum__allows_anonymous_posts=True)
    post.delete()
    sign_in_with_identity_provider(client, trust_admin)

    page = client.get("/forums/moderation/audit/", {"action": "post_erased"}).content.decode()

    assert entries(Action.POST_ERASED)[0].subject_id == author.pk
    assert "Hidden" not in page and moderation.ANONYMOUS_SUBJECT in page

import pytest
from django.contrib.auth.models import Group
from wagtail.models import GroupApprovalTask, GroupPagePermission, Page

from people.roles import (
    PAGE_PERMISSIONS,
    ROLE_PERMISSIONS,
    Role,
    _permissions,
    role_names,
    sync_roles,
)

pytestmark = pytest.mark.django_db


def test_every_role_exists_as_a_group_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= {role.value for role in Role}


@pytest.mark.parametrize("role", list(Role))
def test_every_permission_a_role_names_exists(role):
    found = {
        f"{p.content_type.app_label}.{p.codename}" for p in _permissions(ROLE_PERMISSIONS[role])
    }

    assert found == set(ROLE_PERMISSIONS[role])


def test_the_central_team_edits_and_publishes_pages_and_plain_staff_do_not():
    root = Page.get_first_root_node()

    def page_permissions(role: Role) -> set[str]:
        return set(
            GroupPagePermission.objects.filter(group__name=role.value, page=root).values_list(
                "permission__codename", flat=True
            )
        )

    assert page_permissions(Role.CENTRAL_TEAM) == set(PAGE_PERMISSIONS)
    assert page_permissions(Role.STAFF) == set()
    assert page_permissions(Role.MODERATOR) == set()


def test_the_approval_workflow_belongs_to_the_central_team():
    task = GroupApprovalTask.objects.get()

    assert task.name == "Central team approval"
    assert list(task.groups.values_list("name", flat=True)) == [Role.CENTRAL_TEAM.value]


def test_syncing_again_changes_nothing_and_restores_edited_permissions():
    staff = Group.objects.get(name=Role.STAFF.value)
    staff.permissions.set(_permissions(["wagtailadmin.access_admin"]))
    before = {
        group.name: set(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.all()
    }

    sync_roles()
    sync_roles()

    after = {
        group.name: set(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.all()
    }
    assert after[Role.STAFF.value] == set()
    assert after[Role.CENTRAL_TEAM.value] == before[Role.CENTRAL_TEAM.value]
    assert Group.objects.filter(name=Role.STAFF.value).count() == 1


def _django_permissions(person) -> set[str]:
    """What Django's own ModelBackend says, read fresh."""
    from django.contrib.auth.backends import ModelBackend

    fresh = type(person).objects.get(pk=person.pk)
    return ModelBackend().get_all_permissions(fresh)


@pytest.mark.parametrize("kind", ["staff", "central_team", "direct", "superuser", "inactive"])
def test_a_persons_permissions_and_roles_are_read_in_one_query_and_match_djangos(
    kind, django_assert_num_queries
):
    from django.contrib.auth.models import Permission

    from people.backends import PasswordBackend
    from people.models import Person
    from tests.factories import PersonFactory

    person = PersonFactory(is_superuser=kind == "superuser", is_active=kind != "inactive")
    role = Role.CENTRAL_TEAM if kind == "central_team" else Role.STAFF
    person.groups.add(Group.objects.get(name=role.value))
    if kind == "direct":
        person.user_permissions.add(Permission.objects.get(codename="view_logentry"))
    fresh = Person.objects.get(pk=person.pk)

    with django_assert_num_queries(0 if kind == "inactive" else 1):
        found = PasswordBackend().get_all_permissions(fresh)
        PasswordBackend().get_all_permissions(fresh)  # the second ask is cached
        if kind != "inactive":
            roles = role_names(fresh)  # read with the permissions

    assert found == _django_permissions(person)
    if kind != "inactive":
        assert roles == set(person.groups.values_list("name", flat=True)) >= {role.value}
    if kind == "inactive":
        assert found == set()
    if kind in {"central_team", "superuser"}:
        assert "wagtailadmin.access_admin" in found
    if kind == "direct":
        assert "admin.view_logentry" in found


def test_role_names_asked_first_also_read_the_permissions(django_assert_num_queries):
    from people.backends import PasswordBackend
    from people.models import Person
    from tests.factories import PersonFactory

    person = PersonFactory()
    person.groups.add(Group.objects.get(name=Role.CENTRAL_TEAM.value))
    fresh = Person.objects.get(pk=person.pk)

    with django_assert_num_queries(1):
        roles = role_names(fresh)
        permissions = PasswordBackend().get_all_permissions(fresh)

    assert Role.CENTRAL_TEAM.value in roles
    assert roles == set(person.groups.values_list("name", flat=True))
    assert permissions == _django_permissions(person)


def test_a_person_without_roles_or_permissions_has_none():
    from people.models import Person
    from tests.factories import PersonFactory

    fresh = Person.objects.get(pk=PersonFactory().pk)
    fresh.groups.clear()

    assert role_names(fresh) == set()
    assert fresh.get_all_permissions() == set()


def test_reading_a_persons_access_uses_their_rows_only_however_many_staff_there_are():
    """One query asking "their own permission OR a role's" could not use the person's index
    and read every membership of every role: 0.24 s a page with 10,000 staff on SQLite."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from people.models import Person
    from people.roles import load_access
    from tests.factories import PersonFactory

    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's query plan; PostgreSQL plans its own way")
    staff, central = (
        Group.objects.get(name=role.value) for role in (Role.STAFF, Role.CENTRAL_TEAM)
    )
    people = Person.objects.bulk_create(
        Person(email=f"teacher{number}@school.example") for number in range(500)
    )
    staff.user_set.add(*people)
    central.user_set.add(*people[:5])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    person = Person.objects.get(pk=PersonFactory().pk)

    with CaptureQueriesContext(connection) as queries:
        load_access(person)
    [query] = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
        plan = [row[-1] for row in cursor.fetchall()]

    assert not [step for step in plan if step.startswith("SCAN")], plan

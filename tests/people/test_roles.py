import pytest
from django.contrib.auth.models import Group
from wagtail.models import GroupApprovalTask, GroupPagePermission, Page

from people.roles import PAGE_PERMISSIONS, ROLE_PERMISSIONS, Role, _permissions, sync_roles

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

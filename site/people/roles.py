"""Roles are Django groups with a fixed set of permissions, kept in step after every migrate."""

from enum import StrEnum

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Value


class Role(StrEnum):
    STAFF = "Staff"
    NETWORK_LEAD = "Network leads"
    MODERATOR = "Moderators"
    CENTRAL_TEAM = "Central team"
    TRUST_ADMIN = "Trust admins"

    @property
    def description(self) -> str:
        return ROLE_DESCRIPTIONS[self]


ROLE_DESCRIPTIONS = {
    Role.STAFF: "Every member of staff: reads, shares and discusses.",
    Role.NETWORK_LEAD: "Leads a subject network: curates and endorses its resources.",
    Role.MODERATOR: "Acts on reported posts, with an audit trail.",
    Role.CENTRAL_TEAM: "Publishes the trust's principles, news and shared focus in Wagtail.",
    Role.TRUST_ADMIN: "Runs Staffroom: schools, staff, roles and settings.",
}

_EDITOR_PERMISSIONS = [
    "wagtailadmin.access_admin",
    "wagtailimages.add_image",
    "wagtailimages.change_image",
    "wagtailimages.choose_image",
    "wagtaildocs.add_document",
    "wagtaildocs.change_document",
    "wagtaildocs.choose_document",
]

# Django permission codenames ("app_label.codename") each role holds, on top of the ones
# the roles below it hold.
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.STAFF: [],
    Role.NETWORK_LEAD: [],
    Role.MODERATOR: [],
    Role.CENTRAL_TEAM: [
        *_EDITOR_PERMISSIONS,
        "networks.add_network",
        "networks.change_network",
        "networks.view_network",
    ],
    Role.TRUST_ADMIN: [
        *_EDITOR_PERMISSIONS,
        "wagtailimages.delete_image",
        "wagtaildocs.delete_document",
        "people.add_school",
        "people.change_school",
        "people.delete_school",
        "people.add_person",
        "people.change_person",
        "people.view_person",
        "networks.add_subject",
        "networks.change_subject",
        "networks.delete_subject",
        "networks.add_network",
        "networks.change_network",
        "networks.delete_network",
        "networks.view_network",
        "wagtailcore.change_site",
        "cms.change_trustbranding",
        # Resetting an admin's authenticator app (people.two_step).
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "people.view_signinevent",
    ],
}

PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]
PAGE_EDITOR_ROLES = [Role.CENTRAL_TEAM, Role.TRUST_ADMIN]
# Wagtail's own starter groups are replaced by the roles above.
WAGTAIL_STARTER_GROUPS = ["Editors"]


def _permissions(names: list[str]) -> list[Permission]:
    found = []
    for name in names:
        app_label, codename = name.split(".")
        found.extend(
            Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        )
    return found


@transaction.atomic
def sync_roles() -> dict[Role, Group]:
    """Create the role groups and give each exactly its permissions. Safe to run again."""
    from wagtail.models import GroupApprovalTask, GroupPagePermission, Page, Workflow

    groups = {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}
    for role, group in groups.items():
        group.permissions.set(_permissions(ROLE_PERMISSIONS[role]))

    root = Page.get_first_root_node()
    if root is not None:
        page_permissions = {
            p.codename: p
            for p in Permission.objects.filter(
                content_type__app_label="wagtailcore", codename__in=PAGE_PERMISSIONS
            )
        }
        for role, group in groups.items():
            GroupPagePermission.objects.filter(group=group).exclude(page=root).delete()
            wanted = page_permissions.values() if role in PAGE_EDITOR_ROLES else []
            GroupPagePermission.objects.filter(group=group, page=root).exclude(
                permission__in=list(wanted)
            ).delete()
            for permission in wanted:
                GroupPagePermission.objects.get_or_create(
                    group=group, page=root, permission=permission
                )

    Group.objects.filter(name__in=WAGTAIL_STARTER_GROUPS, user__isnull=True).delete()

    # Wagtail's starter approval workflow is the central team's: one member drafts and
    # submits, another approves.
    for task in GroupApprovalTask.objects.all():
        task.groups.set([groups[Role.CENTRAL_TEAM]])
        if task.name == "Moderators approval":
            task.name = "Central team approval"
            task.save(update_fields=["name"])
    Workflow.objects.filter(name="Moderators approval").update(name="Central team approval")
    return groups


def sync_roles_after_migrate(*, app_config, **kwargs) -> None:
    """post_migrate comes once per app with models, in INSTALLED_APPS order: act after the
    last one, when every app's permissions exist."""
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if app_config.label == with_models[-1].label:
        sync_roles()


CENTRAL_ROLES = {Role.CENTRAL_TEAM.value, Role.TRUST_ADMIN.value}


# Marks a role's row among permission rows in load_access's one query: no app label is empty.
_ROLE_ROW = ""


def load_access(person) -> None:
    """Read what the person may do, their own and their roles' permissions and their role
    names, in one query, and keep both on the person object for the rest of the request:
    every page asks for permissions (the header) and many for roles.

    Each part of the union reaches the person's rows through its own join: one join asking
    "their own permission OR their role's" could not use the person's index, and read every
    membership of every role (a quarter of a second per page with 10,000 staff on SQLite)."""
    fields = ("content_type__app_label", "codename")
    if person.is_superuser:
        permissions = [Permission.objects.order_by().values_list(*fields)]
    else:
        permissions = [
            Permission.objects.filter(user=person).order_by().values_list(*fields),
            Permission.objects.filter(group__user=person).order_by().values_list(*fields),
        ]
    roles = Group.objects.filter(user=person).order_by().values_list(Value(_ROLE_ROW), "name")
    rows = permissions[0].union(*permissions[1:], roles)
    person._perm_cache = set()
    person._role_names = set()
    for app_label, name in rows:
        if app_label == _ROLE_ROW:
            person._role_names.add(name)
        else:
            person._perm_cache.add(f"{app_label}.{name}")


def role_names(person) -> set[str]:
    """The person's role names, read once per person object."""
    if not getattr(person, "is_authenticated", False):
        return set()
    if getattr(person, "_role_names", None) is None:
        load_access(person)
    return person._role_names


def is_central(person) -> bool:
    """The central team and trust admins see and edit across every network."""
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return False
    return person.is_superuser or bool(role_names(person) & CENTRAL_ROLES)

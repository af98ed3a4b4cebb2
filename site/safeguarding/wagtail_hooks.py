"""Trust admins name each school's safeguarding leads in the Wagtail admin, beside Schools."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from wagtail.admin.panels import FieldPanel
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from people.roles import Role, role_names
from safeguarding.models import SafeguardingLead


def _is_trust_admin(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or Role.TRUST_ADMIN.value in role_names(user)


class TrustAdminsOnly(BasePermissionPolicy):
    """Who leads safeguarding is the trust admins' to set (people.roles holds no permission
    for it, so this does not depend on the role sync)."""

    def user_has_permission(self, user, action) -> bool:
        return _is_trust_admin(user)

    def user_has_any_permission(self, user, actions) -> bool:
        return _is_trust_admin(user)

    def users_with_any_permission(self, actions):
        return (
            get_user_model()
            .objects.filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(groups__name=Role.TRUST_ADMIN.value))
            .distinct()
        )

    def users_with_permission(self, action):
        return self.users_with_any_permission([action])


class SafeguardingLeadViewSet(SnippetViewSet):
    model = SafeguardingLead
    icon = "warning"
    menu_label = "Safeguarding leads"
    add_to_admin_menu = True
    menu_order = 251
    list_display = ["person", "role", "school"]
    list_filter = ["role", "school"]
    ordering = ["school__name", "role"]
    panels = [FieldPanel("person"), FieldPanel("role"), FieldPanel("school")]


register_permission_policy(SafeguardingLead, TrustAdminsOnly(SafeguardingLead))
register_snippet(SafeguardingLeadViewSet)

from django.urls import reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from forums.moderation import can_read_audit


class AuditLogMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return can_read_audit(request.user)


@hooks.register("register_settings_menu_item")
def register_audit_log_menu_item() -> MenuItem:
    """The trust's audit log (sign-ins, roles, moderation, deletions) for trust admins."""
    return AuditLogMenuItem(
        "Audit log", reverse("forums:audit_log"), icon_name="history", order=280
    )

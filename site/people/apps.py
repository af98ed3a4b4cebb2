from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_save


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People and schools"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from people import signals
        from people.roles import sync_roles_after_migrate
        from people.signals import close_live_sockets, close_live_sockets_when_switched_off

        # Every app's permissions must exist first, so this listens to all of them.
        post_migrate.connect(sync_roles_after_migrate)
        user_logged_out.connect(close_live_sockets, dispatch_uid="close_live_sockets")
        post_save.connect(
            close_live_sockets_when_switched_off,
            sender=self.get_model("Person"),
            dispatch_uid="close_live_sockets_when_switched_off",
        )
        Person = self.get_model("Person")
        user_logged_in.connect(signals.audit_signed_in, dispatch_uid="audit_signed_in")
        user_login_failed.connect(signals.audit_sign_in_failed, dispatch_uid="audit_sign_in_failed")
        user_locked_out.connect(signals.audit_locked_out, dispatch_uid="audit_locked_out")
        pre_save.connect(signals.remember_access_flags, sender=Person, dispatch_uid="audit_flags")
        post_save.connect(signals.audit_access_flags, sender=Person, dispatch_uid="audit_flags")
        post_delete.connect(
            signals.audit_person_deleted, sender=Person, dispatch_uid="audit_person_deleted"
        )
        m2m_changed.connect(
            signals.audit_roles_changed, sender=Person.groups.through, dispatch_uid="audit_roles"
        )
        m2m_changed.connect(
            signals.audit_permissions_changed,
            sender=Person.user_permissions.through,
            dispatch_uid="audit_permissions",
        )

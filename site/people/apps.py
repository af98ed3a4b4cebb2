from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People and schools"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

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

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People and schools"

    def ready(self) -> None:
        from people.roles import sync_roles_after_migrate

        # Every app's permissions must exist first, so this listens to all of them.
        post_migrate.connect(sync_roles_after_migrate)

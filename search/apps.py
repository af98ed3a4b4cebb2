from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Keeps the indexes current as resources, threads and pages change.
        from search import signals

        signals.connect()

from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Project wiring. An app only so that commands spanning every app (the demo trust)
    have a home that may import them all."""

    name = "config"
    verbose_name = "Staffroom"

from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "The trust's site"

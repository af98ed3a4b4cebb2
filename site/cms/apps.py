from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "The trust's site"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save
        from wagtail.models import Page
        from wagtail.signals import (
            page_published,
            page_slug_changed,
            page_unpublished,
            post_page_move,
        )

        from cms.models import TrustBranding, forget_branding
        from cms.navigation import forget_site_structure

        for signal in (page_published, page_unpublished, post_page_move, page_slug_changed):
            signal.connect(forget_site_structure, dispatch_uid="cms:forget_site_structure")
        post_delete.connect(
            forget_site_structure, sender=Page, dispatch_uid="cms:forget_site_structure"
        )
        for signal in (post_save, post_delete):
            signal.connect(forget_branding, sender=TrustBranding, dispatch_uid="cms:branding")

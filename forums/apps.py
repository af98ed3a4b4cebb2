from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ForumsConfig(AppConfig):
    name = "forums"
    verbose_name = "Forums"

    def ready(self) -> None:
        from forums.models import Post, Thread
        from forums.notifications import notify_resource_endorsed
        from forums.signals import (
            audit_post_erased,
            audit_thread_deleted,
            give_new_network_its_forum,
        )
        from networks.models import Network
        from resources.signals import resource_endorsed

        post_save.connect(give_new_network_its_forum, sender=Network, dispatch_uid="network_forum")
        resource_endorsed.connect(notify_resource_endorsed, dispatch_uid="endorsement_notice")
        post_delete.connect(audit_thread_deleted, sender=Thread, dispatch_uid="audit_thread")
        post_delete.connect(audit_post_erased, sender=Post, dispatch_uid="audit_post")

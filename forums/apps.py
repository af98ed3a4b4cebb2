from django.apps import AppConfig
from django.db.models.signals import post_save


class ForumsConfig(AppConfig):
    name = "forums"
    verbose_name = "Forums"

    def ready(self) -> None:
        from forums.signals import give_new_network_its_forum
        from networks.models import Network

        post_save.connect(give_new_network_its_forum, sender=Network, dispatch_uid="network_forum")

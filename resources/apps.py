from django.apps import AppConfig
from django.db.models.signals import post_delete


class ResourcesConfig(AppConfig):
    name = "resources"
    verbose_name = "Curriculum resources"

    def ready(self) -> None:
        from resources.signals import audit_file_deleted, audit_resource_deleted

        post_delete.connect(
            audit_resource_deleted, sender=self.get_model("Resource"), dispatch_uid="audit_res"
        )
        post_delete.connect(
            audit_file_deleted, sender=self.get_model("ResourceFile"), dispatch_uid="audit_file"
        )

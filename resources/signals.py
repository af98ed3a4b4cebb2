"""Signals other apps may listen to. Resources sit below forums, so forums hears of an
endorsement here rather than resources importing forums. Below them, deleting a resource or a
file is noted in the audit log, whatever route deletes it."""

from django.dispatch import Signal

# Sent after commit with `resource` and `endorser` when a network lead recommends a resource.
resource_endorsed = Signal()


def audit_resource_deleted(*, instance, **kwargs) -> None:
    from audit.models import AuditEntry
    from audit.services import record

    record(
        action=AuditEntry.Action.RESOURCE_DELETED,
        subject_id=instance.author_id,
        detail={"resource": instance.pk, "network": instance.network_id},
    )


def audit_file_deleted(*, instance, **kwargs) -> None:
    from audit.models import AuditEntry
    from audit.services import record

    record(
        action=AuditEntry.Action.FILE_DELETED,
        detail={"file": instance.pk, "resource": instance.resource_id},
    )

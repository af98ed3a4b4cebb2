"""Every network has its forum from the moment it exists. Networks cannot know about forums
(they sit below them), so forums listens for new networks. Threads and posts deleted outright,
by whatever route, are noted in the audit log."""

from forums.services import forum_for_network


def give_new_network_its_forum(*, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        forum_for_network(network=instance)


def audit_thread_deleted(*, instance, **kwargs) -> None:
    """Threads are only ever deleted outright (the admin, the shell): kept in the audit log."""
    from audit.models import AuditEntry
    from audit.services import record

    record(
        action=AuditEntry.Action.THREAD_DELETED,
        thread=instance,
        subject_id=instance.author_id,
        detail={"forum": instance.forum_id},
    )


def audit_post_erased(*, instance, **kwargs) -> None:
    """A post deleted from the database, not removed softly (forums.services.post_delete)."""
    from audit.models import AuditEntry
    from audit.services import record

    detail = {"anonymous": True} if instance.is_anonymous else {}
    record(
        action=AuditEntry.Action.POST_ERASED,
        post=instance,
        subject_id=instance.author_id,
        detail=detail,
    )

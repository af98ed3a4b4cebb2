"""The old moderation log (forums.AuditEntry) moves into the audit app with its ids, and the
guard is in place afterwards: no entry is lost on upgrade."""

import pytest
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor

from audit.models import AuditEntry

BEFORE_THE_MOVE = [
    ("audit", "0001_audit_entry"),
    ("forums", "0004_reactions_notifications_moderation"),
]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_the_moderation_log_is_copied_with_its_ids_and_then_guarded():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        executor = migrate([BEFORE_THE_MOVE[0]])
        old = executor.loader.project_state(BEFORE_THE_MOVE).apps
        person = old.get_model("people", "Person").objects.create(
            email="old.moderator@trust.example", first_name="Old", last_name="Moderator"
        )
        OldEntry = old.get_model("forums", "AuditEntry")
        first = OldEntry.objects.create(actor_id=person.pk, action="lock", reason="Heated")
        second = OldEntry.objects.create(
            actor_id=person.pk, action="suspend", subject_id=person.pk, detail={"ends_at": "x"}
        )
    finally:
        migrate(latest)

    copied = {entry.pk: entry for entry in AuditEntry.objects.all()}
    assert copied[first.pk].action == "lock" and copied[first.pk].reason == "Heated"
    assert copied[first.pk].actor_id == person.pk
    assert copied[second.pk].detail == {"ends_at": "x"}
    assert copied[second.pk].created_at == second.created_at
    assert "forums_auditentry" not in connection.introspection.table_names()
    newer = AuditEntry.objects.create(action="unlock", actor_id=person.pk)
    assert newer.pk > second.pk  # ids carry on after the copied ones
    with pytest.raises(IntegrityError):
        AuditEntry.objects.filter(pk=first.pk).delete()

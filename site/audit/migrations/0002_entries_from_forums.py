# Every entry of the old moderation log (forums.AuditEntry) copied with its id, before
# forums.0005 drops that table.

from django.core.management.color import no_style
from django.db import migrations

FIELDS = [
    "id", "action", "created_at", "actor_id", "subject_id", "post_id", "thread_id",
    "report_id", "reason", "detail",
]


def copy_entries(apps, schema_editor):
    Old = apps.get_model("forums", "AuditEntry")
    New = apps.get_model("audit", "AuditEntry")
    batch = []
    for row in Old.objects.order_by("pk").values(*FIELDS).iterator(chunk_size=1000):
        batch.append(New(**row))
        if len(batch) == 1000:
            New.objects.bulk_create(batch)
            batch = []
    New.objects.bulk_create(batch)
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [New]):
            cursor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_audit_entry'),
        ('forums', '0004_reactions_notifications_moderation'),
    ]

    operations = [
        migrations.RunPython(copy_entries, migrations.RunPython.noop),
    ]

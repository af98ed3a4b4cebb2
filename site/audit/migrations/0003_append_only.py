# UPDATE and DELETE on the audit log refused by the database itself (audit.append_only).

from django.db import migrations

from audit import append_only


def install(apps, schema_editor):
    append_only.install(schema_editor.connection)


def remove(apps, schema_editor):
    append_only.remove(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_entries_from_forums'),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]

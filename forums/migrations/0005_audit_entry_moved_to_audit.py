# The moderation log became the trust's audit log in the audit app; its rows were copied there
# by audit.0002_entries_from_forums.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('forums', '0004_reactions_notifications_moderation'),
        ('audit', '0002_entries_from_forums'),
    ]

    operations = [
        migrations.DeleteModel(
            name='AuditEntry',
        ),
    ]


import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('forums', '0004_reactions_notifications_moderation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('hide', 'Hid a post'), ('restore', 'Restored a post'), ('lock', 'Locked a thread'), ('unlock', 'Unlocked a thread'), ('pin', 'Pinned a thread'), ('unpin', 'Unpinned a thread'), ('move', 'Moved a thread'), ('suspend', 'Suspended someone from posting'), ('lift_suspension', 'Lifted a suspension'), ('dismiss_report', 'Dismissed a report'), ('reveal_author', 'Saw the author of an anonymous post'), ('remove_post', "Removed someone else's post"), ('report_made', 'Reported a post'), ('post_deleted', 'Removed their own post'), ('post_erased', 'Deleted a post from the database'), ('thread_deleted', 'Deleted a thread'), ('resource_deleted', 'Deleted a resource'), ('file_deleted', 'Deleted a resource file'), ('person_deleted', 'Deleted an account'), ('sign_in', 'Signed in'), ('sign_in_failed', 'Failed to sign in with a password'), ('sign_in_refused', 'Refused sign-in through an identity provider'), ('locked_out', 'Locked out after too many failed sign-ins'), ('password_reset_requested', 'Asked for a password reset'), ('role_granted', 'Given a role'), ('role_removed', 'Role taken away'), ('permission_granted', 'Given a permission directly'), ('permission_removed', 'Direct permission taken away'), ('account_deactivated', 'Account switched off'), ('account_reactivated', 'Account switched back on')], max_length=40)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('address', models.GenericIPAddressField(blank=True, null=True)),
                ('reason', models.TextField(blank=True, max_length=2000)),
                ('detail', models.JSONField(blank=True, default=dict)),
                ('actor', models.ForeignKey(blank=True, db_constraint=False, help_text='Who did it; empty for a failed sign-in to no known account.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='audit_entries', to=settings.AUTH_USER_MODEL)),
                ('post', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='forums.post')),
                ('report', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='forums.report')),
                ('subject', models.ForeignKey(blank=True, db_constraint=False, help_text='The person acted upon (the author, the suspended person, the new role holder).', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('thread', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='forums.thread')),
            ],
            options={
                'verbose_name_plural': 'audit entries',
                'db_table': 'audit_entry',
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['action', '-created_at'], name='audit_by_action')],
            },
        ),
    ]

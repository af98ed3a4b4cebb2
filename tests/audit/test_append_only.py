"""The audit log is append-only in the database itself: UPDATE and DELETE are refused whether
they come from the ORM or raw SQL, on SQLite and on PostgreSQL (tests/config/test_postgres.py
runs this file again there). Deleting what an entry refers to still works and the entry stays.
Only `manage.py flush`, the whole-database wipe the test run uses, may empty it."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from audit.models import AuditEntry
from audit.services import record
from forums import moderation
from tests.factories import PersonFactory
from tests.forums.factories import PostFactory, ThreadFactory

pytestmark = pytest.mark.django_db

REFUSED = "append-only"


@pytest.fixture
def entry(moderator):
    post = PostFactory()
    moderation.post_hide(post=post, moderator=moderator, reason="Unkind remark")
    return AuditEntry.objects.get(action=AuditEntry.Action.HIDE)


def refused(change) -> str:
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        change()
    return str(error.value)


def test_the_triggers_exist_for_this_database():
    assert connection.vendor in {"sqlite", "postgresql"}
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_entry'"
            )
            expected = {"audit_entry_no_update", "audit_entry_no_delete"}
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_entry'::regclass "
                "AND NOT tgisinternal"
            )
            expected = {"audit_entry_no_change", "audit_entry_no_truncate"}
        assert {name for (name,) in cursor.fetchall()} == expected


def test_a_queryset_update_is_refused(entry):
    message = refused(lambda: AuditEntry.objects.filter(pk=entry.pk).update(reason="Nothing"))

    assert REFUSED in message
    entry.refresh_from_db()
    assert entry.reason == "Unkind remark"


def test_saving_a_changed_entry_is_refused(entry):
    entry.reason = "Rewritten"

    assert REFUSED in refused(entry.save)


def test_deleting_entries_is_refused_one_by_one_or_all_at_once(entry):
    assert REFUSED in refused(entry.delete)
    assert REFUSED in refused(AuditEntry.objects.all().delete)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_entry SET reason = 'x'",
        "UPDATE audit_entry SET created_at = created_at",
        "DELETE FROM audit_entry",
        "DELETE FROM audit_entry WHERE id = %s",
    ],
)
def test_raw_sql_cannot_change_or_delete_entries(entry, sql):
    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk] if "%s" in sql else None)

    assert REFUSED in refused(run)
    assert AuditEntry.objects.get(pk=entry.pk).reason == "Unkind remark"


def test_truncating_is_refused_on_postgresql(entry):
    if connection.vendor != "postgresql":
        # SQLite has no TRUNCATE: its "DELETE FROM" without a WHERE is refused above.
        assert connection.vendor == "sqlite"
        return
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_entry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_new_entries_can_still_be_added(entry, moderator):
    thread = ThreadFactory()

    record(action=AuditEntry.Action.LOCK, actor=moderator, thread=thread)

    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOCK, thread=thread).count() == 1


def test_deleting_the_post_thread_and_people_it_names_still_works_and_keeps_the_entry(entry):
    post, thread, author, moderator = entry.post, entry.thread, entry.subject, entry.actor
    ids = (post.pk, thread.pk, author.pk, moderator.pk)

    thread.delete()  # and its post with it
    author.delete()
    moderator.delete()

    kept = AuditEntry.objects.get(pk=entry.pk)
    assert (kept.post_id, kept.thread_id, kept.subject_id, kept.actor_id) == ids
    assert kept.reason == "Unkind remark"
    # The deletions are themselves in the log.
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        AuditEntry.Action.THREAD_DELETED,
        AuditEntry.Action.POST_ERASED,
        AuditEntry.Action.PERSON_DELETED,
    } <= actions


def test_the_log_page_still_shows_an_entry_whose_thread_and_people_are_gone(
    client, entry, trust_admin
):
    from django.urls import reverse

    from tests.factories import sign_in_with_identity_provider

    entry.thread.delete()
    entry.subject.delete()
    sign_in_with_identity_provider(client, trust_admin)

    page = client.get(reverse("forums:audit_log"), {"action": "hide"})

    assert page.status_code == 200
    assert "Unkind remark" in page.content.decode()
    assert f"Deleted account {entry.subject_id}" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_puts_the_guard_back():
    actor = PersonFactory()
    record(action=AuditEntry.Action.SIGN_IN, actor=actor, subject=actor)

    call_command("flush", interactive=False, verbosity=0)

    assert not AuditEntry.objects.exists()
    actor = PersonFactory()
    kept = record(action=AuditEntry.Action.SIGN_IN, actor=actor, subject=actor)
    with pytest.raises(IntegrityError):
        AuditEntry.objects.filter(pk=kept.pk).delete()

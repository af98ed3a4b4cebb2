"""The moderation audit log: only trust admins read it; it filters, pages and exports to a CSV
that spreadsheets open safely; it never names the author of an anonymous post."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from forums import moderation
from forums.moderation_views import AUDIT_PAGE_SIZE, spreadsheet_safe
from tests.factories import PersonFactory, sign_in_with_identity_provider
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory, moderation_log

pytestmark = pytest.mark.django_db

AUDIT = reverse("forums:audit_log")
EXPORT = reverse("forums:audit_export")


@pytest.fixture
def admin_client(client, trust_admin):
    sign_in_with_identity_provider(client, trust_admin)
    return client


def rows(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.mark.parametrize("persona", ["primary_teacher", "moderator", "central_team_editor"])
def test_the_log_and_its_export_are_forbidden_to_everyone_but_trust_admins(
    client, persona, request
):
    sign_in_with_identity_provider(client, request.getfixturevalue(persona))

    assert client.get(AUDIT).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_a_trust_admin_reads_every_action(admin_client, moderator):
    post = PostFactory(thread__title="Lunch rota")
    moderation.post_hide(post=post, moderator=moderator, reason="Unkind remark")

    page = admin_client.get(AUDIT).content.decode()

    assert "Hid a post" in page and "Unkind remark" in page
    assert moderator.name in page and post.author.name in page and "Lunch rota" in page


def test_the_log_filters_by_action_actor_and_date(admin_client, moderator, central_team_editor):
    thread = ThreadFactory(title="Sports day")
    moderation.thread_lock(thread=thread, moderator=moderator, locked=True, reason="Lock A")
    # Entries cannot be backdated (the database refuses updates): this one is written old.
    AuditEntry.objects.create(
        actor=central_team_editor,
        action=AuditEntry.Action.PIN,
        thread=thread,
        reason="Pin B",
        created_at=timezone.now() - timedelta(days=30),
    )
    today = timezone.localdate().isoformat()

    by_action = admin_client.get(AUDIT, {"action": "pin"}).content.decode()
    by_actor = admin_client.get(AUDIT, {"actor": moderator.pk}).content.decode()
    by_date = admin_client.get(AUDIT, {"date_from": today}).content.decode()

    assert "Pin B" in by_action and "Lock A" not in by_action
    assert "Lock A" in by_actor and "Pin B" not in by_actor
    assert "Lock A" in by_date and "Pin B" not in by_date


def test_bad_filters_get_clear_messages_not_errors(admin_client):
    response = admin_client.get(
        AUDIT,
        {
            "action": "explode",
            "actor": "999999",
            "date_from": "2026-02-01",
            "date_to": "2026-01-01",
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice" in page
    assert "Choose someone from the list." in page
    assert "The end date must be on or after the start date." in page
    nonsense = admin_client.get(AUDIT, {"date_from": "yesterday"})
    assert nonsense.status_code == 400 and "Enter a date" in nonsense.content.decode()


def test_the_log_is_paginated_and_keeps_its_filters(admin_client, moderator):
    thread = ThreadFactory()
    for n in range(AUDIT_PAGE_SIZE + 5):
        AuditEntry.objects.create(
            actor=moderator, action=AuditEntry.Action.PIN, thread=thread, reason=f"Entry {n}"
        )

    first = admin_client.get(AUDIT, {"action": "pin"}).content.decode()
    second = admin_client.get(AUDIT, {"action": "pin", "page": 2}).content.decode()

    assert "Page 1 of 2" in first and "action=pin&amp;page=2" in first
    assert second.count("<tr>") == 5 + 1  # five entries and the header row


def test_the_log_page_takes_the_same_queries_however_many_entries(
    admin_client, moderator, django_assert_max_num_queries
):
    def act(n: int) -> None:
        for _ in range(n):
            post = PostFactory(thread__forum=ForumFactory())
            moderation.post_hide(post=post, moderator=moderator, reason="r")

    act(2)
    admin_client.get(AUDIT)
    with django_assert_max_num_queries(30) as few:
        admin_client.get(AUDIT)
    act(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = admin_client.get(AUDIT).content.decode()
    assert page.count("<td>Hid a post</td>") == 10


def test_the_export_is_utf8_with_a_bom_and_honours_the_filters(admin_client, moderator):
    thread = ThreadFactory(title="Café rota — Ysgol Gymraeg")
    moderation.thread_lock(thread=thread, moderator=moderator, locked=True, reason="Ffôn")
    moderation.thread_pin(thread=thread, moderator=moderator, pinned=True)

    response = admin_client.get(EXPORT, {"action": "lock"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header, *entries = rows(response)
    assert header[:3] == ["When", "Action", "Done by"]
    assert len(entries) == 1
    assert entries[0][1] == "Locked a thread"
    assert "Café rota — Ysgol Gymraeg" in entries[0] and "Ffôn" in entries[0]


def test_the_export_neutralises_spreadsheet_formulas(admin_client, moderator):
    sneaky = PersonFactory(first_name="=HYPERLINK(1)", last_name="x")
    thread = ThreadFactory(title="+SUM(A1:A9)")
    moderation.thread_lock(thread=thread, moderator=moderator, locked=True, reason="@cmd|' /C")
    moderation.suspension_create(
        person=sneaky,
        moderator=moderator,
        ends_at=timezone.now() + timedelta(days=1),
        reason="-2+3",
    )

    _, *entries = rows(admin_client.get(EXPORT))
    cells = [cell for entry in entries for cell in entry]

    assert "'=HYPERLINK(1) x" in cells
    assert "'+SUM(A1:A9)" in cells
    assert "'@cmd|' /C" in cells
    assert "'-2+3" in cells
    assert not any(cell[:1] in "=+-@" and cell for cell in cells)


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-x", "'-x"),
        ("@SUM", "'@SUM"),
        ("\tcmd", "'\tcmd"),
        ("Plain", "Plain"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_spreadsheet_safe(value, safe):
    assert spreadsheet_safe(value) == safe


def test_neither_the_log_nor_the_export_names_an_anonymous_author(admin_client, moderator):
    author = PersonFactory(first_name="Secret", last_name="Writer")
    forum = ForumFactory(name="Staff voice", slug="staff-voice", allows_anonymous_posts=True)
    post = PostFactory(thread__forum=forum, author=author, is_anonymous=True)
    moderation.author_reveal(post=post, moderator=moderator, reason="Pupil named")
    moderation.post_hide(post=post, moderator=moderator, reason="Pupil named")

    # Unfiltered, the log names the author for their own sign-ins and roles, never beside
    # the anonymous post.
    for action in ("reveal_author", "hide"):
        page = admin_client.get(AUDIT, {"action": action}).content.decode()
        export = admin_client.get(EXPORT, {"action": action}).content.decode()
        for text in (page, export):
            assert "Secret" not in text
            assert moderation.ANONYMOUS_SUBJECT in text
        header, *entries = rows(admin_client.get(EXPORT, {"action": action}))
        subject_ids = header.index("Person acted upon (id)")
        assert [entry[subject_ids] for entry in entries] == [""]
    assert moderation_log().filter(subject=author).count() == 2  # the record itself is kept


def test_a_superuser_reads_the_log(client):
    sign_in_with_identity_provider(client, PersonFactory(is_superuser=True))
    assert client.get(AUDIT).status_code == 200

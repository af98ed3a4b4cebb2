"""Moderation services and selectors: reports, hiding and restoring, thread controls,
suspensions, the safeguarding look at anonymous authors, and the audit entry each one leaves."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from forums import events, moderation, services
from forums.models import Forum, Notification, Post, Report, Suspension
from forums.services import ForumActionRefused
from tests import factories
from tests.factories import PersonFactory
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory, moderation_log
from tests.networks.factories import MembershipFactory, NetworkFactory

pytestmark = pytest.mark.django_db


def staff_voice() -> Forum:
    return ForumFactory(name="Staff voice", slug="staff-voice", allows_anonymous_posts=True)


def reported_post(reporter=None, **post_fields) -> tuple[Post, Report]:
    post = PostFactory(**post_fields)
    report = moderation.report_create(
        post=post,
        reporter=reporter or PersonFactory(),
        reason=Report.Reason.ABUSIVE,
        details="Name-calling.",
    )
    return post, report


# Reporting.


def test_a_teacher_reports_a_colleagues_post(primary_teacher):
    post = PostFactory()

    report = moderation.report_create(
        post=post, reporter=primary_teacher, reason=Report.Reason.PERSONAL_DATA, details=" A name "
    )

    assert report.status == Report.Status.OPEN
    assert report.details == "A name"
    assert list(moderation.reports_by(primary_teacher)) == [report]


def test_a_second_open_report_of_the_same_post_is_refused_kindly(primary_teacher):
    post = PostFactory()
    moderation.report_create(post=post, reporter=primary_teacher, reason=Report.Reason.SPAM)

    with pytest.raises(ForumActionRefused, match="already reported this post"):
        moderation.report_create(post=post, reporter=primary_teacher, reason=Report.Reason.OTHER)

    assert Report.objects.filter(post=post).count() == 1


def test_after_a_decision_the_same_person_may_report_the_post_again(primary_teacher, moderator):
    post, _ = reported_post(reporter=primary_teacher)
    moderation.report_dismiss(post=post, moderator=moderator)

    again = moderation.report_create(post=post, reporter=primary_teacher, reason=Report.Reason.SPAM)

    assert again.status == Report.Status.OPEN


def test_nobody_reports_their_own_post(primary_teacher):
    post = PostFactory(author=primary_teacher)

    with pytest.raises(ForumActionRefused, match="your own post"):
        moderation.report_create(post=post, reporter=primary_teacher, reason=Report.Reason.SPAM)
    assert not Report.objects.exists()


@pytest.mark.parametrize("reason", ["", "rude", None])
def test_a_report_needs_a_known_reason(primary_teacher, reason):
    with pytest.raises(ForumActionRefused, match="Choose why"):
        moderation.report_create(post=PostFactory(), reporter=primary_teacher, reason=reason)
    assert not Report.objects.exists()


def test_a_post_in_a_private_network_cannot_be_reported_by_an_outsider(primary_teacher):
    network = NetworkFactory(private=True)
    post = PostFactory(thread__forum=services.forum_for_network(network=network))

    with pytest.raises(ForumActionRefused, match="cannot read"):
        moderation.report_create(post=post, reporter=primary_teacher, reason=Report.Reason.SPAM)


def test_a_hidden_post_cannot_be_reported(primary_teacher):
    post = PostFactory(hidden_at=timezone.now())

    with pytest.raises(ForumActionRefused, match="already been taken down"):
        moderation.report_create(post=post, reporter=primary_teacher, reason=Report.Reason.SPAM)


# Hiding and restoring.


def test_hiding_upholds_the_open_reports_and_tells_reporters_and_author(
    moderator, django_capture_on_commit_callbacks
):
    first, second = PersonFactory(), PersonFactory()
    post, report = reported_post(reporter=first)
    other = moderation.report_create(post=post, reporter=second, reason=Report.Reason.SPAM)

    with django_capture_on_commit_callbacks(execute=True):
        moderation.post_hide(post=post, moderator=moderator, reason="Personal remarks")

    post.refresh_from_db()
    assert post.hidden_at is not None and post.deleted_at is None
    for each in (report, other):
        each.refresh_from_db()
        assert each.status == Report.Status.UPHELD
        assert each.decided_by == moderator
    outcomes = Notification.objects.filter(kind=Notification.Kind.REPORT_OUTCOME)
    assert sorted(n.recipient_id for n in outcomes) == sorted([first.pk, second.pk])
    assert all("upheld" in n.text and n.actor is None for n in outcomes)
    told = Notification.objects.get(kind=Notification.Kind.MODERATION)
    assert told.recipient == post.author
    assert f"#post-{post.pk}" in told.url
    entry = moderation_log().get(action=AuditEntry.Action.HIDE)
    assert (entry.actor, entry.post, entry.thread, entry.subject) == (
        moderator,
        post,
        post.thread,
        post.author,
    )
    assert entry.reason == "Personal remarks"
    assert sorted(entry.detail["reports"]) == sorted([report.pk, other.pk])


def test_a_hidden_post_is_announced_to_live_readers_after_commit(
    moderator, thread_listener, django_capture_on_commit_callbacks
):
    post = PostFactory(body="Something unkind")
    received = thread_listener(post.thread)
    revision_before = post.thread.revision

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        moderation.post_hide(post=post, moderator=moderator, reason="Unkind")
        assert received() == []
    for callback in callbacks:
        callback()

    [event] = received()
    assert event["event"] == events.POST_UPDATED
    assert event["post_id"] == post.pk
    assert "This post has been hidden by a moderator" in event["html"]
    assert "Something unkind" not in event["html"]
    assert event["revision"] > revision_before


def test_hiding_needs_a_reason_and_leaves_nothing_behind_without_one(moderator):
    post, report = reported_post()

    with pytest.raises(ForumActionRefused, match="Give a reason"):
        moderation.post_hide(post=post, moderator=moderator, reason="   ")

    post.refresh_from_db()
    report.refresh_from_db()
    assert post.hidden_at is None
    assert report.status == Report.Status.OPEN
    assert not moderation_log().exclude(action=AuditEntry.Action.REPORT_MADE).exists()
    assert not Notification.objects.exists()


def test_an_oversized_reason_is_refused(moderator):
    with pytest.raises(ForumActionRefused, match="at most 2,000"):
        moderation.post_hide(post=PostFactory(), moderator=moderator, reason="x" * 2001)


def test_a_teacher_cannot_hide_a_post(primary_teacher):
    post = PostFactory()

    with pytest.raises(ForumActionRefused, match="Only moderators"):
        moderation.post_hide(post=post, moderator=primary_teacher, reason="I dislike it")
    post.refresh_from_db()
    assert post.hidden_at is None


def test_a_network_lead_moderates_their_networks_forum_only(secondary_maths_lead):
    network = NetworkFactory(name="Secondary maths")
    MembershipFactory(network=network, person=secondary_maths_lead, lead=True)
    own = PostFactory(thread__forum=services.forum_for_network(network=network))
    elsewhere = PostFactory(thread__forum=ForumFactory())

    moderation.post_hide(post=own, moderator=secondary_maths_lead, reason="Off topic")
    with pytest.raises(ForumActionRefused):
        moderation.post_hide(post=elsewhere, moderator=secondary_maths_lead, reason="Off topic")


def test_restoring_brings_the_post_back_live_and_is_audited(
    moderator, thread_listener, django_capture_on_commit_callbacks
):
    post = PostFactory(body="Fine after all")
    moderation.post_hide(post=post, moderator=moderator, reason="Checking")
    received = thread_listener(post.thread)

    with django_capture_on_commit_callbacks(execute=True):
        moderation.post_restore(post=post, moderator=moderator, reason="Checked: fine")

    post.refresh_from_db()
    assert post.hidden_at is None
    [event] = received()
    assert event["event"] == events.POST_UPDATED and "Fine after all" in event["html"]
    assert moderation_log().filter(action=AuditEntry.Action.RESTORE, post=post).count() == 1


def test_a_post_cannot_be_hidden_twice_or_restored_when_not_hidden(moderator):
    post = PostFactory()
    with pytest.raises(ForumActionRefused, match="not hidden"):
        moderation.post_restore(post=post, moderator=moderator, reason="Why not")
    moderation.post_hide(post=post, moderator=moderator, reason="Unkind")
    with pytest.raises(ForumActionRefused, match="already hidden"):
        moderation.post_hide(post=post, moderator=moderator, reason="Again")
    assert moderation_log().count() == 1


def test_dismissing_keeps_the_post_and_tells_each_reporter(
    moderator, django_capture_on_commit_callbacks
):
    reporter = PersonFactory()
    post, report = reported_post(reporter=reporter)

    with django_capture_on_commit_callbacks(execute=True):
        moderation.report_dismiss(post=post, moderator=moderator, note="Robust but fair")

    post.refresh_from_db()
    report.refresh_from_db()
    assert post.is_visible
    assert report.status == Report.Status.DISMISSED
    assert report.outcome_note == "Robust but fair"
    outcome = Notification.objects.get(recipient=reporter)
    assert outcome.kind == Notification.Kind.REPORT_OUTCOME
    assert "can stay" in outcome.text
    assert "Robust but fair" not in outcome.text
    entry = moderation_log().get(action=AuditEntry.Action.DISMISS_REPORT)
    assert entry.report == report and entry.post == post
    assert not Notification.objects.filter(recipient=post.author).exists()


def test_dismissing_with_no_open_reports_is_refused(moderator):
    with pytest.raises(ForumActionRefused, match="no open reports"):
        moderation.report_dismiss(post=PostFactory(), moderator=moderator)
    assert not moderation_log().exists()


def test_a_moderator_removing_someone_elses_post_is_audited(moderator):
    post, report = reported_post()

    services.post_delete(post=post, deleter=moderator)

    entry = moderation_log().exclude(action=AuditEntry.Action.REPORT_MADE).get()
    assert entry.action == AuditEntry.Action.REMOVE_POST
    assert (entry.actor, entry.post, entry.subject) == (moderator, post, post.author)
    report.refresh_from_db()
    assert report.status == Report.Status.UPHELD


def test_authors_removing_their_own_post_are_audited_as_a_deletion_not_moderation(
    primary_teacher,
):
    post = PostFactory(author=primary_teacher)

    services.post_delete(post=post, deleter=primary_teacher)

    entry = moderation_log().get()
    assert entry.action == AuditEntry.Action.POST_DELETED
    assert (entry.actor, entry.post, entry.subject) == (primary_teacher, post, primary_teacher)


# Threads.


def test_locking_and_pinning_are_audited_and_stop_replies(moderator, primary_teacher):
    thread = ThreadFactory()

    moderation.thread_lock(thread=thread, moderator=moderator, locked=True, reason="Cooling off")
    moderation.thread_pin(thread=thread, moderator=moderator, pinned=True)

    thread.refresh_from_db()
    assert thread.locked and thread.pinned
    with pytest.raises(ForumActionRefused, match="locked"):
        services.post_create(thread=thread, author=primary_teacher, body="One more thing")
    moderation.thread_lock(thread=thread, moderator=moderator, locked=False)
    moderation.thread_pin(thread=thread, moderator=moderator, pinned=False)
    actions = list(moderation_log().order_by("pk").values_list("action", "reason"))
    assert actions == [
        (AuditEntry.Action.LOCK, "Cooling off"),
        (AuditEntry.Action.PIN, ""),
        (AuditEntry.Action.UNLOCK, ""),
        (AuditEntry.Action.UNPIN, ""),
    ]


def test_locking_a_locked_thread_changes_nothing(moderator):
    thread = ThreadFactory(locked=True)

    moderation.thread_lock(thread=thread, moderator=moderator, locked=True)

    assert not moderation_log().exists()


def test_a_teacher_cannot_lock_a_thread(primary_teacher):
    thread = ThreadFactory()
    with pytest.raises(ForumActionRefused):
        moderation.thread_lock(thread=thread, moderator=primary_teacher, locked=True)
    thread.refresh_from_db()
    assert not thread.locked


def test_moving_a_thread_records_where_from_and_to(moderator):
    source, target = ForumFactory(name="Wellbeing"), ForumFactory(name="Staff voice")
    thread = ThreadFactory(forum=source)

    moderation.thread_move(thread=thread, moderator=moderator, forum=target, reason="Better fit")

    thread.refresh_from_db()
    assert thread.forum == target
    entry = moderation_log().get(action=AuditEntry.Action.MOVE)
    assert entry.detail["from"] == "Wellbeing" and entry.detail["to"] == "Staff voice"


def test_a_lead_cannot_move_a_thread_into_a_forum_they_do_not_moderate(secondary_maths_lead):
    network = NetworkFactory(name="Secondary maths")
    MembershipFactory(network=network, person=secondary_maths_lead, lead=True)
    thread = ThreadFactory(forum=services.forum_for_network(network=network))

    with pytest.raises(ForumActionRefused, match="cannot move threads into"):
        moderation.thread_move(
            thread=thread, moderator=secondary_maths_lead, forum=ForumFactory(name="Wellbeing")
        )
    thread.refresh_from_db()
    assert thread.forum.network == network


def test_a_thread_is_not_moved_into_its_own_forum(moderator):
    thread = ThreadFactory()
    with pytest.raises(ForumActionRefused, match="already in"):
        moderation.thread_move(thread=thread, moderator=moderator, forum=thread.forum)


# Suspensions.


def test_a_suspended_person_cannot_post_until_it_is_lifted(moderator, primary_teacher):
    thread = ThreadFactory()
    ends = timezone.now() + timedelta(days=7)

    suspension = moderation.suspension_create(
        person=primary_teacher, moderator=moderator, ends_at=ends, reason="Repeated rudeness"
    )

    assert services.current_suspension(primary_teacher) == suspension
    with pytest.raises(ForumActionRefused, match="suspended from posting"):
        services.post_create(thread=thread, author=primary_teacher, body="Hello")
    told = Notification.objects.get(recipient=primary_teacher)
    assert told.kind == Notification.Kind.MODERATION and "Repeated rudeness" in told.text

    moderation.suspension_lift(suspension=suspension, moderator=moderator, reason="Apologised")

    assert services.current_suspension(primary_teacher) is None
    services.post_create(thread=thread, author=primary_teacher, body="Sorry, all")
    actions = list(moderation_log().order_by("pk").values_list("action", "subject"))
    assert actions == [
        (AuditEntry.Action.SUSPEND, primary_teacher.pk),
        (AuditEntry.Action.LIFT_SUSPENSION, primary_teacher.pk),
    ]


def test_only_moderators_suspend_and_never_themselves_or_into_the_past(
    moderator, secondary_maths_lead, primary_teacher
):
    ends = timezone.now() + timedelta(days=1)
    with pytest.raises(ForumActionRefused, match="Only moderators"):
        moderation.suspension_create(
            person=primary_teacher, moderator=secondary_maths_lead, ends_at=ends, reason="No"
        )
    with pytest.raises(ForumActionRefused, match="yourself"):
        moderation.suspension_create(
            person=moderator, moderator=moderator, ends_at=ends, reason="x"
        )
    with pytest.raises(ForumActionRefused, match="future"):
        moderation.suspension_create(
            person=primary_teacher,
            moderator=moderator,
            ends_at=timezone.now() - timedelta(minutes=1),
            reason="x",
        )
    with pytest.raises(ForumActionRefused, match="Give a reason"):
        moderation.suspension_create(
            person=primary_teacher, moderator=moderator, ends_at=ends, reason=""
        )
    assert not Suspension.objects.exists()
    assert not moderation_log().exists()


def test_an_ended_suspension_cannot_be_lifted(moderator, primary_teacher):
    suspension = moderation.suspension_create(
        person=primary_teacher,
        moderator=moderator,
        ends_at=timezone.now() + timedelta(days=1),
        reason="x",
    )
    moderation.suspension_lift(suspension=suspension, moderator=moderator, reason="Done")
    with pytest.raises(ForumActionRefused, match="already ended"):
        moderation.suspension_lift(suspension=suspension, moderator=moderator, reason="Again")


# Anonymous authors.


def test_a_moderator_sees_an_anonymous_author_and_each_look_is_recorded(moderator):
    author = PersonFactory()
    post = PostFactory(thread__forum=staff_voice(), author=author, is_anonymous=True)

    first = moderation.author_reveal(post=post, moderator=moderator, reason="Pupil named")
    second = moderation.author_reveal(post=post, moderator=moderator, reason="Follow-up")

    assert first == second == author
    entries = moderation_log().filter(action=AuditEntry.Action.REVEAL_AUTHOR)
    assert entries.count() == 2
    assert {entry.reason for entry in entries} == {"Pupil named", "Follow-up"}


@pytest.mark.parametrize(
    ("persona", "reveals"),
    # The central team and trust admins moderate (permissions.is_moderator); leads do not.
    [
        ("moderator", True),
        ("central team", True),
        ("trust admin", True),
        ("network lead", False),
        ("teacher", False),
    ],
)
def test_only_the_moderators_route_may_reveal(persona, reveals):
    person = {
        "moderator": factories.moderator,
        "central team": factories.central_team_editor,
        "network lead": factories.secondary_maths_lead,
        "trust admin": factories.trust_admin,
        "teacher": factories.primary_teacher,
    }[persona]()
    post = PostFactory(thread__forum=staff_voice(), is_anonymous=True)
    if reveals:
        assert (
            moderation.author_reveal(post=post, moderator=person, reason="Concern") == post.author
        )
        assert moderation_log().filter(actor=person).count() == 1
        return
    with pytest.raises(ForumActionRefused, match="Only moderators"):
        moderation.author_reveal(post=post, moderator=person, reason="Curious")
    assert not moderation_log().exists()


def test_a_reveal_needs_a_reason_and_a_named_post_cannot_be_revealed(moderator):
    anonymous = PostFactory(thread__forum=staff_voice(), is_anonymous=True)
    with pytest.raises(ForumActionRefused, match="Give a reason"):
        moderation.author_reveal(post=anonymous, moderator=moderator, reason="")
    with pytest.raises(ForumActionRefused, match="not anonymous"):
        moderation.author_reveal(post=PostFactory(), moderator=moderator, reason="Concern")
    assert not moderation_log().exists()


def test_moderating_an_anonymous_post_never_names_its_author_to_reporters(
    moderator, django_capture_on_commit_callbacks
):
    author = PersonFactory(first_name="Hidden", last_name="Writer")
    reporter = PersonFactory()
    post, _ = reported_post(
        reporter=reporter, thread__forum=staff_voice(), author=author, is_anonymous=True
    )

    with django_capture_on_commit_callbacks(execute=True):
        moderation.post_hide(post=post, moderator=moderator, reason="Pupil named")

    outcome = Notification.objects.get(recipient=reporter)
    assert "Hidden" not in outcome.text and outcome.actor is None
    entry = moderation_log().get(action=AuditEntry.Action.HIDE)
    assert moderation.audit_subject_name(entry) == moderation.ANONYMOUS_SUBJECT


# The queue.


def test_the_queue_groups_open_reports_by_post_longest_waiting_first(moderator):
    older, _ = reported_post()
    moderation.report_create(post=older, reporter=PersonFactory(), reason=Report.Reason.SPAM)
    newer, _ = reported_post()
    decided, _ = reported_post()
    moderation.report_dismiss(post=decided, moderator=moderator)

    items = moderation.queue_items(moderation.reported_posts(moderator))

    assert [item.post for item in items] == [older, newer]
    assert len(items[0].reports) == 2
    assert items[0].reasons == ["Abusive, bullying or discriminatory", "Spam or advertising"]


def test_a_lead_sees_only_reports_from_their_networks_forum(secondary_maths_lead):
    network = NetworkFactory(name="Secondary maths")
    MembershipFactory(network=network, person=secondary_maths_lead, lead=True)
    member = NetworkFactory(name="Science")
    MembershipFactory(network=member, person=secondary_maths_lead)
    own, _ = reported_post(thread__forum=services.forum_for_network(network=network))
    reported_post(thread__forum=services.forum_for_network(network=member))
    reported_post(thread__forum=ForumFactory(name="Wellbeing"))

    posts = list(moderation.reported_posts(secondary_maths_lead))

    assert posts == [own]
    assert moderation.can_use_queue(secondary_maths_lead)


def test_a_teacher_has_no_queue(primary_teacher):
    reported_post()
    assert not moderation.can_use_queue(primary_teacher)
    assert list(moderation.reported_posts(primary_teacher)) == []


def test_the_queue_takes_the_same_queries_however_long_it_is(
    moderator, django_assert_max_num_queries
):
    for _ in range(3):
        post, _ = reported_post()
        moderation.report_create(post=post, reporter=PersonFactory(), reason=Report.Reason.SPAM)
    with django_assert_max_num_queries(3) as few:
        items = moderation.queue_items(moderation.reported_posts(moderator))
        [
            (
                item.post.author.name,
                item.post.thread.forum.name,
                [r.reporter.name for r in item.reports],
            )
            for item in items
        ]
    for _ in range(6):
        post, _ = reported_post()
        moderation.report_create(post=post, reporter=PersonFactory(), reason=Report.Reason.SPAM)
    with django_assert_max_num_queries(len(few.captured_queries)):
        items = moderation.queue_items(moderation.reported_posts(moderator))
        [
            (
                item.post.author.name,
                item.post.thread.forum.name,
                [r.reporter.name for r in item.reports],
            )
            for item in items
        ]
    assert len(items) == 9


# The audit log.


def test_the_audit_log_filters_by_action_actor_and_date(moderator, central_team_editor):
    post = PostFactory()
    moderation.post_hide(post=post, moderator=moderator, reason="Unkind")
    # Entries cannot be backdated (the database refuses updates): this one is written old.
    AuditEntry.objects.create(
        actor=central_team_editor,
        action=AuditEntry.Action.LOCK,
        thread=post.thread,
        created_at=timezone.now() - timedelta(days=10),
    )
    today = timezone.localdate()

    def actions(**filters) -> list[str]:
        found = moderation.audit_entries(moderation.AuditFilters(**filters))
        # Making the personas gave them roles, logged too.
        return [e.action for e in found.exclude(action=AuditEntry.Action.ROLE_GRANTED)]

    assert actions() == [AuditEntry.Action.HIDE, AuditEntry.Action.LOCK]
    assert actions(action=AuditEntry.Action.LOCK) == [AuditEntry.Action.LOCK]
    assert actions(actor_id=moderator.pk) == [AuditEntry.Action.HIDE]
    assert actions(date_from=today) == [AuditEntry.Action.HIDE]
    assert actions(date_to=today - timedelta(days=5)) == [AuditEntry.Action.LOCK]
    assert list(moderation.audit_actors()) == sorted(
        [moderator, central_team_editor], key=lambda p: (p.last_name, p.first_name, p.pk)
    )


@pytest.mark.parametrize(
    ("persona", "reads"),
    [("trust admin", True), ("moderator", False), ("central team", False), ("teacher", False)],
)
def test_only_trust_admins_read_the_audit_log(persona, reads):
    person = {
        "trust admin": factories.trust_admin,
        "moderator": factories.moderator,
        "central team": factories.central_team_editor,
        "teacher": factories.primary_teacher,
    }[persona]()
    assert moderation.can_read_audit(person) is reads


def test_a_superuser_reads_the_audit_log():
    assert moderation.can_read_audit(PersonFactory(is_superuser=True))

"""Moderation pages: reporting, the queue and its actions, thread controls, suspensions and
the safeguarding look at an anonymous author, each refusing the people it is not for."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from forums import moderation, services
from forums.models import Forum, Post, Report, Suspension, Thread
from tests import factories
from tests.factories import PersonFactory
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory, moderation_log
from tests.networks.factories import MembershipFactory, NetworkFactory

pytestmark = pytest.mark.django_db


def staff_voice() -> Forum:
    return ForumFactory(name="Staff voice", slug="staff-voice", allows_anonymous_posts=True)


def report(post: Post, reporter=None) -> Report:
    return moderation.report_create(
        post=post, reporter=reporter or PersonFactory(), reason=Report.Reason.ABUSIVE
    )


def url(name: str, pk: int | None = None) -> str:
    return reverse(f"forums:{name}", kwargs={"pk": pk} if pk is not None else None)


def text(response) -> str:
    return response.content.decode()


# Reporting.


def test_a_teacher_reports_a_post_and_sees_a_confirmation_then_its_status(staff_client):
    post = PostFactory(thread__title="Behaviour policy")

    form = staff_client.get(url("post_report", post.pk))
    assert form.status_code == 200
    assert "A safeguarding concern" in text(form)
    sent = staff_client.post(
        url("post_report", post.pk), {"reason": "personal_data", "details": "Names a pupil"}
    )

    report = Report.objects.get()
    assert sent.status_code == 302 and sent.url == url("report_sent", report.pk)
    confirmation = staff_client.get(sent.url)
    assert "Report sent" in text(confirmation)
    mine = staff_client.get(url("my_reports"))
    assert "Behaviour policy" in text(mine) and "Waiting for a moderator" in text(mine)


def test_reporting_twice_gets_a_friendly_page_not_an_error(staff_client, primary_teacher):
    post = PostFactory()
    report(post, reporter=primary_teacher)

    again = staff_client.get(url("post_report", post.pk))
    posted_again = staff_client.post(url("post_report", post.pk), {"reason": "spam"})

    assert again.status_code == 200 and posted_again.status_code == 200
    assert "You have already reported this post" in text(again)
    assert Report.objects.count() == 1


def test_a_report_without_a_reason_is_shown_again_with_the_message(staff_client):
    post = PostFactory()

    response = staff_client.post(url("post_report", post.pk), {"details": "x" * 2001})

    assert response.status_code == 400
    assert "Choose why you are reporting this post." in text(response)
    assert "at most 2,000 characters" in text(response)
    assert not Report.objects.exists()


def test_nobody_reports_their_own_post_or_sees_someone_elses_confirmation(
    staff_client, primary_teacher
):
    own = PostFactory(author=primary_teacher)
    someone_elses = report(PostFactory())

    assert staff_client.get(url("post_report", own.pk)).status_code == 403
    assert staff_client.post(url("post_report", own.pk), {"reason": "spam"}).status_code == 403
    assert staff_client.get(url("report_sent", someone_elses.pk)).status_code == 404


def test_a_post_in_a_private_network_is_not_found_for_outsiders(staff_client):
    network = NetworkFactory(private=True)
    post = PostFactory(thread__forum=services.forum_for_network(network=network))

    assert staff_client.get(url("post_report", post.pk)).status_code == 404


# The queue.


def test_the_queue_is_forbidden_to_teachers(staff_client):
    response = staff_client.get(url("moderation_queue"))
    assert response.status_code == 403
    assert "You cannot do that here" in text(response)


def test_a_moderator_sees_the_reported_post_reasons_reporters_and_actions(client, moderator):
    reporter = PersonFactory(first_name="Rita", last_name="Reporter")
    post = PostFactory(thread__title="Playground duty", body="Something **unkind**")
    report(post, reporter=reporter)
    client.force_login(moderator)

    page = text(client.get(url("moderation_queue")))

    assert "Playground duty" in page and "<strong>unkind</strong>" in page
    assert "Abusive, bullying or discriminatory" in page
    assert "Rita Reporter" in page
    assert url("post_hide", post.pk) in page and url("report_dismiss", post.pk) in page
    assert url("person_suspend", post.author_id) in page


def test_a_lead_sees_their_forums_reports_without_the_reporters_names(client, secondary_maths_lead):
    network = NetworkFactory(name="Secondary maths")
    MembershipFactory(network=network, person=secondary_maths_lead, lead=True)
    ours = PostFactory(thread__forum=services.forum_for_network(network=network))
    report(ours, reporter=PersonFactory(first_name="Rita", last_name="Reporter"))
    theirs = PostFactory(thread__forum=ForumFactory(name="Wellbeing"), thread__title="Elsewhere")
    report(theirs)
    client.force_login(secondary_maths_lead)

    page = text(client.get(url("moderation_queue")))

    assert ours.thread.title in page and "Elsewhere" not in page
    assert "Rita Reporter" not in page and "A colleague" in page
    assert url("person_suspend", ours.author_id) not in page  # suspensions are for moderators


def test_a_hidden_post_with_open_reports_still_shows_its_text_in_the_queue(client, moderator):
    post = PostFactory(body="Still here for the record")
    report(post)
    Post.objects.filter(pk=post.pk).update(deleted_at=timezone.now())
    client.force_login(moderator)

    page = text(client.get(url("moderation_queue")))

    assert "Still here for the record" in page and "Removed" in page


def test_the_queue_page_takes_the_same_queries_however_long_it_is(
    client, moderator, django_assert_max_num_queries
):
    client.force_login(moderator)
    for _ in range(2):
        report(PostFactory())
    client.get(url("moderation_queue"))  # warm caches (site settings)
    with django_assert_max_num_queries(30) as few:
        assert client.get(url("moderation_queue")).status_code == 200
    for _ in range(8):
        post = PostFactory()
        report(post)
        report(post)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("moderation_queue"))
    assert text(response).count('class="queue-item"') == 10


def test_an_anonymous_post_in_the_queue_shows_anonymous_and_the_recorded_route(client, moderator):
    author = PersonFactory(first_name="Secret", last_name="Writer")
    post = PostFactory(thread__forum=staff_voice(), author=author, is_anonymous=True)
    report(post)
    client.force_login(moderator)

    page = text(client.get(url("moderation_queue")))

    assert "Anonymous" in page and "Secret" not in page
    assert url("post_reveal", post.pk) in page
    assert url("person_suspend", author.pk) not in page


# Hide, restore, dismiss.


def test_hiding_from_the_queue_goes_back_to_the_queue(client, moderator):
    post = PostFactory()
    report(post)
    client.force_login(moderator)

    response = client.post(
        url("post_hide", post.pk), {"reason": "Unkind", "next": url("moderation_queue")}
    )

    assert response.status_code == 302 and response.url == url("moderation_queue")
    post.refresh_from_db()
    assert post.hidden_at is not None
    assert "No reports are waiting" in text(client.get(url("moderation_queue")))


def test_hiding_without_a_reason_shows_the_form_again(client, moderator):
    post = PostFactory()
    client.force_login(moderator)

    response = client.post(url("post_hide", post.pk), {"reason": ""})

    assert response.status_code == 400
    assert "Give a reason" in text(response)
    post.refresh_from_db()
    assert post.hidden_at is None


def test_an_offsite_next_address_is_ignored(client, moderator):
    post = PostFactory()
    client.force_login(moderator)

    response = client.post(
        url("post_hide", post.pk), {"reason": "Unkind", "next": "https://evil.example/"}
    )

    assert response.url == f"{post.thread.get_absolute_url()}?page=1#post-{post.pk}"


def test_the_thread_page_shows_the_placeholder_and_the_restore_link_to_moderators(
    client, moderator
):
    post = PostFactory(body="Gone for now")
    moderation.post_hide(post=post, moderator=moderator, reason="Checking")
    client.force_login(moderator)

    page = text(client.get(post.thread.get_absolute_url()))

    assert "This post has been hidden by a moderator" in page and "Gone for now" not in page
    restore = re.search(rf'<a href="{url("post_restore", post.pk)}"[^>]*>', page)
    assert restore and "hidden" not in restore.group(0)

    response = client.post(url("post_restore", post.pk), {"reason": "Fine"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.hidden_at is None


def test_a_moderator_acts_on_a_report_from_a_private_networks_forum(client, moderator):
    network = NetworkFactory(name="Heads of maths", private=True)
    post = PostFactory(thread__forum=services.forum_for_network(network=network))
    report(post, reporter=MembershipFactory(network=network).person)
    client.force_login(moderator)

    assert post.thread.title in text(client.get(url("moderation_queue")))
    response = client.post(url("post_hide", post.pk), {"reason": "Pupil named"})

    assert response.status_code == 302
    post.refresh_from_db()
    assert post.hidden_at is not None


def test_a_lead_cannot_act_in_a_forum_they_only_read(client, secondary_maths_lead):
    network = NetworkFactory(name="Secondary maths")
    MembershipFactory(network=network, person=secondary_maths_lead, lead=True)
    post = PostFactory(thread__forum=ForumFactory(name="Wellbeing"))
    client.force_login(secondary_maths_lead)

    assert client.post(url("post_hide", post.pk), {"reason": "x"}).status_code == 403
    assert client.post(url("thread_lock", post.thread_id), {"locked": "1"}).status_code == 403
    post.refresh_from_db()
    assert post.hidden_at is None


def test_dismissing_from_the_queue_keeps_the_post(client, moderator):
    post = PostFactory()
    reported = report(post)
    client.force_login(moderator)

    response = client.post(url("report_dismiss", post.pk), {"next": url("moderation_queue")})

    assert response.status_code == 302
    reported.refresh_from_db()
    assert reported.status == Report.Status.DISMISSED


@pytest.mark.parametrize("action", ["post_hide", "post_restore", "report_dismiss"])
def test_teachers_cannot_use_the_post_actions(staff_client, action):
    post = PostFactory(hidden_at=timezone.now() if action == "post_restore" else None)

    assert staff_client.get(url(action, post.pk)).status_code == 403
    assert staff_client.post(url(action, post.pk), {"reason": "Mine"}).status_code == 403
    assert not moderation_log().exists()


# Threads.


def test_moderators_see_thread_controls_and_teachers_do_not(client, moderator, primary_teacher):
    thread = ThreadFactory()
    PostFactory(thread=thread)
    client.force_login(moderator)
    assert "Lock the thread" in text(client.get(thread.get_absolute_url()))

    client.force_login(primary_teacher)
    assert "Lock the thread" not in text(client.get(thread.get_absolute_url()))


def test_locking_and_pinning_from_the_thread_page(client, moderator):
    thread = ThreadFactory()
    PostFactory(thread=thread)
    client.force_login(moderator)

    client.post(url("thread_lock", thread.pk), {"locked": "1"})
    client.post(url("thread_pin", thread.pk), {"pinned": "1"})

    thread.refresh_from_db()
    assert thread.locked and thread.pinned
    page = text(client.get(thread.get_absolute_url()))
    assert "Unlock the thread" in page and "Unpin the thread" in page
    client.post(url("thread_lock", thread.pk), {"locked": "0"})
    thread.refresh_from_db()
    assert not thread.locked


def test_a_lock_without_a_clear_choice_is_refused_with_a_message(client, moderator):
    thread = ThreadFactory()
    client.force_login(moderator)

    response = client.post(url("thread_lock", thread.pk), {"locked": "maybe"}, follow=True)

    assert "Choose whether to turn this on or off." in text(response)
    thread.refresh_from_db()
    assert not thread.locked


def test_thread_controls_refuse_teachers_and_get_requests(client, primary_teacher, moderator):
    thread = ThreadFactory()
    client.force_login(primary_teacher)
    assert client.post(url("thread_lock", thread.pk), {"locked": "1"}).status_code == 403
    assert client.get(url("thread_move", thread.pk)).status_code == 403
    client.force_login(moderator)
    assert client.get(url("thread_lock", thread.pk)).status_code == 405


def test_moving_a_thread_offers_only_forums_the_lead_moderates(client, secondary_maths_lead):
    maths = NetworkFactory(name="Secondary maths")
    science = NetworkFactory(name="Science")
    for network in (maths, science):
        MembershipFactory(network=network, person=secondary_maths_lead, lead=True)
    thread = ThreadFactory(forum=services.forum_for_network(network=maths))
    wellbeing = ForumFactory(name="Wellbeing")
    science_forum = services.forum_for_network(network=science)
    client.force_login(secondary_maths_lead)

    page = text(client.get(url("thread_move", thread.pk)))
    assert science_forum.name in page and "Wellbeing" not in page

    refused = client.post(url("thread_move", thread.pk), {"forum": wellbeing.pk})
    assert refused.status_code == 400 and "Choose one of the forums you moderate." in text(refused)
    moved = client.post(url("thread_move", thread.pk), {"forum": science_forum.pk})
    assert moved.status_code == 302
    assert Thread.objects.get(pk=thread.pk).forum == science_forum


# Suspensions.


def test_a_moderator_suspends_for_a_week_and_lifts_it(client, moderator, primary_teacher):
    client.force_login(moderator)

    response = client.post(
        url("person_suspend", primary_teacher.pk), {"period": "week", "reason": "Rudeness"}
    )

    assert response.status_code == 302
    suspension = Suspension.objects.get()
    assert suspension.ends_at - timezone.now() > timedelta(days=6, hours=23)
    assert primary_teacher.name in text(client.get(url("suspensions")))
    lifted = client.post(url("suspension_lift", suspension.pk), {"reason": "Apologised"})
    assert lifted.status_code == 302
    assert services.current_suspension(primary_teacher) is None


def test_a_custom_end_must_be_given_and_in_the_future(client, moderator, primary_teacher):
    client.force_login(moderator)
    target = url("person_suspend", primary_teacher.pk)

    missing = client.post(target, {"period": "custom", "reason": "x"})
    past = client.post(target, {"period": "custom", "ends_at": "2001-01-01T09:00", "reason": "x"})
    garbled = client.post(target, {"period": "custom", "ends_at": "soon", "reason": "x"})
    chosen = client.post(target, {"period": "custom", "ends_at": "2099-07-20T16:30", "reason": "x"})

    assert missing.status_code == past.status_code == garbled.status_code == 400
    assert "Enter the date and time the suspension ends." in text(missing)
    assert "Choose a date and time in the future." in text(past)
    assert "Enter a date and time" in text(garbled)
    assert chosen.status_code == 302
    assert timezone.localtime(Suspension.objects.get().ends_at).strftime("%Y-%m-%d %H:%M") == (
        "2099-07-20 16:30"
    )


def test_leads_and_teachers_cannot_suspend(client, secondary_maths_lead, primary_teacher):
    client.force_login(secondary_maths_lead)
    assert client.get(url("person_suspend", primary_teacher.pk)).status_code == 403
    assert client.get(url("suspensions")).status_code == 403


# Anonymous authors.


def test_a_moderator_sees_the_author_only_after_giving_a_reason(client, moderator):
    author = PersonFactory(first_name="Secret", last_name="Writer")
    post = PostFactory(thread__forum=staff_voice(), author=author, is_anonymous=True)
    client.force_login(moderator)

    asked = client.get(url("post_reveal", post.pk))
    assert asked.status_code == 200 and "Secret" not in text(asked)
    refused = client.post(url("post_reveal", post.pk), {"reason": ""})
    assert refused.status_code == 400 and "Secret" not in text(refused)
    assert not moderation_log().exists()

    shown = client.post(url("post_reveal", post.pk), {"reason": "A pupil is named"})
    assert shown.status_code == 200 and "Secret Writer" in text(shown)
    assert "no-cache" in shown["Cache-Control"] or "max-age=0" in shown["Cache-Control"]
    client.post(url("post_reveal", post.pk), {"reason": "Again"})
    assert moderation_log().filter(action=AuditEntry.Action.REVEAL_AUTHOR).count() == 2


def test_nobody_else_can_reveal_an_author(staff_client, secondary_maths_lead):
    author = PersonFactory(first_name="Secret", last_name="Writer")
    post = PostFactory(thread__forum=staff_voice(), author=author, is_anonymous=True)
    named = PostFactory()

    assert staff_client.get(url("post_reveal", post.pk)).status_code == 403
    assert staff_client.post(url("post_reveal", post.pk), {"reason": "x"}).status_code == 403
    staff_client.force_login(secondary_maths_lead)
    assert staff_client.post(url("post_reveal", post.pk), {"reason": "x"}).status_code == 403
    staff_client.force_login(factories.moderator())
    assert staff_client.get(url("post_reveal", named.pk)).status_code == 404
    assert not moderation_log().exists()


def test_the_thread_page_never_names_an_anonymous_author_even_to_moderators(client, moderator):
    author = PersonFactory(first_name="Secret", last_name="Writer")
    post = PostFactory(thread__forum=staff_voice(), author=author, is_anonymous=True)
    client.force_login(moderator)

    page = text(client.get(post.thread.get_absolute_url()))

    assert "Secret" not in page and f'data-author-id="{author.pk}"' not in page
    assert url("post_reveal", post.pk) in page


# Suspended people on a thread page.


def test_a_suspended_person_sees_why_and_until_when_instead_of_the_reply_form(
    staff_client, primary_teacher, moderator
):
    thread = ThreadFactory()
    PostFactory(thread=thread)
    moderation.suspension_create(
        person=primary_teacher,
        moderator=moderator,
        ends_at=timezone.now() + timedelta(days=1),
        reason="Repeated rudeness",
    )

    page = text(staff_client.get(thread.get_absolute_url()))
    refused = staff_client.post(url("post_create", thread.pk), {"body": "Hello"})

    assert "Repeated rudeness" in page and "You cannot post at the moment" in page
    assert 'name="body"' not in page
    assert refused.status_code == 400 and "You cannot post at the moment" in text(refused)
    assert not Post.objects.filter(body="Hello").exists()

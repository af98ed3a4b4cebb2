"""Emails: a mention soon after it happens, the daily digest, preferences, anonymity, and
one-click unsubscribe that works without signing in and refuses tampered links."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cms.models import TrustBranding
from forums import services
from forums.models import Forum, Notification, NotificationPreferences, ThreadFollow
from forums.notifications import unsubscribe_token
from forums.tasks import digest_email, mention_email, send_all_digests
from tests.factories import PersonFactory
from tests.forums.factories import PostFactory, ThreadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def branding(db):
    branding = TrustBranding.load()
    branding.trust_name = "Oakfield Learning Trust"
    branding.save()
    return branding


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


def forum(slug: str) -> Forum:
    return Forum.objects.get(slug=slug)


# Mentions


def test_a_mention_is_emailed_soon_after_with_one_click_unsubscribe(
    committed, primary_teacher, secondary_maths_lead
):
    thread = ThreadFactory(forum=forum("wellbeing"), title="Marking")

    committed(
        services.post_create,
        thread=thread,
        author=secondary_maths_lead,
        body="@priya.patel how do you mark writing?",
    )

    [email] = mail.outbox
    notification = Notification.objects.get(recipient=primary_teacher)
    assert email.to == ["priya.patel@oakfield.example"]
    assert email.subject == "Tom Okafor mentioned you in “Marking” – Oakfield Learning Trust"
    assert "how do you mark writing?" in email.body
    assert "Oakfield Learning Trust" in email.body
    assert f"http://127.0.0.1:8000{notification.url}" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert "Read it and reply" in html
    unsubscribe = email.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://127.0.0.1:8000/forums/notifications/unsubscribe/")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in email.body
    assert notification.emailed_at is not None


def test_a_mention_email_is_sent_once_however_often_the_task_runs(
    committed, primary_teacher, secondary_maths_lead
):
    thread = ThreadFactory(forum=forum("wellbeing"))
    committed(services.post_create, thread=thread, author=secondary_maths_lead, body="@priya.patel")
    notification = Notification.objects.get(recipient=primary_teacher)

    assert mention_email(notification.pk) is False
    assert len(mail.outbox) == 1


def test_no_mention_email_for_someone_who_turned_them_off(
    committed, primary_teacher, secondary_maths_lead
):
    NotificationPreferences.objects.create(person=primary_teacher, email_mentions=False)
    thread = ThreadFactory(forum=forum("wellbeing"))

    committed(services.post_create, thread=thread, author=secondary_maths_lead, body="@priya.patel")

    assert mail.outbox == []
    assert Notification.objects.get(recipient=primary_teacher).emailed_at is None


def test_an_anonymous_mention_email_never_names_its_author(committed, primary_teacher):
    author = PersonFactory(first_name="Hidden", last_name="Writer", email="hidden@oak.example")
    thread = ThreadFactory(forum=forum("staff-voice"), title="Workload")

    committed(
        services.post_create,
        thread=thread,
        author=author,
        body="I agree with @priya.patel.",
        is_anonymous=True,
    )

    [email] = mail.outbox
    everything = email.subject + email.body + email.alternatives[0][0] + str(email.extra_headers)
    assert email.subject.startswith("Someone mentioned you in “Workload”")
    for secret in ["Hidden", "Writer", "hidden@oak.example"]:
        assert secret not in everything


def test_no_email_for_a_mention_in_a_post_removed_before_it_was_sent(
    primary_teacher, secondary_maths_lead, django_capture_on_commit_callbacks
):
    thread = ThreadFactory(forum=forum("wellbeing"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post = services.post_create(thread=thread, author=secondary_maths_lead, body="@priya.patel")
    post.deleted_at = timezone.now()
    post.save()
    for callback in callbacks:
        callback()

    assert mail.outbox == []


# The daily digest


def followed_thread(person, *, title: str = "Marking", slug: str = "wellbeing"):
    thread = ThreadFactory(forum=forum(slug), title=title)
    ThreadFollow.objects.create(person=person, thread=thread)
    return thread


def test_the_digest_lists_followed_threads_with_new_posts(primary_teacher, secondary_maths_lead):
    thread = followed_thread(primary_teacher, title="Marking")
    quiet = followed_thread(primary_teacher, title="Quiet thread")
    PostFactory(
        thread=quiet, author=secondary_maths_lead, created_at=timezone.now() - timedelta(days=3)
    )
    PostFactory.create_batch(2, thread=thread, author=secondary_maths_lead, body="Try *codes*.")
    PostFactory(thread=thread, author=primary_teacher, body="My own post.")

    assert send_all_digests() == 1

    [email] = mail.outbox
    assert email.to == [primary_teacher.email]
    assert email.subject == "2 new posts in threads you follow – Oakfield Learning Trust"
    assert "“Marking”: 2 new posts" in email.body
    assert "Latest from Tom Okafor: Try *codes*." in email.body
    assert "Quiet thread" not in email.body
    assert "My own post" not in email.body
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert NotificationPreferences.objects.get(person=primary_teacher).digest_sent_at


def test_running_the_digest_twice_sends_it_once(primary_teacher, secondary_maths_lead):
    thread = followed_thread(primary_teacher)
    PostFactory(thread=thread, author=secondary_maths_lead)

    call_command("send_digests", stdout=io.StringIO())
    call_command("send_digests", stdout=io.StringIO())

    assert len(mail.outbox) == 1


def test_the_digest_command_can_leave_the_sending_to_the_worker(
    primary_teacher, secondary_maths_lead
):
    thread = followed_thread(primary_teacher)
    PostFactory(thread=thread, author=secondary_maths_lead)
    out = io.StringIO()

    call_command("send_digests", "--enqueue", stdout=out)

    assert "Queued the digests" in out.getvalue()
    assert len(mail.outbox) == 1  # the test settings' backend runs tasks at once


def test_the_next_digest_covers_only_what_came_after_the_last(
    primary_teacher, secondary_maths_lead
):
    thread = followed_thread(primary_teacher)
    PostFactory(thread=thread, author=secondary_maths_lead, body="Before.")
    earlier = timezone.now()
    assert digest_email(primary_teacher.pk, now=earlier)

    PostFactory(thread=thread, author=secondary_maths_lead, body="After.")
    assert digest_email(primary_teacher.pk, now=earlier + timedelta(seconds=5))

    assert "Before." not in mail.outbox[1].body
    assert "After." in mail.outbox[1].body


def test_people_with_nothing_new_or_who_turned_it_off_get_no_digest(
    primary_teacher, secondary_maths_lead
):
    NotificationPreferences.objects.create(person=secondary_maths_lead, email_digest=False)
    thread = followed_thread(secondary_maths_lead)
    followed_thread(primary_teacher, title="Nothing new")
    PostFactory(thread=thread, author=PersonFactory())

    assert send_all_digests() == 0
    assert mail.outbox == []


def test_a_digest_shows_anonymous_posts_as_anonymous(primary_teacher):
    author = PersonFactory(first_name="Hidden", last_name="Writer")
    thread = followed_thread(primary_teacher, title="Workload", slug="staff-voice")
    PostFactory(thread=thread, author=author, is_anonymous=True, body="Too many meetings.")

    send_all_digests()

    [email] = mail.outbox
    assert "Latest from Anonymous: Too many meetings." in email.body
    assert "Hidden" not in email.body + email.alternatives[0][0]


# Unsubscribing


def test_the_unsubscribe_page_asks_first_then_stops_that_email_only(primary_teacher):
    url = reverse(
        "forums:unsubscribe",
        kwargs={"token": unsubscribe_token(person_id=primary_teacher.pk, email="digest")},
    )
    browser = Client(enforce_csrf_checks=True)  # signed out, as from an email

    page = browser.get(url)
    assert page.status_code == 200
    assert "Stop these emails" in page.content.decode()
    assert not NotificationPreferences.objects.filter(person=primary_teacher).exists()

    done = browser.post(url)

    preferences = NotificationPreferences.objects.get(person=primary_teacher)
    assert done.status_code == 200
    assert "You will no longer get the daily digest" in done.content.decode()
    assert preferences.email_digest is False
    assert preferences.email_mentions is True


def test_one_click_unsubscribe_from_a_mail_client_works_without_a_csrf_token(primary_teacher):
    token = unsubscribe_token(person_id=primary_teacher.pk, email="mentions")
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(
        reverse("forums:unsubscribe", kwargs={"token": token}),
        {"List-Unsubscribe": "One-Click"},
    )

    assert response.status_code == 200
    assert NotificationPreferences.objects.get(person=primary_teacher).email_mentions is False


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_unsubscribe_link_gets_a_clear_page_and_changes_nothing(
    primary_teacher, secondary_maths_lead, method
):
    token = unsubscribe_token(person_id=primary_teacher.pk, email="digest")
    forged = token.replace(str(primary_teacher.pk), str(secondary_maths_lead.pk), 1)
    browser = Client()

    for bad in [forged, token[:-2] + "xx", "nonsense", "a" * 600]:
        response = getattr(browser, method)(reverse("forums:unsubscribe", kwargs={"token": bad}))
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()

    assert not NotificationPreferences.objects.exists()


def test_a_token_for_one_email_is_salted_apart_from_other_signed_values(primary_teacher):
    from django.core import signing

    forged = signing.dumps({"person": primary_teacher.pk, "email": "digest"})
    response = Client().post(reverse("forums:unsubscribe", kwargs={"token": forged}))

    assert response.status_code == 400

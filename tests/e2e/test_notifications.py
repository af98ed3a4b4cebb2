"""Two colleagues in two browsers: a mention lights the other's bell live, and the
notifications page takes them to the post and marks it read."""

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.conftest import assert_axe_clean, open_with_socket, sign_in
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory

pytestmark = pytest.mark.django_db(transaction=True)


def open_with_live_bell(page: Page, url: str) -> None:
    """Open a page and wait until its bell's socket has reported the count."""
    open_with_socket(page, url, "/ws/notifications/", '"bell"')


def test_a_mention_lights_the_colleagues_bell_live(page: Page, other_page: Page):
    teacher = factories.primary_teacher()
    lead = factories.secondary_maths_lead()
    forum = ForumFactory(name="Wellbeing", slug="wellbeing")
    thread = ThreadFactory(forum=forum, title="Reading for pleasure", author=lead)
    PostFactory(thread=thread, author=lead, body="What gets your class reading?")

    sign_in(page, teacher.email)
    open_with_live_bell(page, "/forums/")
    bell = page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Notifications"
    )
    expect(bell).to_have_accessible_name("Notifications")

    sign_in(other_page, lead.email)
    other_page.goto(thread.get_absolute_url())
    other_page.get_by_label("Your reply").fill("@priya.patel, how do you run your book club?")
    other_page.get_by_role("button", name="Post reply").click()

    expect(bell).to_have_accessible_name("Notifications 1 unread", timeout=1_000)
    expect(page.locator("[data-bell-status]")).to_have_text("You have a new notification")

    bell.click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    mention = page.get_by_role("link", name="Tom Okafor mentioned you in “Reading for pleasure”")
    expect(mention).to_be_visible()
    assert_axe_clean(page)

    mention.click()
    expect(page.get_by_role("heading", name="Reading for pleasure", level=1)).to_be_visible()
    expect(page.locator(".post:target")).to_contain_text("how do you run your book club?")
    expect(bell).to_have_accessible_name("Notifications")

    page.goto("/forums/notifications/")
    expect(page.locator(".notification--unread")).to_have_count(0)
    page.get_by_role("link", name="Choose which emails you get").click()
    expect(page.get_by_role("heading", name="Notification emails", level=1)).to_be_visible()
    assert_axe_clean(page)

"""Two colleagues in one thread, in two browsers: replies appear live, can be paused, and a
reply being written survives a reload."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests import factories
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def other_page(live_url: str, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(base_url=live_url, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def open_live(page: Page, url: str) -> None:
    """Open the thread and wait until its socket has caught up."""
    with page.expect_websocket() as opened:
        page.goto(url)
    socket = opened.value
    socket.wait_for_event(
        "framereceived", predicate=lambda frame: "caught_up" in str(frame), timeout=10_000
    )


def test_a_reply_from_one_colleague_appears_live_for_another(page: Page, other_page: Page):
    teacher = factories.primary_teacher()
    lead = factories.secondary_maths_lead()
    forum = ForumFactory(name="Wellbeing", slug="wellbeing")
    thread = ThreadFactory(forum=forum, title="Making marking manageable", author=teacher)
    PostFactory(thread=thread, author=teacher, body="How do you keep marking under control?")
    url = thread.get_absolute_url()

    sign_in(page, teacher.email)
    open_live(page, url)
    sign_in(other_page, lead.email)
    other_page.goto(url)

    reply = other_page.locator("textarea[name=body]")
    reply.fill("Whole-class feedback sheets, **every** time.")
    other_page.reload()
    expect(reply).to_have_value("Whole-class feedback sheets, **every** time.")
    other_page.get_by_role("button", name="Post reply").click()
    other_page.wait_for_url(lambda address: "#post-" in address)
    expect(other_page.locator("textarea[name=body]")).to_have_value("")

    arrived = page.locator(".post", has_text="Whole-class feedback sheets")
    expect(arrived).to_be_visible(timeout=1_000)
    expect(arrived.locator("strong")).to_have_text("every")
    expect(page.locator("[role=status]").last).to_have_text("New post from Tom Okafor")

    pause = page.get_by_role("button", name="Pause live updates")
    pause.click()
    expect(pause).to_have_attribute("aria-pressed", "true")
    other_page.locator("textarea[name=body]").fill("And a marking code on the wall.")
    other_page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("1 new post waiting")).to_be_visible()
    expect(page.locator(".post", has_text="marking code on the wall")).to_have_count(0)
    pause.click()
    expect(pause).to_have_attribute("aria-pressed", "false")
    expect(page.locator(".post", has_text="marking code on the wall")).to_be_visible()
    assert page.locator(".post").count() == 3
    assert_axe_clean(page)

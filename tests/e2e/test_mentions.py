"""In a real browser: mention a colleague by keyboard, react to a post, quote it; the thread
page stays axe-clean with the suggestions open and closed."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.factories import PersonFactory
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_mention_react_and_quote_by_keyboard(page: Page):
    teacher = factories.primary_teacher()
    hannah = PersonFactory(
        email="hannah.whitlock@oakfield.example",
        first_name="Hannah",
        last_name="Whitlock",
        display_name="Mrs Whitlock",
        job_title="Head of English",
    )
    forum = ForumFactory(name="Wellbeing", slug="wellbeing")
    thread = ThreadFactory(forum=forum, title="Reading for pleasure", author=hannah)
    theirs = PostFactory(
        thread=thread, author=hannah, body="Our Year 4 book club meets on Fridays."
    )

    sign_in(page, teacher.email)
    page.goto(thread.get_absolute_url())

    reply = page.get_by_label("Your reply")
    expect(page.get_by_text("Type @ and a name to mention a colleague.")).to_be_visible()
    reply.press_sequentially("Lovely idea, @whit")
    suggestions = page.get_by_role("listbox", name="Colleagues to mention")
    expect(suggestions).to_be_visible()
    option = suggestions.get_by_role("option", name=re.compile("Mrs Whitlock"))
    expect(option).to_have_attribute("aria-selected", "true")
    expect(reply).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    expect(page.get_by_role("status").filter(has_text="1 colleague found")).to_have_count(1)
    assert_axe_clean(page)

    reply.press("Enter")
    expect(suggestions).to_be_hidden()
    expect(reply).to_have_value("Lovely idea, @hannah.whitlock ")
    reply.press_sequentially("and @hann")
    expect(suggestions).to_be_visible()
    reply.press("Escape")
    expect(suggestions).to_be_hidden()
    reply.fill("Lovely idea, @hannah.whitlock")
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url(lambda address: "#post-" in address)
    mention = page.locator(".post__body a.mention", has_text="@Mrs Whitlock")
    expect(mention).to_have_attribute("href", hannah.get_absolute_url())
    mine = page.locator(".post", has_text="Lovely idea")
    expect(mine.get_by_role("button", name=re.compile("^Thanks"))).to_be_disabled()

    post = page.locator(f"#post-{theirs.pk}")
    thanks = post.get_by_role("button", name=re.compile(r"^Thanks"))
    expect(thanks).to_have_attribute("aria-pressed", "false")
    thanks.click()
    expect(thanks).to_have_attribute("aria-pressed", "true")
    expect(thanks).to_have_text(re.compile(r"Thanks\s*1"))

    # A half-written reply is kept when quoting: the quote first, then the words.
    reply.fill("Sounds great. ")
    post.get_by_role("link", name="Quote this post").click()
    expect(reply).to_have_value(
        re.compile(r"^> Our Year 4 book club meets on Fridays\.\n\nSounds great\. $")
    )
    reply.press("Control+End")
    reply.press_sequentially("Can I join?")
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url(lambda address: "#post-" in address)
    quoting = page.locator(".post", has_text="Can I join?")
    # Through the post's own address (threads are paged); the page scrolls when it is here.
    expect(quoting.get_by_role("link", name="In reply to Mrs Whitlock")).to_have_attribute(
        "href", f"/forums/posts/{theirs.pk}/"
    )
    # The viewer's own reaction is still marked after the reloads.
    expect(
        page.locator(f"#post-{theirs.pk}").get_by_role("button", name=re.compile("^Thanks"))
    ).to_have_attribute("aria-pressed", "true")
    assert_axe_clean(page)

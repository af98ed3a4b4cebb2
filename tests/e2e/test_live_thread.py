"""Two colleagues in one thread, in two browsers: replies appear live, can be paused, and a
reply being written survives a reload."""

import pytest
from playwright.sync_api import Page, expect

from forums.services import bump_revision
from tests import factories
from tests.e2e.conftest import assert_axe_clean, open_live, sign_in
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory

pytestmark = pytest.mark.django_db(transaction=True)


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


def test_a_reply_whose_announcement_was_lost_appears_once_the_page_notices_the_gap(
    page: Page, other_page: Page
):
    teacher = factories.primary_teacher()
    lead = factories.secondary_maths_lead()
    forum = ForumFactory(name="Wellbeing", slug="wellbeing")
    thread = ThreadFactory(forum=forum, title="Reading for pleasure", author=teacher)
    PostFactory(thread=thread, author=teacher, body="What gets your classes reading?")
    url = thread.get_absolute_url()
    sign_in(page, teacher.email)
    open_live(page, url)
    sign_in(other_page, lead.email)
    other_page.goto(url)

    # Saved with the thread's next revision while Redis was away, so never announced.
    lost = PostFactory(thread=thread, author=lead, body="A class library vote each half term.")
    bump_revision(lost)
    other_page.locator("textarea[name=body]").fill("Ten minutes of reading aloud a day.")
    other_page.get_by_role("button", name="Post reply").click()

    expect(page.locator(".post", has_text="Ten minutes of reading aloud")).to_be_visible(
        timeout=2_000
    )
    # The later reply arrived live; the page sees a revision missing and asks for it.
    expect(page.locator(".post", has_text="A class library vote")).to_be_visible(timeout=8_000)
    expect(page.locator(".post")).to_have_count(3)
    texts = page.locator(".post").all_inner_texts()
    assert "A class library vote" in texts[1] and "Ten minutes of reading" in texts[2]


def test_colleagues_see_who_is_reading_and_who_is_typing(page: Page, other_page: Page):
    teacher = factories.primary_teacher()
    lead = factories.secondary_maths_lead()
    forum = ForumFactory(name="Wellbeing", slug="wellbeing")
    thread = ThreadFactory(forum=forum, title="Calm starts to the day", author=teacher)
    PostFactory(thread=thread, author=teacher, body="What helps your class settle?")
    url = thread.get_absolute_url()

    sign_in(page, teacher.email)
    open_live(page, url)
    sign_in(other_page, lead.email)
    open_live(other_page, url)

    expect(page.locator(".live-readers")).to_have_text("Also reading: Tom Okafor")
    expect(other_page.locator(".live-readers")).to_have_text("Also reading: Priya Patel")

    other_page.locator("textarea[name=body]").press_sequentially("A song and the register.")
    expect(page.locator(".live-typing")).to_have_text("Tom Okafor is typing…")
    other_page.get_by_role("button", name="Post reply").click()
    expect(page.locator(".post", has_text="A song and the register.")).to_be_visible(timeout=1_000)
    expect(page.locator(".live-typing")).to_have_text("")
    # The fragment is shared: this reader gets a reader's controls, not the author's.
    arrived = page.locator(".post", has_text="A song and the register.")
    expect(arrived.get_by_role("link", name="Quote this post")).to_be_visible()
    expect(arrived.get_by_role("link", name="Edit this post")).to_be_hidden()
    assert_axe_clean(page)

    other_page.close()
    expect(page.locator(".live-readers")).to_have_text("")


def test_a_new_thread_appears_live_on_the_forum_page(page: Page, other_page: Page):
    teacher = factories.primary_teacher()
    lead = factories.secondary_maths_lead()
    forum = ForumFactory(name="Wellbeing", slug="wellbeing")
    older = ThreadFactory(forum=forum, title="An older thread", author=teacher)
    PostFactory(thread=older, author=teacher)

    sign_in(page, teacher.email)
    with page.expect_websocket(predicate=lambda socket: "/ws/forums/" in socket.url):
        page.goto(forum.get_absolute_url())
    sign_in(other_page, lead.email)
    other_page.goto(f"{forum.get_absolute_url()}new/")
    other_page.get_by_label("Title").fill("Staff walking club")
    other_page.get_by_label("Your first post").fill("Tuesdays after school?")
    other_page.get_by_role("button", name="Start the thread").click()
    other_page.wait_for_url(lambda address: "/threads/" in address)

    first = page.locator(".thread-list > li").first
    expect(first).to_contain_text("Staff walking club", timeout=2_000)
    expect(first).to_contain_text("Started by Tom Okafor")
    expect(page.locator("[role=status]").last).to_have_text("New thread: Staff walking club")
    assert page.locator(".thread-list > li").count() == 2
    assert_axe_clean(page)


def test_an_earlier_page_announces_new_replies_and_an_old_link_finds_its_page(
    page: Page, other_page: Page
):
    from forums.models import Post

    teacher = factories.primary_teacher()
    lead = factories.secondary_maths_lead()
    forum = ForumFactory(name="Wellbeing", slug="wellbeing")
    thread = ThreadFactory(forum=forum, title="A long conversation", author=teacher)
    # Someone else wrote the 60 posts, so the teacher's reply is not held up by the rate limit.
    chatty = factories.PersonFactory()
    first = PostFactory(thread=thread, author=chatty, body="Post number one.")
    Post.objects.bulk_create(
        Post(thread=thread, author=chatty, body="More.", body_html="<p>More.</p>")
        for _ in range(59)
    )
    early = thread.posts.order_by("pk")[3]
    url = thread.get_absolute_url()

    sign_in(page, lead.email)
    open_live(page, f"{url}?page=1")
    expect(page.get_by_text("Page 1 of 2").first).to_be_visible()
    sign_in(other_page, teacher.email)
    other_page.goto(url)
    other_page.locator("textarea[name=body]").fill("A reply on the last page.")
    other_page.get_by_role("button", name="Post reply").click()
    other_page.wait_for_url(lambda address: "page=2#post-" in address)

    # Not added to page 1: a link to the latest page instead.
    expect(
        page.get_by_role("link", name="There are new replies: go to the latest page")
    ).to_be_visible()
    expect(page.locator(".post", has_text="A reply on the last page.")).to_have_count(0)
    assert page.locator(".post").count() == 50

    # An old-style link (the thread and #post-N) to a post on another page finds its page.
    page.goto(f"{url}#post-{early.pk}")
    page.wait_for_url(lambda address: f"page=1#post-{early.pk}" in address)
    expect(page.locator(f"#post-{early.pk}")).to_be_visible()
    expect(page.locator(f"#post-{first.pk}")).to_be_visible()
    assert_axe_clean(page)

"""A teacher reports a post; a moderator hides it from the queue; the post vanishes live from
the teacher's open thread, the teacher hears the outcome, and the trust admin sees it logged."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests import factories
from tests.e2e.conftest import assert_axe_clean, new_page, open_live, sign_in
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def moderator_page(live_url: str, browser: Browser) -> Iterator[Page]:
    yield from new_page(browser, live_url)


@pytest.fixture
def admin_page(live_url: str, browser: Browser) -> Iterator[Page]:
    yield from new_page(browser, live_url)


def test_a_reported_post_hidden_by_a_moderator_vanishes_live_for_the_reporter(
    page: Page, moderator_page: Page, admin_page: Page
):
    teacher = factories.primary_teacher()
    moderator = factories.moderator()
    admin = factories.trust_admin()
    author = factories.secondary_maths_lead()
    forum = ForumFactory(name="Wellbeing", slug="wellbeing")
    thread = ThreadFactory(forum=forum, title="Cover rota", author=author)
    PostFactory(thread=thread, author=author, body="Who is covering period 3?")
    unkind = PostFactory(thread=thread, author=author, body="Some people never pull their weight.")
    url = thread.get_absolute_url()

    # The teacher reports the post, then goes back to the thread and keeps it open.
    sign_in(page, teacher.email)
    page.goto(url)
    page.locator(f"#post-{unkind.pk}").get_by_role("link", name="Report this post").click()
    assert_axe_clean(page)
    page.get_by_label("Abusive, bullying or discriminatory").check()
    page.get_by_label("Anything else the moderators should know (optional)").fill("Aimed at Y4.")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    open_live(page, url)
    post = page.locator(f"#post-{unkind.pk}")
    expect(post).to_contain_text("never pull their weight")

    # The moderator finds it in the queue and hides it.
    sign_in(moderator_page, moderator.email)
    moderator_page.goto("/forums/moderation/")
    item = moderator_page.locator(f"#queue-post-{unkind.pk}")
    expect(item).to_contain_text("Abusive, bullying or discriminatory")
    expect(item).to_contain_text(teacher.name)
    assert_axe_clean(moderator_page)
    item.get_by_label("Why hide it?").fill("Unkind about colleagues")
    item.get_by_role("button", name="Hide the post").click()
    expect(moderator_page.get_by_text("The post has been hidden.")).to_be_visible()
    expect(moderator_page.get_by_text("No reports are waiting")).to_be_visible()

    # Without a reload, the teacher's page shows the placeholder instead of the post.
    expect(post).to_contain_text("This post has been hidden by a moderator", timeout=3_000)
    expect(post).not_to_contain_text("never pull their weight")
    page.goto("/forums/my-reports/")
    expect(page.get_by_text("Upheld: the post was hidden")).to_be_visible()
    assert_axe_clean(page)

    # The moderator's thread controls and the suspension form are accessible too.
    moderator_page.goto(url)
    expect(moderator_page.get_by_role("button", name="Lock the thread")).to_be_visible()
    assert_axe_clean(moderator_page)
    moderator_page.goto(f"/forums/moderation/people/{author.pk}/suspend/")
    moderator_page.get_by_role("button", name="Suspend from posting").click()
    expect(
        moderator_page.get_by_text("Choose how long the suspension lasts.").first
    ).to_be_visible()
    assert_axe_clean(moderator_page)

    # The trust admin reads the action in the audit log (whose newest entry is their own
    # sign-in, so they filter it).
    sign_in(admin_page, admin.email)
    admin_page.goto("/forums/moderation/audit/?action=hide")
    row = admin_page.locator("tbody tr").first
    expect(row).to_contain_text("Hid a post")
    expect(row).to_contain_text(moderator.name)
    expect(row).to_contain_text("Unkind about colleagues")
    assert_axe_clean(admin_page)

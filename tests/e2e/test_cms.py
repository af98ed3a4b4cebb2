import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.cms import factories as cms
from tests.e2e.conftest import assert_axe_clean, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def build_trust() -> dict:
    school = factories.SchoolFactory(
        name="Oakfield Primary", slug="oakfield-primary", website="https://oakfield.example"
    )
    principle_index = cms.PrincipleIndexPageFactory()
    inclusion = cms.PrinciplePageFactory(
        parent=principle_index, title="Inclusion", summary="Every pupil belongs."
    )
    news_index = cms.NewsIndexPageFactory()
    category = cms.NewsCategoryFactory(name="Events", slug="events")
    sports_day = cms.NewsPageFactory(
        parent=news_index, title="Oakfield sports day", schools=[school], category=category
    )
    return {
        "inclusion": inclusion,
        "news_index": news_index,
        "sports_day": sports_day,
        "school_index": cms.SchoolIndexPageFactory(),
        "shared_focus": cms.SharedFocusPageFactory(),
    }


def test_a_member_of_staff_reads_the_home_page_a_principle_and_a_news_item(page: Page) -> None:
    trust = build_trust()
    teacher = factories.primary_teacher()

    sign_in(page, teacher.email)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Climate and sustainability")).to_be_visible()
    assert_axe_clean(page)

    page.get_by_role("link", name="Inclusion").click()
    expect(page.get_by_role("heading", level=1, name="Inclusion")).to_be_visible()
    expect(page.get_by_role("heading", name="What it looks like in practice")).to_be_visible()
    assert_axe_clean(page)

    page.goto("/")
    page.get_by_role("link", name="Oakfield sports day").click()
    expect(page.get_by_role("heading", level=1, name="Oakfield sports day")).to_be_visible()
    assert_axe_clean(page)

    page.goto(trust["news_index"].url)
    page.get_by_label("School").select_option(label="Oakfield Primary")
    page.get_by_role("button", name="Show news").click()
    expect(page.get_by_role("heading", name="News for Oakfield Primary")).to_be_visible()
    assert_axe_clean(page)

    page.goto(trust["school_index"].url)
    expect(page.get_by_role("heading", name="Oakfield Primary", exact=True)).to_be_visible()
    assert_axe_clean(page)


def test_the_central_team_publishes_news_that_staff_then_see_on_the_home_page(
    page: Page, browser
) -> None:
    trust = build_trust()
    editor = factories.central_team_editor()
    teacher = factories.primary_teacher()

    sign_in(page, editor.email)
    page.goto(f"/admin/pages/add/cms/newspage/{trust['news_index'].pk}/")
    page.locator("#id_title").fill("Trust choir sings at the cathedral")
    page.locator("#id_intro").fill("Pupils from every school sang together in Canterbury.")
    publish = page.get_by_role("button", name=re.compile(r"^Publish"))
    if not publish.is_visible():
        page.get_by_role("button", name="More actions").click()
    publish.click()
    expect(page.locator(".messages")).to_contain_text("published")

    staff = browser.new_context(base_url=page.url.split("/admin/")[0], locale="en-GB")
    reader = staff.new_page()
    sign_in(reader, teacher.email)
    reader.goto("/")
    expect(reader.get_by_role("link", name="Trust choir sings at the cathedral")).to_be_visible()
    staff.close()

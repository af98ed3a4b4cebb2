import re

import pytest
from playwright.sync_api import Page, expect

from search.backends import database_backend
from search.records import all_records
from tests import factories
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.networks.factories import NetworkFactory
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def a_library() -> dict:
    maths = NetworkFactory(name="Maths", subject="Mathematics")
    science = NetworkFactory(name="Science", subject="Science")
    private = NetworkFactory(name="Senior leaders", subject="Mathematics", private=True)
    made = {
        "amounts": ResourceFactory(network=maths, title="Fractions of amounts", year_groups=["y4"]),
        "number_line": ResourceFactory(
            network=maths, title="Fractions on a number line", year_groups=["y3"]
        ),
        "equivalent": ResourceFactory(
            network=maths, title="Equivalent fractions", year_groups=["y7"]
        ),
        "cooking": ResourceFactory(
            network=science, title="Fractions in the kitchen", year_groups=["y5"]
        ),
        "photosynthesis": ResourceFactory(
            network=science,
            title="Photosynthesis knowledge organiser",
            summary="Light, chlorophyll and glucose on one page.",
            year_groups=["y8"],
        ),
        "secret": ResourceFactory(
            network=private, title="Fractions secret pilot", year_groups=["y4"]
        ),
    }
    # Whatever the indexing pipeline has done on commit, start from the whole database.
    database_backend().rebuild(all_records())
    return made


def facet(page: Page, legend: str, label: str):
    return page.get_by_role("group", name=legend).get_by_label(re.compile(f"^{label} \\("))


def test_a_teacher_searches_narrows_by_key_stage_and_subject_and_opens_a_result(
    page: Page,
) -> None:
    a_library()
    teacher = factories.primary_teacher()
    sign_in(page, teacher.email)

    box = page.get_by_role("combobox", name="Search Staffroom")
    box.fill("fractions")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=fractions$"))
    expect(page.get_by_role("heading", name="4 results for “fractions”")).to_be_visible()
    expect(page.get_by_role("link", name="Fractions secret pilot")).to_have_count(0)
    expect(facet(page, "Key stage", "Key stage 2")).to_have_accessible_name("Key stage 2 (3)")
    expect(facet(page, "Subject", "Mathematics")).to_have_accessible_name("Mathematics (3)")
    # With JavaScript the filters apply as they are ticked.
    expect(page.get_by_role("button", name="Apply filters")).to_be_hidden()
    assert_axe_clean(page)

    facet(page, "Key stage", "Key stage 2").click()
    page.wait_for_url(re.compile(r"key_stage=ks2"))
    expect(page.get_by_role("heading", name="3 results for “fractions”")).to_be_visible()
    expect(facet(page, "Subject", "Mathematics")).to_have_accessible_name("Mathematics (2)")
    expect(facet(page, "Subject", "Science")).to_have_accessible_name("Science (1)")
    expect(facet(page, "Key stage", "Key stage 2")).to_be_checked()
    # Focus comes back to the box that was ticked.
    expect(facet(page, "Key stage", "Key stage 2")).to_be_focused()

    facet(page, "Subject", "Mathematics").click()
    page.wait_for_url(re.compile(r"subject=\d+"))
    expect(page.get_by_role("heading", name="2 results for “fractions”")).to_be_visible()
    # Key stage counts now count maths only: Year 7's equivalent fractions appear under KS3.
    expect(facet(page, "Key stage", "Key stage 2")).to_have_accessible_name("Key stage 2 (2)")
    expect(facet(page, "Key stage", "Key stage 3")).to_have_accessible_name("Key stage 3 (1)")
    expect(page.get_by_role("link", name="Remove filter: Key stage 2")).to_be_visible()
    expect(page.get_by_role("link", name="Fractions in the kitchen")).to_have_count(0)
    assert_axe_clean(page)

    page.get_by_role("link", name="Fractions of amounts").click()
    expect(page.get_by_role("heading", name="Fractions of amounts", level=1)).to_be_visible()
    related = page.get_by_role("region", name="Related resources")
    expect(related).to_be_visible()
    expect(related.get_by_role("link", name="Fractions secret pilot")).to_have_count(0)


def test_year_group_words_filter_and_the_filter_can_be_undone(page: Page) -> None:
    a_library()
    sign_in(page, factories.primary_teacher().email)

    page.goto("/search/?q=Y7+fractions")
    expect(page.get_by_text("Showing Year 7 only.")).to_be_visible()
    expect(page.get_by_role("heading", name="1 result for “Y7 fractions”")).to_be_visible()
    expect(facet(page, "Year group", "Year 7")).to_be_checked()

    page.get_by_role("link", name="Search every year group for “Y7 fractions”").click()
    page.wait_for_url(re.compile(r"exact=1"))
    expect(page.get_by_text("Showing Year 7 only.")).to_have_count(0)


def test_the_header_search_box_offers_titles_by_keyboard(page: Page) -> None:
    made = a_library()
    sign_in(page, factories.primary_teacher().email)
    page.goto("/")

    box = page.get_by_role("combobox", name="Search Staffroom")
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press_sequentially("photo", delay=30)
    options = page.get_by_role("listbox", name="Suggestions").get_by_role("option")
    expect(options).to_have_count(1)
    expect(box).to_have_attribute("aria-expanded", "true")
    assert_axe_clean(page)

    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
    box.press("Enter")
    page.wait_for_url(f"**{made['photosynthesis'].get_absolute_url()}")
    expect(
        page.get_by_role("heading", name="Photosynthesis knowledge organiser", level=1)
    ).to_be_visible()

    box = page.get_by_role("combobox", name="Search Staffroom")
    box.press_sequentially("fract", delay=30)
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox.get_by_role("option")).to_have_count(4)
    expect(listbox.get_by_role("option", name=re.compile("secret"))).to_have_count(0)
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("ArrowDown")
    expect(listbox.get_by_role("option")).to_have_count(4)
    box.press("Escape")
    expect(listbox).to_be_hidden()
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=fract$"))
    expect(page.get_by_role("heading", name=re.compile("results? for “fract”"))).to_be_visible()


def test_the_search_page_works_without_javascript(browser, live_url) -> None:
    a_library()
    teacher = factories.primary_teacher()
    context = browser.new_context(base_url=live_url, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, teacher.email)
        page.goto("/search/?q=fractions")
        expect(page.get_by_role("heading", name="4 results for “fractions”")).to_be_visible()
        facet(page, "Key stage", "Key stage 2").check()
        page.get_by_role("button", name="Apply filters").click()
        expect(page.get_by_role("heading", name="3 results for “fractions”")).to_be_visible()
        page.get_by_label("Sort by").select_option(label="Newest first")
        page.get_by_role("button", name="Sort").click()
        page.wait_for_url(re.compile(r"sort=newest"))
        expect(page.get_by_role("heading", name="3 results for “fractions”")).to_be_visible()
    finally:
        context.close()

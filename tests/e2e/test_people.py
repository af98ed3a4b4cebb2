import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.conftest import assert_axe_clean, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_directory_and_a_profile_are_axe_clean(page: Page) -> None:
    teacher = factories.primary_teacher()
    lead = factories.secondary_maths_lead()
    factories.moderator()
    factories.PersonFactory.create_batch(32, school=lead.school, subjects=["Science"])

    sign_in(page, teacher.email)
    page.goto("/people/")
    expect(page.get_by_role("heading", name="Staff directory", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Pages")).to_contain_text("Page 1 of 2")
    assert_axe_clean(page)

    page.get_by_label("Name").fill("Okafor")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("status")).to_contain_text("1 person found")
    assert_axe_clean(page)

    page.get_by_role("link", name="Tom Okafor").click()
    expect(page.get_by_role("heading", name="Tom Okafor", level=1)).to_be_visible()
    expect(page.get_by_text("Head of mathematics at Riverside Academy")).to_be_visible()
    assert_axe_clean(page)


def test_a_member_of_staff_edits_their_profile_and_sees_the_change(page: Page) -> None:
    teacher = factories.primary_teacher()
    factories.SchoolFactory(name="Hopfield Primary", urn="149801")

    sign_in(page, teacher.email)
    page.goto("/people/me/")
    page.get_by_role("link", name="Edit your profile").click()
    assert_axe_clean(page)

    page.get_by_label("Display name").fill("Mrs Patel")
    page.get_by_label("Job title").fill("Year 5 teacher and maths lead")
    page.get_by_label("Home school").select_option(label="Hopfield Primary")
    page.get_by_label("Science").check()
    page.get_by_label("Early years (EYFS)").check()
    page.get_by_label("About me").fill("I run the <b>chess club</b> on Thursdays.")
    page.get_by_role("button", name="Save profile").click()

    expect(page.get_by_role("status")).to_contain_text("Your profile has been saved.")
    expect(page.get_by_role("heading", name="Mrs Patel", level=1)).to_be_visible()
    expect(page.get_by_text("Year 5 teacher and maths lead at Hopfield Primary")).to_be_visible()
    expect(page.get_by_text("English, Mathematics, Science")).to_be_visible()
    expect(page.get_by_text("I run the <b>chess club</b> on Thursdays.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Your account")).to_contain_text("Mrs Patel")
    assert_axe_clean(page)


def test_a_bad_profile_shows_an_error_summary_that_is_focused_and_axe_clean(page: Page) -> None:
    teacher = factories.primary_teacher()

    sign_in(page, teacher.email)
    page.goto("/people/me/edit/")
    page.get_by_label("Display name").fill("<script>alert(1)</script>")
    page.get_by_role("button", name="Save profile").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("not < or >")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Display name")).to_have_attribute("aria-invalid", "true")
    assert_axe_clean(page)

    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Display name")).to_be_focused()
    page.goto("/people/me/")
    expect(page.get_by_role("heading", name="Priya Patel", level=1)).to_be_visible()

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.conftest import assert_axe_clean, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_member_of_staff_starts_a_thread_in_wellbeing_and_replies(page: Page) -> None:
    teacher = factories.primary_teacher()

    sign_in(page, teacher.email)
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Forums").click()
    expect(page.get_by_role("heading", name="Forums", level=1)).to_be_visible()
    assert_axe_clean(page)

    page.get_by_role("link", name="Wellbeing").click()
    expect(page.get_by_role("heading", name="Wellbeing", level=1)).to_be_visible()
    page.get_by_role("link", name="Start a thread").click()
    page.get_by_role("button", name="Start the thread").click()
    expect(page.get_by_role("alert")).to_contain_text("Give the thread a title.")
    assert_axe_clean(page)

    page.get_by_label("Title").fill("Lunchtime walks")
    page.get_by_label("Your first post").fill("Who would like to walk at **noon**?")
    page.get_by_role("button", name="Start the thread").click()
    expect(page.get_by_role("heading", name="Lunchtime walks", level=1)).to_be_visible()
    expect(page.locator("#posts strong")).to_have_text("noon")

    page.get_by_label("Your reply").fill("Count me in on Thursdays.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.locator("#posts")).to_contain_text("Count me in on Thursdays.")
    expect(page.locator("#posts article")).to_have_count(2)
    assert_axe_clean(page)

    page.get_by_role("link", name="Wellbeing").click()
    thread = page.locator(".thread-card", has_text="Lunchtime walks")
    expect(thread).to_contain_text("1 reply")
    assert_axe_clean(page)

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.conftest import assert_axe_clean, give_two_step_code, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_sign_in_page_is_axe_clean_and_explains_a_wrong_password(page: Page) -> None:
    factories.primary_teacher()
    page.goto("/")

    assert "/people/sign-in/" in page.url
    assert_axe_clean(page)

    page.get_by_label("Email address").fill("priya.patel@oakfield.example")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("do not match")
    assert_axe_clean(page)


def test_a_member_of_staff_signs_in_and_out(page: Page) -> None:
    teacher = factories.primary_teacher()

    sign_in(page, teacher.email)
    page.goto("/people/")
    expect(page.get_by_role("navigation", name="Your account")).to_contain_text("Priya Patel")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_trust_admin_sets_up_an_authenticator_app_on_axe_clean_pages(page: Page) -> None:
    admin = factories.trust_admin()
    page.goto("/people/sign-in/?next=/admin/")
    page.get_by_label("Email address").fill(admin.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    assert_axe_clean(page)
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    assert_axe_clean(page)

    give_two_step_code(page, admin.email)
    page.wait_for_url("**/admin/")
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_have_count(0)

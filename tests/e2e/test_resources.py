import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_teacher_shares_a_ks2_maths_resource_and_a_secondary_teacher_finds_and_adapts_it(
    page: Page,
) -> None:
    maths = NetworkFactory(name="Maths", subject="Mathematics")
    NetworkFactory(name="English", subject="English")
    teacher = factories.primary_teacher()
    MembershipFactory(network=maths, person=teacher)
    secondary = factories.secondary_maths_lead()
    ResourceFactory(network=maths, title="Simultaneous equations", year_groups=["y10"])

    sign_in(page, teacher.email)
    page.goto("/resources/share/?network=maths")
    expect(page.get_by_role("heading", name="Share a resource", level=1)).to_be_visible()
    assert_axe_clean(page)

    page.get_by_label("Title").fill("Fractions of amounts")
    page.get_by_label("Summary").fill("Bar models for unit and non-unit fractions of amounts.")
    page.get_by_label("Type of resource").select_option(label="Worksheet")
    year_groups = page.get_by_role("group", name="Year groups")
    year_groups.get_by_label("Year 4", exact=True).check()
    year_groups.get_by_label("Year 5", exact=True).check()
    page.get_by_role("group", name="Key stages").get_by_label("Key stage 2").check()
    page.get_by_label("Notes", exact=True).fill("Start with **concrete** objects.")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r"/resources/\d+/"))
    expect(page.get_by_role("status").first).to_contain_text("has been saved")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, secondary.email)
    page.goto("/resources/")
    expect(page.get_by_role("heading", name="Resources", level=1)).to_be_visible()
    assert_axe_clean(page)

    page.get_by_role("group", name="Key stage").get_by_label("Key stage 2").check()
    page.get_by_role("group", name="Subject").get_by_label("Mathematics").check()
    page.get_by_role("button", name="Show resources").click()
    expect(page.get_by_role("heading", name="1 resource found")).to_be_visible()
    expect(page.get_by_role("link", name="Simultaneous equations")).to_have_count(0)

    page.get_by_role("link", name="Fractions of amounts").click()
    expect(page.get_by_role("heading", name="Fractions of amounts", level=1)).to_be_visible()
    expect(page.get_by_text("Year 4, Year 5")).to_be_visible()
    expect(page.locator(".notes strong")).to_have_text("concrete")
    assert_axe_clean(page)

    page.get_by_role("button", name="Adapt for my school").click()
    expect(page.get_by_role("heading", name=re.compile("^Edit"), level=1)).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("Your school's copy")
    page.get_by_label("Title").fill("Fractions of amounts for Year 7 catch-up")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Adapted from")).to_contain_text("Oakfield Primary")
    page.get_by_role("button", name="Publish").click()
    page.get_by_role("link", name="Fractions of amounts", exact=True).click()
    expect(page.get_by_role("region", name="How other schools adapted this")).to_contain_text(
        "Riverside Academy"
    )

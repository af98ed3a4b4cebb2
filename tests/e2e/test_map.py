import pytest
from playwright.sync_api import Page, expect

from networks.curriculum import Phase, YearGroup
from resources.models import Strand, Unit
from tests import factories
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def maths_network():
    return NetworkFactory(
        name="Maths", slug="maths", phases=[Phase.PRIMARY.value, Phase.SECONDARY.value]
    )


def test_a_lead_adds_a_strand_and_a_unit_and_links_a_resource(page: Page) -> None:
    maths = maths_network()
    lead = factories.secondary_maths_lead()
    MembershipFactory(network=maths, person=lead, lead=True)
    ResourceFactory(network=maths, title="Fractions of amounts", year_groups=["y5"])

    sign_in(page, lead.email)
    page.goto("/resources/networks/maths/map/")
    expect(page.get_by_role("heading", level=1, name="Maths curriculum map")).to_be_visible()
    assert_axe_clean(page)

    page.get_by_role("link", name="Add a strand").click()
    page.get_by_label("Strand name").fill("Fractions")
    page.get_by_role("button", name="Add strand").click()
    expect(page.get_by_text("The strand Fractions has been added to the map.")).to_be_visible()

    page.get_by_role("link", name="Add a unit for Year 5 Fractions").click()
    expect(page.get_by_label("Year group")).to_have_value(YearGroup.Y5.value)
    page.get_by_label("Unit title").fill("Fractions of amounts")
    page.get_by_role("button", name="Add unit").click()

    expect(
        page.get_by_role("heading", level=1, name="Resources for Fractions of amounts")
    ).to_be_visible()
    assert_axe_clean(page)
    page.get_by_label("Fractions of amounts (Worksheet, Year 5)").check()
    page.get_by_role("button", name="Save resources").click()
    expect(page.get_by_text("Fractions of amounts now links 1 resource.")).to_be_visible()

    page.get_by_role("link", name="Curriculum map").click()
    expect(page.get_by_role("cell", name="Fractions of amounts 1 resource")).to_be_visible()


def test_a_member_reads_the_map_and_follows_a_unit_to_the_next_year(page: Page) -> None:
    maths = maths_network()
    teacher = factories.primary_teacher()
    MembershipFactory(network=maths, person=teacher)
    number = Strand.objects.create(network=maths, name="Number")
    year_6 = Unit.objects.create(strand=number, year_group=YearGroup.Y6, title="Long division")
    year_6.resources.add(ResourceFactory(network=maths, title="Division worked examples"))
    Unit.objects.create(strand=number, year_group=YearGroup.Y8, title="Negative numbers")

    sign_in(page, teacher.email)
    page.goto("/resources/networks/maths/map/")
    expect(page.get_by_text("Gap: No unit yet for Year 7 Number")).to_be_visible()
    expect(page.get_by_text("Gap: No resources yet for Year 8 Negative numbers")).to_be_visible()
    expect(page.get_by_role("link", name="Add a strand")).to_have_count(0)
    assert_axe_clean(page)

    page.get_by_role("link", name="Long division").click()
    expect(page.get_by_role("heading", level=1, name="Long division")).to_be_visible()
    expect(page.get_by_role("heading", name="Division worked examples")).to_be_visible()
    assert_axe_clean(page)

    page.get_by_role("link", name="Year 8: Negative numbers").click()
    expect(page.get_by_role("heading", level=1, name="Negative numbers")).to_be_visible()
    expect(page.get_by_role("link", name="Year 6: Long division")).to_be_visible()


def test_the_map_scrolls_sideways_on_a_phone_and_stays_axe_clean(page: Page) -> None:
    maths = maths_network()
    teacher = factories.primary_teacher()
    number = Strand.objects.create(network=maths, name="Number")
    Unit.objects.create(strand=number, year_group=YearGroup.Y1, title="Counting to 100")

    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, teacher.email)
    page.goto("/resources/networks/maths/map/?years=all")
    region = page.get_by_role("region", name="Maths: units by strand and year group")
    region.focus()
    expect(region).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_axe_clean(page)

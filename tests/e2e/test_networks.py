import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.networks.factories import MembershipFactory, NetworkFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_teacher_joins_an_open_network_and_sees_it_under_my_networks(page: Page) -> None:
    teacher = factories.primary_teacher()
    lead = factories.secondary_maths_lead()
    maths = NetworkFactory(
        name="Maths", subject="Mathematics", phases=["primary", "secondary"],
        description="Number, algebra and geometry from EYFS to A level.",
    )  # fmt: skip
    MembershipFactory(network=maths, person=lead, lead=True)
    NetworkFactory(name="Heads of science", private=True, phases=["secondary"])

    sign_in(page, teacher.email)
    page.goto("/")
    expect(page.get_by_role("heading", name="My networks")).to_be_visible()
    expect(page.get_by_text("You have not joined a network yet")).to_be_visible()

    page.goto("/networks/")
    expect(page.get_by_role("heading", name="Networks", level=1)).to_be_visible()
    assert_axe_clean(page)
    page.get_by_role("link", name="Maths").click()
    expect(page.get_by_role("heading", name="Maths", level=1)).to_be_visible()
    leads = page.get_by_role("region", name="Lead")
    expect(leads).to_contain_text("Tom Okafor")
    expect(leads).to_contain_text("Riverside Academy")
    page.get_by_role("button", name="Join Maths").click()

    expect(page.get_by_role("status")).to_contain_text("You have joined Maths.")
    expect(page.get_by_text("You are a member of this network.")).to_be_visible()
    assert_axe_clean(page)

    page.goto("/")
    my_networks = page.locator(".my-networks")
    expect(my_networks.get_by_role("link", name="Maths")).to_be_visible()
    expect(my_networks).not_to_contain_text("Heads of science")


def test_the_network_index_and_a_network_home_are_axe_clean(page: Page) -> None:
    teacher = factories.primary_teacher()
    maths = NetworkFactory(name="Maths", subject="Mathematics", phases=["primary"])
    MembershipFactory(network=maths, person=teacher, lead=True)
    MembershipFactory.create_batch(14, network=maths)
    NetworkFactory(name="Early years", phases=["eyfs"])
    NetworkFactory(name="Heads of science", private=True)

    sign_in(page, teacher.email)
    page.goto("/networks/")
    expect(page.get_by_text("You lead this network")).to_be_visible()
    assert_axe_clean(page)

    page.get_by_label("Phase").select_option(label="Early years (EYFS)")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("status")).to_contain_text("1 network found")
    assert_axe_clean(page)

    page.goto(f"/networks/{maths.slug}/")
    expect(page.get_by_role("heading", name="Members (15)")).to_be_visible()
    expect(page.get_by_label("New lead")).to_be_visible()
    assert_axe_clean(page)

    page.get_by_role("link", name="All members").click()
    expect(page.get_by_role("heading", name="Members of Maths", level=1)).to_be_visible()
    assert_axe_clean(page)


def test_a_teacher_asks_to_join_a_private_network_and_a_lead_approves(page: Page) -> None:
    teacher = factories.primary_teacher()
    lead = factories.secondary_maths_lead()
    heads = NetworkFactory(name="Heads of maths", private=True, description="For maths leads.")
    MembershipFactory(network=heads, person=lead, lead=True)
    MembershipFactory(network=heads, person__first_name="Secret", person__last_name="Member")

    sign_in(page, teacher.email)
    page.goto(f"/networks/{heads.slug}/")
    expect(page.get_by_text("For maths leads.")).to_be_visible()
    expect(page.get_by_role("region", name="Lead")).to_contain_text("Tom Okafor")
    expect(page.get_by_text("Secret Member")).to_have_count(0)
    assert_axe_clean(page)
    page.get_by_label("Message to the leads (optional)").fill("I lead maths at Oakfield.")
    page.get_by_role("button", name="Request to join").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Your request to join Heads of maths has been sent to its leads."
    )
    expect(page.get_by_text("A lead will decide soon")).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, lead.email)
    page.goto(f"/networks/{heads.slug}/")
    requests = page.get_by_role("region", name="Requests to join")
    expect(requests).to_contain_text("Priya Patel")
    expect(requests).to_contain_text("I lead maths at Oakfield.")
    assert_axe_clean(page)
    requests.get_by_role("button", name="Approve Priya Patel").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Priya Patel is now a member of Heads of maths."
    )

    page.context.clear_cookies()
    sign_in(page, teacher.email)
    page.goto(f"/networks/{heads.slug}/")
    expect(page.get_by_text("You are a member of this network.")).to_be_visible()
    expect(page.get_by_text("Secret Member")).to_be_visible()

"""A colleague removed from a private network while its thread is open in their browser: the
page says so at once and stops trying to reconnect."""

import pytest
from playwright.sync_api import Page, expect

from forums.models import Forum
from tests import factories
from tests.e2e.conftest import open_live, sign_in
from tests.forums.factories import PostFactory, ThreadFactory
from tests.networks.factories import MembershipFactory, NetworkFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_removed_member_is_told_and_their_page_stops_reconnecting(page: Page, other_page: Page):
    teacher = factories.primary_teacher()
    lead = factories.secondary_maths_lead()
    network = NetworkFactory(name="SEND leads", private=True)
    MembershipFactory(network=network, person=lead, lead=True)
    MembershipFactory(network=network, person=teacher)
    thread = ThreadFactory(forum=Forum.objects.get(network=network), title="Annual reviews")
    PostFactory(thread=thread, author=lead, body="Dates for the spring term.")
    sign_in(page, teacher.email)
    open_live(page, thread.get_absolute_url())
    sockets_opened: list[str] = []
    page.on("websocket", lambda socket: sockets_opened.append(socket.url))

    sign_in(other_page, lead.email)
    other_page.goto(f"/networks/{network.slug}/members/")
    other_page.get_by_role("button", name=f"Remove {teacher.name}").click()

    message = "You no longer have access to this network."
    expect(page.locator(".live-note")).to_have_text(message)
    expect(page.get_by_role("status").filter(has_text=message)).to_have_count(1)  # read out
    expect(page.get_by_role("button", name="Pause live updates")).to_be_hidden()
    page.wait_for_timeout(3_000)  # longer than the first reconnect's backoff
    assert [url for url in sockets_opened if "/ws/threads/" in url] == []

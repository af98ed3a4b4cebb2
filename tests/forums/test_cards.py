"""Links to resources shown as cards under the post, only for resources every member of
staff may see, since the saved card is shown to every reader."""

import pytest

from forums import services
from forums.models import Forum
from networks.curriculum import YearGroup
from resources.models import Resource
from tests.forums.factories import PostFactory
from tests.networks.factories import NetworkFactory
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def resource():
    return ResourceFactory(
        title="Fractions on a number line",
        network=NetworkFactory(name="Primary maths"),
        resource_type=Resource.Type.SLIDE_DECK,
        year_groups=[YearGroup.Y4.value, YearGroup.Y7.value],
    )


def cards(html: str) -> int:
    return html.count('class="resource-card"')


@pytest.mark.parametrize(
    "link",
    [
        "[the deck](http://testserver{url})",
        "[the deck]({url})",
        "See http://localhost{url} for it",
        "See {url} for it",
        "<http://testserver{url}>",
    ],
)
def test_a_link_to_a_resource_shows_its_card(resource, link):
    html = services.render_post_body(link.format(url=resource.get_absolute_url()))

    assert cards(html) == 1
    card = html[html.index('class="resource-card"') :]
    assert f'<a href="{resource.get_absolute_url()}">Fractions on a number line</a>' in card
    assert "Slide deck" in card
    assert "Primary maths" in card
    assert "Primary, Secondary" in card
    assert "Key stage 2, Key stage 3" in card


def test_the_card_comes_after_the_text(resource):
    html = services.render_post_body(f"Try [this]({resource.get_absolute_url()}). It works.")

    assert html.index("It works.") < html.index('class="resource-card"')


@pytest.mark.parametrize(
    "hidden",
    [
        {"draft": True},
        {"archived": True},
        {"network_only": True},
        {"network": "private"},
    ],
)
def test_no_card_for_a_resource_not_everyone_may_see(hidden):
    if hidden.get("network") == "private":
        hidden = {"network": NetworkFactory(private=True)}
    resource = ResourceFactory(title="Secret scheme", **hidden)

    html = services.render_post_body(f"[Look](https://testserver{resource.get_absolute_url()})")

    assert cards(html) == 0
    assert "Secret scheme" not in html
    assert ">Look</a>" in html  # the plain link stays


def test_no_card_for_links_in_code_or_to_other_sites_or_pages(resource):
    url = resource.get_absolute_url()
    body = (
        f"`{url}` and\n\n    {url}\n\n"
        f"[elsewhere](https://other.example{url}) "
        f"[edit](https://testserver{url}edit/) [browse](https://testserver/resources/)"
    )

    assert cards(services.render_post_body(body)) == 0


def test_a_resource_linked_twice_has_one_card_and_a_post_at_most_three():
    first, *others = ResourceFactory.create_batch(5)
    body = " ".join(
        f"[r](https://testserver{resource.get_absolute_url()})"
        for resource in [first, first, *others]
    )

    html = services.render_post_body(body)

    assert cards(html) == 3
    assert html.count(first.get_absolute_url()) == 3  # two links and its card


def test_a_hostile_title_is_escaped_in_the_card():
    resource = ResourceFactory(title='<script>alert("x")</script> Fractions')

    html = services.render_post_body(f"[r]({resource.get_absolute_url()})")

    assert cards(html) == 1
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_cards_take_one_query_however_many(django_assert_num_queries):
    resources = ResourceFactory.create_batch(3)
    body = " ".join(f"[r]({resource.get_absolute_url()})" for resource in resources)

    with django_assert_num_queries(1):
        html = services.render_post_body(body)

    assert cards(html) == 3


def test_a_posted_reply_shows_the_card_on_the_thread_page(staff_client, primary_teacher, resource):
    thread = PostFactory(thread__forum=Forum.objects.get(slug="wellbeing")).thread

    services.post_create(
        thread=thread, author=primary_teacher, body=f"Try {resource.get_absolute_url()}"
    )

    html = staff_client.get(thread.get_absolute_url()).content.decode()
    assert cards(html) == 1
    assert "Fractions on a number line" in html

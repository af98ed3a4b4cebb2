import datetime

import pytest
from wagtail.models import Site

from cms.models import HomePage
from tests.cms import factories as cms

pytestmark = pytest.mark.django_db

PAGES = [
    "principle_index",
    "news_index",
    "sports_day",
    "school_index",
    "shared_focus",
]


def test_a_fresh_migrate_makes_a_home_page_the_default_sites_root() -> None:
    root = Site.objects.get(is_default_site=True).root_page.specific

    assert isinstance(root, HomePage)
    assert HomePage.objects.count() == 1


@pytest.mark.parametrize("name", PAGES)
def test_every_page_type_renders_for_a_signed_in_member_of_staff(
    staff_client, trust_pages, name
) -> None:
    page = trust_pages[name]

    response = staff_client.get(page.url)

    assert response.status_code == 200
    assert page.title in response.text


def test_a_principle_shows_its_body_and_what_it_looks_like_in_practice(
    staff_client, trust_pages
) -> None:
    principle = trust_pages["principles"][1]

    response = staff_client.get(principle.url)

    assert response.status_code == 200
    assert "Why it matters to our pupils." in response.text
    assert "What it looks like in practice" in response.text
    assert "In the classroom" in response.text


@pytest.mark.parametrize("name", [None, *PAGES])
def test_anonymous_visitors_are_sent_to_sign_in(client, trust_pages, name) -> None:
    url = trust_pages[name].url if name else "/"

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/people/sign-in/")


def test_the_home_page_shows_the_latest_news_the_principles_and_the_shared_focus(
    staff_client, trust_pages
) -> None:
    for number in range(4):
        cms.NewsPageFactory(
            parent=trust_pages["news_index"],
            title=f"Newest {number}",
            date=datetime.date(2026, 12, 1 + number),
        )

    response = staff_client.get("/")

    assert response.status_code == 200
    latest = [item.title for item in response.context["latest_news"]]
    assert latest == ["Newest 3", "Newest 2", "Newest 1"]
    for principle in trust_pages["principles"]:
        assert principle.title in response.text
    assert "Climate and sustainability" in response.text
    assert "Our shared focus for 2026/27" in response.text


def test_the_home_page_links_only_to_sections_that_exist(staff_client, trust_pages) -> None:
    response = staff_client.get("/")

    assert [link.title for link in response.context["section_links"]] == [
        "Networks",
        "Resources",
        "Forums",
    ]
    assert "Our schools" in response.text


def test_the_home_page_needs_no_more_queries_as_news_and_principles_grow(
    staff_client, trust_pages, django_assert_max_num_queries
) -> None:
    for number in range(6):
        cms.NewsPageFactory(parent=trust_pages["news_index"], schools=[trust_pages["oakfield"]])
        cms.PrinciplePageFactory(parent=trust_pages["principle_index"], title=f"More {number}")

    staff_client.get("/")  # fills Wagtail's and Django's process-wide caches

    with django_assert_max_num_queries(15):  # the goal for every page (issue 8)
        response = staff_client.get("/")

    assert response.status_code == 200


def test_the_schools_index_lists_every_school_with_its_details(staff_client, trust_pages) -> None:
    oakfield = trust_pages["oakfield"]
    oakfield.address = "1 Orchard Lane\nTonbridge"
    oakfield.postcode = "TN9 1AA"
    oakfield.website = "https://oakfield.example"
    oakfield.save()

    response = staff_client.get(trust_pages["school_index"].url)

    assert "Oakfield Primary" in response.text
    assert "Riverside Academy" in response.text
    for detail in ("Primary", "4–11", "Kent", "Ms A. Shah", "TN9 1AA", "https://oakfield.example"):
        assert detail in response.text

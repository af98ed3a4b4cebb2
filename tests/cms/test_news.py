import datetime
from xml.etree import ElementTree

import pytest

from tests.cms import factories as cms

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def titles(response) -> list[str]:
    return [item.title for item in response.context["news_page"].object_list]


def test_the_news_index_filters_by_school(staff_client, trust_pages) -> None:
    response = staff_client.get(trust_pages["news_index"].url, {"school": "oakfield-primary"})

    assert response.status_code == 200
    assert titles(response) == ["Oakfield sports day"]
    assert "News for Oakfield Primary" in response.text


def test_the_news_index_filters_by_category(staff_client, trust_pages) -> None:
    response = staff_client.get(trust_pages["news_index"].url, {"category": "achievements"})

    assert titles(response) == ["Riverside science results"]


def test_the_news_index_filters_by_school_and_category_together(staff_client, trust_pages) -> None:
    response = staff_client.get(
        trust_pages["news_index"].url, {"school": "oakfield-primary", "category": "achievements"}
    )

    assert titles(response) == []
    assert "No news matches those filters." in response.text


def test_the_news_filters_have_labels(staff_client, trust_pages) -> None:
    response = staff_client.get(trust_pages["news_index"].url)

    assert '<label for="id_school">School</label>' in response.text
    assert '<label for="id_category">Category</label>' in response.text


@pytest.mark.parametrize(
    "query",
    [
        {"school": "no-such-school"},
        {"category": "'; drop table cms_newspage; --"},
        {"school": "oakfield-primary", "category": "nope"},
        {"page": "not-a-number"},
        {"page": "999"},
    ],
)
def test_bad_filter_values_show_all_news_with_a_message(staff_client, trust_pages, query) -> None:
    response = staff_client.get(trust_pages["news_index"].url, query)

    assert response.status_code == 200
    assert len(titles(response)) == 2
    if "page" not in query:
        assert "We could not find that school or category" in response.text


def test_the_news_index_shows_ten_items_a_page_newest_first(staff_client, trust_pages) -> None:
    news_index = trust_pages["news_index"]
    for day in range(1, 12):
        cms.NewsPageFactory(
            parent=news_index,
            title=f"Events {day}",
            category=trust_pages["events"],
            date=datetime.date(2026, 12, day),
        )

    first = staff_client.get(news_index.url, {"category": "events"})
    second = staff_client.get(news_index.url, {"category": "events", "page": 2})

    assert titles(first) == [f"Events {day}" for day in range(11, 1, -1)]
    assert titles(second) == ["Events 1", "Oakfield sports day"]
    assert 'href="?category=events&amp;page=2"' in first.text
    assert "Page 2 of 2" in second.text


def test_the_news_index_needs_no_more_queries_as_news_grows(
    staff_client, trust_pages, django_assert_max_num_queries
) -> None:
    for _ in range(12):
        cms.NewsPageFactory(
            parent=trust_pages["news_index"],
            schools=[trust_pages["oakfield"], trust_pages["riverside"]],
            category=trust_pages["events"],
        )

    url, query = trust_pages["news_index"].url, {"school": "oakfield-primary", "category": "events"}
    staff_client.get(url, query)  # fills Wagtail's and Django's process-wide caches

    with django_assert_max_num_queries(22):
        response = staff_client.get(url, query)

    assert len(titles(response)) == 10


def test_the_atom_feed_is_valid_xml_with_the_latest_news(staff_client, trust_pages) -> None:
    response = staff_client.get(trust_pages["news_index"].url + "feed/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [
        "Oakfield sports day",
        "Riverside science results",
    ]
    for entry in entries:
        assert entry.findtext(f"{ATOM}updated")
        assert entry.find(f"{ATOM}link").get("href").startswith("http://testserver/news/")


def test_the_atom_feed_holds_at_most_twenty_items(staff_client, trust_pages) -> None:
    for _ in range(20):
        cms.NewsPageFactory(parent=trust_pages["news_index"])

    response = staff_client.get(trust_pages["news_index"].url + "feed/")

    feed = ElementTree.fromstring(response.content)
    assert len(feed.findall(f"{ATOM}entry")) == 20


def test_the_atom_feed_needs_sign_in(client, trust_pages) -> None:
    response = client.get(trust_pages["news_index"].url + "feed/")

    assert response.status_code == 302
    assert response["Location"].startswith("/people/sign-in/")


def test_a_news_item_shows_its_schools_category_and_body(staff_client, trust_pages) -> None:
    response = staff_client.get(trust_pages["sports_day"].url)

    assert "Oakfield Primary" in response.text
    assert "Events" in response.text
    assert "The whole story." in response.text

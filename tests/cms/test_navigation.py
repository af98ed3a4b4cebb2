"""The navigation, breadcrumbs and branding every page shows are read once and kept in the
cache: a change made in Wagtail shows on the next page, and the pages after cost no query."""

import time

import pytest
from wagtail.models import Page

from cms import navigation
from cms.models import TrustBranding
from tests.cms import factories as cms

pytestmark = pytest.mark.django_db


def nav_links(response) -> dict[str, str]:
    return {item.label: item.url for item in response.context["nav_items"]}


def crumbs(page: Page) -> list[tuple[str, str]]:
    return [(crumb.label, crumb.url) for crumb in navigation.breadcrumbs(page)]


def test_once_read_the_sections_and_breadcrumbs_cost_no_query(
    trust_pages, django_assert_num_queries
):
    news_item = trust_pages["sports_day"]
    assert navigation.section_urls() == {"news": "/news/", "principles": "/principles/"}
    assert crumbs(news_item) == [("Home", "/"), ("News", "/news/")]

    with django_assert_num_queries(0):
        assert navigation.section_urls() == {"news": "/news/", "principles": "/principles/"}
        assert crumbs(news_item) == [("Home", "/"), ("News", "/news/")]


def test_unpublishing_and_publishing_a_section_changes_the_navigation_at_once(
    staff_client, trust_pages
):
    assert nav_links(staff_client.get("/"))["News"] == "/news/"

    trust_pages["news_index"].unpublish()
    assert "News" not in nav_links(staff_client.get("/"))

    trust_pages["news_index"].save_revision().publish()
    assert nav_links(staff_client.get("/"))["News"] == "/news/"


def test_renaming_moving_and_deleting_a_page_changes_the_breadcrumbs_at_once(trust_pages):
    news_index, news_item = trust_pages["news_index"], trust_pages["sports_day"]
    assert crumbs(news_item) == [("Home", "/"), ("News", "/news/")]

    news_index.title = "Trust news"
    news_index.save_revision().publish()
    assert crumbs(news_item) == [("Home", "/"), ("Trust news", "/news/")]

    news_item.move(trust_pages["principle_index"], pos="last-child")
    news_item.refresh_from_db()
    assert crumbs(news_item) == [("Home", "/"), ("Our principles", "/principles/")]

    section = cms.NewsIndexPageFactory(title="Archive", slug="archive")
    navigation.section_urls()
    news_index.delete()
    assert navigation.section_urls()["news"] == section.url


def test_a_change_made_without_wagtails_signals_shows_within_the_cache_time(
    trust_pages, monkeypatch
):
    # Another worker's copy is forgotten only when it runs out: here, a second.
    monkeypatch.setattr(navigation, "CACHE_SECONDS", 1)
    assert navigation.section_urls()["news"] == "/news/"

    Page.objects.filter(pk=trust_pages["news_index"].pk).update(live=False)
    assert navigation.section_urls()["news"] == "/news/"

    time.sleep(1.1)
    assert "news" not in navigation.section_urls()


def test_saving_the_branding_changes_every_page_at_once(staff_client, django_assert_num_queries):
    branding = TrustBranding.load()
    branding.trust_name = "Weald Valley Learning Trust"
    branding.save()
    assert "Weald Valley Learning Trust" in staff_client.get("/resources/").text

    with django_assert_num_queries(0):
        assert TrustBranding.load().trust_name == "Weald Valley Learning Trust"

    branding.trust_name = "Downs and Weald Trust"
    branding.save()
    html = staff_client.get("/resources/").text
    assert "Downs and Weald Trust" in html
    assert "Weald Valley Learning Trust" not in html


def test_a_new_pages_preview_gets_its_own_breadcrumbs_never_a_cached_ones(trust_pages):
    from cms.models import NewsPage, PrinciplePage

    def unsaved(model, parent: Page) -> Page:
        # As Wagtail's preview of a page being created places it: under its parent, no id.
        return model(title="Draft", slug="draft", depth=parent.depth + 1, path=parent.path + "ZZZZ")

    news, principles = trust_pages["news_index"], trust_pages["principle_index"]
    assert crumbs(unsaved(NewsPage, news)) == [("Home", "/"), ("News", "/news/")]
    assert crumbs(unsaved(PrinciplePage, principles)) == [
        ("Home", "/"),
        ("Our principles", "/principles/"),
    ]

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from cms.models import (
    HomePage,
    NewsIndexPage,
    NewsPage,
    PrincipleIndexPage,
    PrinciplePage,
    SchoolIndexPage,
    SharedFocusPage,
)
from tests.cms import factories as cms
from tests.factories import sign_in_with_identity_provider

pytestmark = pytest.mark.django_db


def news_form(schools: list[int] | None = None, **overrides) -> dict:
    data = {
        "title": "Trust-wide inset day",
        "slug": "trust-wide-inset-day",
        "date": "2026-11-20",
        "category": "",
        "intro": "All staff meet at Riverside Academy.",
        "image": "",
        "image_alt": "",
        "body": streamfield([("paragraph", rich_text("<p>Bring a packed lunch.</p>"))]),
        "comments": inline_formset([]),
        "go_live_at": "",
        "expire_at": "",
        **overrides,
    }
    return {**nested_form_data(data), "schools": schools or []}


def add_news_url(news_index: NewsIndexPage) -> str:
    return reverse("wagtailadmin_pages:add", args=("cms", "newspage", news_index.pk))


def test_a_central_team_member_creates_and_publishes_news_in_the_admin(
    client, central_team_editor, trust_pages
) -> None:
    sign_in_with_identity_provider(client, central_team_editor)
    school = trust_pages["oakfield"]

    response = client.post(
        add_news_url(trust_pages["news_index"]),
        news_form(
            category=trust_pages["events"].pk, schools=[school.pk], **{"action-publish": "1"}
        ),
    )

    assert response.status_code == 302, response.context["form"].errors
    news = NewsPage.objects.get(slug="trust-wide-inset-day")
    assert news.live
    assert list(news.schools.all()) == [school]
    assert news.revisions.count() == 1
    assert client.get(news.url).status_code == 200


def test_central_team_publishing_can_be_scheduled(client, central_team_editor, trust_pages) -> None:
    sign_in_with_identity_provider(client, central_team_editor)
    go_live = timezone.localtime() + datetime.timedelta(days=3)

    client.post(
        add_news_url(trust_pages["news_index"]),
        news_form(go_live_at=go_live.strftime("%Y-%m-%d %H:%M"), **{"action-publish": "1"}),
    )

    news = NewsPage.objects.get(slug="trust-wide-inset-day")
    assert not news.live
    assert news.scheduled_revision is not None


def test_news_goes_through_the_central_teams_approval_workflow(trust_pages) -> None:
    workflow = trust_pages["sports_day"].get_workflow()

    assert workflow is not None
    assert workflow.active
    assert [task.specific.groups.get().name for task in workflow.tasks] == ["Central team"]


def test_a_plain_member_of_staff_gets_no_admin_access(staff_client, trust_pages) -> None:
    dashboard = staff_client.get(reverse("wagtailadmin_home"))
    add = staff_client.post(
        add_news_url(trust_pages["news_index"]), news_form(**{"action-publish": "1"})
    )

    assert dashboard.status_code in (302, 403)
    assert add.status_code in (302, 403)
    assert not NewsPage.objects.filter(slug="trust-wide-inset-day").exists()


def test_pages_only_go_where_they_belong() -> None:
    assert HomePage.allowed_parent_page_models() == [Page]
    assert set(HomePage.allowed_subpage_models()) == {
        PrincipleIndexPage,
        NewsIndexPage,
        SchoolIndexPage,
        SharedFocusPage,
    }
    assert PrincipleIndexPage.allowed_subpage_models() == [PrinciplePage]
    assert NewsIndexPage.allowed_subpage_models() == [NewsPage]
    assert PrinciplePage.allowed_parent_page_models() == [PrincipleIndexPage]
    assert NewsPage.allowed_parent_page_models() == [NewsIndexPage]
    for model in (PrinciplePage, NewsPage, SchoolIndexPage, SharedFocusPage):
        assert model.allowed_subpage_models() == []


def test_there_is_only_one_home_page_news_index_and_principles_index(trust_pages) -> None:
    home = cms.home_page()

    assert not HomePage.can_create_at(Page.get_first_root_node())
    assert not NewsIndexPage.can_create_at(home)
    assert not PrincipleIndexPage.can_create_at(home)
    assert SharedFocusPage.can_create_at(home)


@pytest.mark.parametrize("name", ["principles", "sports_day", "shared_focus", "school_index"])
def test_the_central_team_can_open_every_page_type_in_the_editor(
    client, central_team_editor, trust_pages, name
) -> None:
    sign_in_with_identity_provider(client, central_team_editor)
    page = trust_pages[name][0] if name == "principles" else trust_pages[name]

    response = client.get(reverse("wagtailadmin_pages:edit", args=(page.pk,)))

    assert response.status_code == 200


def test_the_central_team_can_choose_a_school_for_a_practice_example(
    client, central_team_editor, trust_pages
) -> None:
    sign_in_with_identity_provider(client, central_team_editor)

    response = client.get(reverse("wagtailsnippetchoosers_people_school:choose"))

    assert response.status_code == 200
    assert "Oakfield Primary" in response.text

from io import StringIO

import pytest
from django.core.management import call_command
from wagtail.models import Page

from cms.models import HomePage, NewsPage, PrinciplePage, SharedFocusPage, TrustBranding
from forums.models import Post, Thread
from networks.models import Membership, Network
from people.models import Person, School
from resources.models import FileVersion, Resource, Unit

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "pages": Page.objects.count(),
        "news": NewsPage.objects.count(),
        "schools": School.objects.count(),
        "people": Person.objects.count(),
        "networks": Network.objects.count(),
        "memberships": Membership.objects.count(),
        "resources": Resource.objects.count(),
        "files": FileVersion.objects.count(),
        "units": Unit.objects.count(),
        "threads": Thread.objects.count(),
        "posts": Post.objects.count(),
    }


def test_seed_demo_builds_the_weald_valley_learning_trust() -> None:
    output = seed()

    home = HomePage.objects.get()
    assert home.title == "Weald Valley Learning Trust"
    assert TrustBranding.load().trust_name == "Weald Valley Learning Trust"
    assert sorted(PrinciplePage.objects.values_list("title", flat=True)) == [
        "Equity",
        "Ethical leadership",
        "Inclusion",
    ]
    assert NewsPage.objects.live().count() == 12
    # A resource has its discussion and a principle its consultation, as staff will see them.
    assert Thread.objects.filter(resource__isnull=False).count() == 1
    assert Thread.objects.filter(page__isnull=False).count() == 1
    assert NewsPage.objects.values("category").distinct().count() == 3
    assert len(set(NewsPage.objects.values_list("date", flat=True))) == 12
    focus = SharedFocusPage.objects.get()
    assert (focus.title, focus.academic_year) == ("Climate and sustainability", "2026/27")
    assert "Demo sign-in" in output


def test_seed_demo_news_concerns_the_demo_schools() -> None:
    seed()

    assert School.objects.exists()
    assert NewsPage.objects.filter(schools__isnull=False).distinct().count() >= 6


def test_running_seed_demo_twice_changes_nothing() -> None:
    seed()
    first = counts()

    seed()

    assert counts() == first
    assert first["news"] == 12


def test_seed_demo_if_empty_leaves_an_existing_site_alone() -> None:
    seed()
    first = counts()
    NewsPage.objects.first().delete()

    output = seed("--if-empty")

    assert "leaving it as it is" in output
    assert counts() == {**first, "pages": first["pages"] - 1, "news": 11}


def test_the_demo_pages_render_for_a_member_of_staff(staff_client) -> None:
    seed()

    for page in Page.objects.filter(depth__gt=1).specific():
        assert staff_client.get(page.url).status_code == 200, page.url


def test_seed_demo_adds_networks_resources_with_real_files_and_curriculum_maps(settings) -> None:
    seed()

    assert Network.objects.count() == 14
    assert Network.objects.get(name="SEND and inclusion").is_private
    assert Network.objects.get(name="Early Years").subject is None
    for network in Network.objects.all():
        assert network.memberships.filter(role=Membership.Role.LEAD).exists(), network
    assert Resource.objects.count() == settings.DEMO_RESOURCE_COUNT
    versions = FileVersion.objects.select_related("file__resource")
    assert versions.count() == settings.DEMO_RESOURCE_COUNT
    assert {v.content_type.rsplit(".", 1)[-1] for v in versions} == {
        "application/pdf",
        "document",
        "presentation",
    }
    for version in versions:
        # The text was read back out of the real file by the upload extractor.
        assert version.extraction == FileVersion.Extraction.DONE
        assert version.file.resource.title in version.extracted_text
        assert version.blob.size == version.size
    maps = Unit.objects.values_list("strand__network__name", flat=True).distinct()
    assert set(maps) == {"Maths", "English"}
    assert Unit.objects.filter(resources__isnull=True).exists(), "the maps show some gaps"

"""Browse filters return exactly the expected resources, at a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from resources import selectors, views
from resources.models import Resource
from tests.factories import SchoolFactory, sign_in_with_identity_provider
from tests.networks.factories import NetworkFactory
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(central_team_editor):
    maths = NetworkFactory(name="Maths", subject="Mathematics")
    english = NetworkFactory(name="English", subject="English")
    oakfield = SchoolFactory(name="Oakfield Primary")
    riverside = SchoolFactory(name="Riverside Academy")
    made = {
        "ks2 maths worksheet": ResourceFactory(network=maths, year_groups=["y4"], school=oakfield),
        "ks1 maths slides": ResourceFactory(
            network=maths,
            year_groups=["y1", "y2"],
            resource_type=Resource.Type.SLIDE_DECK,
            school=oakfield,
        ),
        "ks3 maths assessment": ResourceFactory(
            network=maths,
            year_groups=["y7"],
            resource_type=Resource.Type.ASSESSMENT,
            school=riverside,
        ),
        "y6 to y7 english bridge": ResourceFactory(
            network=english, year_groups=["y6", "y7"], school=riverside
        ),
        "eyfs english phonics": ResourceFactory(
            network=english,
            year_groups=["reception"],
            resource_type=Resource.Type.VIDEO,
            school=oakfield,
        ),
        "ks5 maths scheme": ResourceFactory(
            network=maths,
            year_groups=["y12", "y13"],
            resource_type=Resource.Type.SCHEME_OF_WORK,
            school=riverside,
        ),
    }
    made["ks2 maths worksheet"].endorsed_at = made["ks2 maths worksheet"].published_at
    made["ks2 maths worksheet"].save()
    # Never listed: not published.
    ResourceFactory(network=maths, year_groups=["y4"], draft=True, title="draft")
    ResourceFactory(network=maths, year_groups=["y4"], archived=True, title="archived")
    return {
        "maths": maths,
        "english": english,
        "oakfield": oakfield,
        "riverside": riverside,
        **made,
    }


def found(person, library, **filters) -> set[str]:
    names = {
        resource.pk: name for name, resource in library.items() if isinstance(resource, Resource)
    }
    return {
        names.get(resource.pk, resource.title) for resource in selectors.browse(person, **filters)
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            {},
            {
                "ks2 maths worksheet",
                "ks1 maths slides",
                "ks3 maths assessment",
                "y6 to y7 english bridge",
                "eyfs english phonics",
                "ks5 maths scheme",
            },
        ),
        (
            {"phases": ["primary"]},
            {"ks2 maths worksheet", "ks1 maths slides", "y6 to y7 english bridge"},
        ),
        ({"phases": ["eyfs", "post16"]}, {"eyfs english phonics", "ks5 maths scheme"}),
        ({"key_stages": ["ks2"]}, {"ks2 maths worksheet", "y6 to y7 english bridge"}),
        ({"key_stages": ["ks3"]}, {"ks3 maths assessment", "y6 to y7 english bridge"}),
        ({"year_groups": ["y2"]}, {"ks1 maths slides"}),
        ({"year_groups": ["y5"]}, set()),
        ({"key_stages": ["ks2"], "subjects": "maths"}, {"ks2 maths worksheet"}),
        ({"phases": ["secondary"], "types": ["assessment"]}, {"ks3 maths assessment"}),
        (
            {"types": ["worksheet", "video"]},
            {"ks2 maths worksheet", "y6 to y7 english bridge", "eyfs english phonics"},
        ),
        (
            {"schools": "riverside"},
            {"ks3 maths assessment", "y6 to y7 english bridge", "ks5 maths scheme"},
        ),
        ({"schools": "riverside", "key_stages": ["ks2"]}, {"y6 to y7 english bridge"}),
        ({"networks": "english"}, {"y6 to y7 english bridge", "eyfs english phonics"}),
        ({"networks": "english", "phases": ["eyfs"]}, {"eyfs english phonics"}),
        ({"endorsed_only": True}, {"ks2 maths worksheet"}),
        (
            {"subjects": "maths", "phases": ["post16"], "types": ["scheme_of_work"]},
            {"ks5 maths scheme"},
        ),
    ],
)
def test_browse_filters_return_exactly_the_matching_resources(
    central_team_editor, library, filters, expected
):
    # Objects named in the fixture stand in for their ids.
    lookups = {
        "subjects": lambda name: library[name].subject_id,
        "schools": lambda name: library[name].pk,
        "networks": lambda name: library[name].pk,
    }
    for key in ["subjects", "schools", "networks"]:
        if key in filters:
            filters[key] = [lookups[key](filters[key])]
    assert found(central_team_editor, library, **filters) == expected


def test_browse_sorts_newest_first_by_default_then_by_downloads_or_title(
    central_team_editor, library
):
    library["ks1 maths slides"].download_count = 50
    library["ks1 maths slides"].save()
    titles = [r.title for r in selectors.browse(central_team_editor, sort="title")]
    assert titles == sorted(titles)
    assert selectors.browse(central_team_editor, sort="downloads")[0] == library["ks1 maths slides"]
    assert selectors.browse(central_team_editor)[0] == library["ks5 maths scheme"]


def test_an_unknown_sort_falls_back_to_newest(central_team_editor, library):
    assert list(selectors.browse(central_team_editor, sort="nonsense")) == list(
        selectors.browse(central_team_editor)
    )


def test_the_browse_page_reads_filters_from_the_query_string(client, central_team_editor, library):
    sign_in_with_identity_provider(client, central_team_editor)
    response = client.get(
        reverse("resources:index"), {"key_stage": "ks2", "subject": "mathematics"}
    )
    assert response.status_code == 200
    assert [r.title for r in response.context["page"].object_list] == [
        library["ks2 maths worksheet"].title
    ]
    assert "1 resource found" in response.content.decode()


def test_nonsense_filters_are_ignored_rather_than_failing(client, central_team_editor, library):
    sign_in_with_identity_provider(client, central_team_editor)
    response = client.get(
        reverse("resources:index"), {"key_stage": "ks9", "page": "many", "sort": "x"}
    )
    assert response.status_code == 200


def make_many(count: int) -> None:
    maths = NetworkFactory(name="Maths", subject="Mathematics")
    for _ in range(count):
        ResourceFactory(network=maths, year_groups=["y4"])


@pytest.mark.parametrize("page_size", [10, 50])
def test_a_page_of_browse_results_costs_the_same_number_of_queries_whatever_its_size(
    client, primary_teacher, page_size, monkeypatch, django_assert_max_num_queries
):
    make_many(55)
    monkeypatch.setattr(views, "BROWSE_PAGE_SIZE", page_size)
    sign_in_with_identity_provider(client, primary_teacher)
    client.get(reverse("resources:index"))  # warm the session and role caches
    with django_assert_max_num_queries(16):
        response = client.get(
            reverse("resources:index"), {"key_stage": "ks2", "subject": "mathematics"}
        )
    assert len(response.context["page"].object_list) == page_size


def test_browse_query_count_does_not_grow_with_page_size(client, primary_teacher, monkeypatch):
    make_many(55)
    sign_in_with_identity_provider(client, primary_teacher)
    client.get(reverse("resources:index"))  # warm the site and branding caches
    counts = {}
    for page_size in [10, 50]:
        monkeypatch.setattr(views, "BROWSE_PAGE_SIZE", page_size)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("resources:index"), {"phase": "primary"})
        assert response.status_code == 200
        counts[page_size] = len(queries)
    assert counts[10] == counts[50]


def test_a_broad_search_says_more_than_and_asks_for_narrower_filters(
    client, primary_teacher, monkeypatch
):
    make_many(7)
    monkeypatch.setattr(views, "BROWSE_COUNT_LIMIT", 5)
    monkeypatch.setattr(views, "BROWSE_PAGE_SIZE", 2)
    sign_in_with_identity_provider(client, primary_teacher)
    response = client.get(reverse("resources:index"))
    page = response.content.decode()
    assert "More than 5 resources found" in page
    assert "Choose more filters" in page
    assert response.context["page"].paginator.num_pages == 3


def test_endorsed_only_lists_only_recommended_resources(central_team_editor):
    recommended = ResourceFactory()
    recommended.endorsed_at = recommended.published_at
    recommended.save()
    ResourceFactory()
    assert list(selectors.browse(central_team_editor, endorsed_only=True)) == [recommended]


def test_filter_options_are_escaped(client, primary_teacher):
    NetworkFactory(name='<script>alert("x")</script> network')
    sign_in_with_identity_provider(client, primary_teacher)
    page = client.get(reverse("resources:index"), {"network": "x"}).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; network" in page

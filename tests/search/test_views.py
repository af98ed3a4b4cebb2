"""The search page, the typeahead and the related resources panel, through HTTP, against the
real database backend."""

import socket
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings
from django.urls import reverse

from search import backends
from search.backends import database_backend
from search.records import all_records
from search.selectors import FALLBACK_NOTICE
from tests.networks.factories import NetworkFactory
from tests.resources.factories import ResourceFactory
from tests.search.test_text import HOSTILE

URL = "/search/"


def reindex() -> None:
    database_backend().rebuild(all_records())


@pytest.fixture
def maths(db):
    return NetworkFactory(name="Maths", subject="Mathematics")


@pytest.fixture
def resources(maths):
    science = NetworkFactory(name="Science", subject="Science")
    private = NetworkFactory(name="Senior leaders", private=True)
    found = {
        "ks2": ResourceFactory(network=maths, title="Fractions of amounts", year_groups=["y4"]),
        "ks3": ResourceFactory(
            network=maths, title="Equivalent fractions", year_groups=["y7"], endorsed_at=None
        ),
        "science": ResourceFactory(
            network=science,
            title="Photosynthesis knowledge organiser",
            summary="Light, chlorophyll and glucose on one page.",
            year_groups=["y8"],
        ),
        "secret": ResourceFactory(
            network=private, title="Fractions secret pilot", year_groups=["y4"]
        ),
    }
    reindex()
    return found


def test_the_page_needs_sign_in(client, db) -> None:
    response = client.get(URL, {"q": "fractions"})

    assert response.status_code == 302
    assert "/people/sign-in/" in response["Location"]


def test_the_search_page_is_named_for_links_and_the_navigation(db) -> None:
    assert reverse("search:index") == URL
    assert reverse("search:search") == URL
    assert reverse("search:suggest") == "/search/suggest/"


def test_every_page_has_the_header_search_box(staff_client, db) -> None:
    html = staff_client.get("/resources/").content.decode()

    assert 'role="search" aria-label="Site search"' in html
    assert '<label for="site-search-q" class="visually-hidden">Search Staffroom</label>' in html
    assert 'data-typeahead="/search/suggest/"' in html


def test_without_words_or_filters_the_page_invites_a_search(staff_client, db) -> None:
    response = staff_client.get(URL)

    assert response.status_code == 200
    assert b"Find resources, forum threads, news and principles" in response.content
    assert b"Apply filters" not in response.content


def test_results_show_titles_counts_facets_and_snippets(staff_client, resources) -> None:
    response = staff_client.get(URL, {"q": "fractions"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "2 results for “fractions”" in html
    assert "<mark>Fractions</mark> of amounts" in html
    assert "Fractions secret pilot" not in html
    assert 'Key stage 2 <span class="facet-count">(1)</span>' in html
    assert 'Mathematics <span class="facet-count">(2)</span>' in html
    assert "Apply filters" in html
    assert resources["ks2"].get_absolute_url() in html


def test_ticked_filters_show_as_removable_chips(staff_client, resources, maths) -> None:
    response = staff_client.get(
        URL, {"q": "fractions", "key_stage": "ks2", "subject": str(maths.subject_id)}
    )

    html = response.content.decode()
    assert "1 result for “fractions”" in html
    assert 'value="ks2" id="facet-key_stage-ks2" checked' in html
    chips = response.context["found"].chips
    assert [chip.label for chip in chips] == ["Key stage 2", "Mathematics"]
    left = parse_qs(urlsplit(chips[0].url).query)
    assert left == {"q": ["fractions"], "subject": [str(maths.subject_id)]}
    assert "Remove filter: </span>Key stage 2" in html


def test_year_group_words_apply_a_filter_with_a_link_to_undo_it(staff_client, resources) -> None:
    response = staff_client.get(URL, {"q": "Y7 fractions"})

    html = response.content.decode()
    assert "Showing Year 7 only." in html
    assert "Search every year group for “Y7 fractions”" in html
    assert "/search/?q=Y7+fractions&amp;exact=1" in html
    assert "1 result for “Y7 fractions”" in html

    undone = staff_client.get(URL, {"q": "Y7 fractions", "exact": "1"})
    assert "Showing Year 7 only." not in undone.content.decode()


def test_pagination_links_keep_the_search(staff_client, maths) -> None:
    ResourceFactory.create_batch(23, network=maths, title="Fractions practice")
    reindex()

    response = staff_client.get(URL, {"q": "fractions & amounts", "key_stage": "ks2"})

    html = response.content.decode()
    assert "23 results" in html
    assert 'href="?q=fractions+%26+amounts&amp;key_stage=ks2&amp;page=2" rel="next"' in html
    second = staff_client.get(URL, {"q": "fractions & amounts", "key_stage": "ks2", "page": "2"})
    assert len(second.context["found"].results) == 3


def test_a_page_past_the_end_shows_the_last_page_and_says_so(staff_client, resources) -> None:
    response = staff_client.get(URL, {"q": "fractions", "page": "40"})

    assert response.status_code == 200
    assert "There is only one page of results, so here it is." in response.content.decode()
    assert len(response.context["found"].results) == 2


def test_a_page_beyond_the_limit_is_capped_with_a_message(staff_client, resources) -> None:
    response = staff_client.get(URL, {"q": "fractions", "page": "99999999999999999999999"})

    assert response.status_code == 200
    assert "Search shows at most 50 pages" in response.content.decode()


@pytest.mark.parametrize("page", ["abc", "-3", "0", "1.5", "", "٣", "\x00"])
def test_a_page_that_is_not_a_number_is_the_first(staff_client, resources, page) -> None:
    response = staff_client.get(URL, {"q": "fractions", "page": page})

    assert response.status_code == 200
    assert response.context["found"].pagination.number == 1


@pytest.mark.parametrize("text", HOSTILE, ids=lambda text: repr(text[:30]))
def test_hostile_text_gets_results_or_a_message_never_an_error(
    staff_client, resources, text
) -> None:
    response = staff_client.get(URL, {"q": text})

    assert response.status_code == 200
    found = response.context["found"]
    asked = response.context["asked"]
    if not found.searched and text.strip(" \t\n\r\x00"):
        assert found.notices or asked.problems
    assert "<script>" not in response.content.decode()


def test_sql_in_the_text_is_searched_as_words(staff_client, resources) -> None:
    response = staff_client.get(URL, {"q": "fractions'; DROP TABLE resources_resource; --"})

    assert response.status_code == 200
    assert staff_client.get(URL, {"q": "fractions"}).context["found"].total == 2


def test_a_very_long_search_is_shortened_with_a_message(staff_client, resources) -> None:
    response = staff_client.get(URL, {"q": "fractions " * 1000})

    html = response.content.decode()
    assert response.status_code == 200
    assert "only its first 200 characters were used" in html
    assert response.context["found"].total == 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kind": "<script>"}, "“&lt;script&gt;” is not a kind of result we know"),
        ({"key_stage": "ks9"}, "“ks9” is not a key stage we know"),
        ({"year_group": "y14"}, "“y14” is not a year group we know"),
        ({"phase": "university"}, "“university” is not a phase we know"),
        ({"resource_type": "poster"}, "“poster” is not a type of resource we know"),
        ({"subject": "maths"}, "“maths” is not a subject we know"),
        ({"subject": "999999"}, "We could not find the subject you chose"),
        ({"school": "-1"}, "“-1” is not a school we know"),
        ({"network": "99999999999999999999999999"}, "is not a network we know"),
        ({"principle": "1e3"}, "“1e3” is not a trust principle we know"),
        ({"from": "2026-13-45"}, "is not a date we recognise, so the “from” date"),
        ({"to": "yesterday"}, "“yesterday” is not a date we recognise, so the “to” date"),
        ({"sort": "DROP TABLE"}, "“DROP TABLE” is not a way of sorting we know"),
        (
            {"from": "31/12/2026", "to": "1/1/2026"},
            "The “to” date was before the “from” date, so they have been swapped.",
        ),
        ({"key_stage": ["ks1"] * 3 + [f"x{n}" for n in range(40)]}, "Only the first 30"),
    ],
)
def test_unknown_or_malformed_filters_are_dropped_with_a_message(
    staff_client, resources, params, message
) -> None:
    response = staff_client.get(URL, {"q": "fractions", **params})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["found"].searched


def test_a_bad_filter_does_not_undo_the_good_ones(staff_client, resources) -> None:
    response = staff_client.get(URL, {"q": "fractions", "key_stage": ["ks2", "nonsense"]})

    assert response.context["found"].total == 1
    assert "“nonsense” is not a key stage we know" in response.content.decode()


def test_dates_are_read_in_iso_and_british_forms(staff_client, resources) -> None:
    british = staff_client.get(URL, {"q": "fractions", "from": "1/9/2020", "to": "31/12/2099"})
    iso = staff_client.get(URL, {"q": "fractions", "from": "2020-09-01", "to": "2099-12-31"})

    assert british.context["found"].filters == iso.context["found"].filters
    assert british.context["found"].total == 2
    assert [chip.label for chip in iso.context["found"].chips] == [
        "From 1 September 2020",
        "Until 31 December 2099",
    ]


def test_no_results_suggest_what_to_try(staff_client, resources) -> None:
    response = staff_client.get(URL, {"q": "zzyzx", "endorsed": "1"})

    html = response.content.decode()
    assert "0 results for “zzyzx”" in html
    assert "Check the spelling." in html
    assert "search with no filters" in html


def test_the_page_makes_a_bounded_number_of_queries(
    staff_client, maths, django_assert_max_num_queries
) -> None:
    science = NetworkFactory(name="Science", subject="Science")
    for index in range(30):
        ResourceFactory(
            network=maths if index % 2 else science,
            title=f"Fractions {index}",
            year_groups=[f"y{index % 13 + 1}"],
        )
    reindex()
    params = {"q": "fractions", "subject": str(maths.subject_id), "network": str(maths.pk)}
    staff_client.get(URL, params)  # warm the per-process caches (settings, roles)

    # 19 today: session, person, two filter checks, roles, memberships, four for the search,
    # three for names, and the layout's own (site, branding, bell, permissions).
    with django_assert_max_num_queries(25) as counted:
        response = staff_client.get(URL, params)

    assert response.status_code == 200
    assert len(response.context["found"].results) == 15
    few = len(counted.captured_queries)
    ResourceFactory.create_batch(20, network=maths, title="Fractions more")
    reindex()
    with django_assert_max_num_queries(few):
        staff_client.get(URL, params)


# Typeahead


def test_typeahead_answers_titles_and_addresses_as_json(staff_client, resources) -> None:
    response = staff_client.get("/search/suggest/", {"q": "photo"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert response.json() == {
        "results": [
            {
                "title": "Photosynthesis knowledge organiser",
                "url": resources["science"].get_absolute_url(),
                "kind": "Resource",
            }
        ]
    }


def test_typeahead_gives_at_most_eight(staff_client, maths) -> None:
    ResourceFactory.create_batch(12, network=maths, title="Fractions practice")
    reindex()

    assert len(staff_client.get("/search/suggest/", {"q": "fract"}).json()["results"]) == 8


def test_typeahead_never_offers_a_private_networks_resource(staff_client, resources) -> None:
    offered = staff_client.get("/search/suggest/", {"q": "fractions sec"}).json()["results"]

    assert "Fractions secret pilot" not in [item["title"] for item in offered]


@pytest.mark.parametrize("text", ["", "f", "   ", "\x00\x00", '"*', "x" * 5000, "AND (", "🧮🧮"])
def test_typeahead_answers_an_empty_list_to_little_or_odd_input(
    staff_client, resources, text
) -> None:
    response = staff_client.get("/search/suggest/", {"q": text})

    assert response.status_code == 200
    assert isinstance(response.json()["results"], list)


# Related resources on the resource page


def test_a_resource_page_lists_related_resources_it_may_show(staff_client, maths) -> None:
    private = NetworkFactory(name="Senior leaders", private=True)
    this = ResourceFactory(network=maths, title="Fractions of amounts", year_groups=["y4"])
    like = ResourceFactory(network=maths, title="Fractions of amounts with bar models")
    hidden = ResourceFactory(network=private, title="Fractions of amounts secret")
    reindex()

    html = staff_client.get(this.get_absolute_url()).content.decode()

    assert "Related resources" in html
    assert like.get_absolute_url() in html
    assert hidden.get_absolute_url() not in html


def test_the_related_panel_costs_the_same_queries_however_many_it_shows(
    staff_client, maths, django_assert_max_num_queries
) -> None:
    this = ResourceFactory(network=maths, title="Fractions of amounts", year_groups=["y4"])
    ResourceFactory(network=maths, title="Fractions of amounts with bar models")
    reindex()
    staff_client.get(this.get_absolute_url())
    with django_assert_max_num_queries(100) as one:
        staff_client.get(this.get_absolute_url())
    ResourceFactory.create_batch(8, network=maths, title="Fractions of amounts again")
    reindex()

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = staff_client.get(this.get_absolute_url())

    assert len(response.context["related"]) == 5


# Elasticsearch down


def test_when_elasticsearch_is_down_the_page_says_so_and_still_answers(
    staff_client, resources
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backends.elasticsearch_backend.cache_clear()
    backends.database_backend.cache_clear()
    try:
        with override_settings(ELASTICSEARCH_URL=f"http://127.0.0.1:{port}"):
            response = staff_client.get(URL, {"q": "fractions"})
            suggested = staff_client.get("/search/suggest/", {"q": "photo"})
    finally:
        backends.elasticsearch_backend.cache_clear()
        backends.database_backend.cache_clear()

    assert response.status_code == 200
    assert FALLBACK_NOTICE in response.content.decode()
    assert response.context["found"].total == 2
    assert suggested.json()["results"][0]["title"] == "Photosynthesis knowledge organiser"


def test_the_related_panel_leaves_out_the_source_and_adaptations_the_page_links(
    staff_client, maths
) -> None:
    source = ResourceFactory(network=maths, title="Fractions of amounts", year_groups=["y4"])
    this = ResourceFactory(
        network=maths, title="Fractions of amounts, our way", adapted_from=source
    )
    adaptation = ResourceFactory(
        network=maths, title="Fractions of amounts again", adapted_from=this
    )
    other = ResourceFactory(network=maths, title="Fractions of amounts with bar models")
    reindex()

    related = staff_client.get(this.get_absolute_url()).context["related"]

    assert other in related
    assert source not in related
    assert adaptation not in related

"""What every search backend promises, run against each of them on the same small trust.

Backend-agnostic: no exact scores, only orders, memberships and counts. To run the suite on
another backend, add its name to BACKENDS and a factory to BACKEND_FACTORIES (the factory gets
pytest's request, so it can ask for the fixtures its server needs).
"""

import dataclasses
import datetime
from collections import Counter
from collections.abc import Callable

import pytest
from django.utils import timezone

from networks.models import Network
from resources.models import Resource
from search.backends.base import Audience, SearchBackend
from search.query import FACETS, Filters, SearchRequest, SearchResults
from search.records import SearchRecord, audience_of, resource_record
from search.text import parse
from tests.search.conftest import Trust


def database_backend(request: pytest.FixtureRequest) -> SearchBackend:
    from search.backends.database import DatabaseBackend

    return DatabaseBackend()


BACKENDS = ["database", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)]
BACKEND_FACTORIES: dict[str, Callable[[pytest.FixtureRequest], SearchBackend]] = {
    "database": database_backend,
    # osmem-server started by the run, or real Elasticsearch when ELASTICSEARCH_URL is set.
    "elasticsearch": lambda request: request.getfixturevalue("elasticsearch_backend"),
}

EVERYONE: Audience = None  # the central team


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> SearchBackend:
    return BACKEND_FACTORIES[request.param](request)


@pytest.fixture
def indexed(backend: SearchBackend, trust: Trust) -> Trust:
    assert backend.rebuild(trust.records) == len(trust.records)
    return trust


def ask(
    backend: SearchBackend,
    text: str = "",
    audience: Audience = EVERYONE,
    *,
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 100,
    filters: Filters | None = None,
) -> SearchResults:
    parsed = parse(text, understand=False)
    request = SearchRequest(
        terms=parsed.terms,
        phrases=parsed.phrases,
        filters=filters or Filters(),
        sort=sort,
        page=page,
        page_size=page_size,
    )
    return backend.search(request, audience)


def keys(results: SearchResults | list) -> list[str]:
    hits = results.hits if isinstance(results, SearchResults) else results
    return [f"{hit.kind}:{hit.pk}" for hit in hits]


def key(resource: Resource) -> str:
    return f"resource:{resource.pk}"


# The truth, counted from the records themselves.

FACET_VALUES: dict[str, Callable[[SearchRecord], tuple]] = {
    "kind": lambda record: (record.kind,),
    "phase": lambda record: record.phases,
    "key_stage": lambda record: record.key_stages,
    "year_group": lambda record: record.year_groups,
    "subject": lambda record: () if record.subject is None else (record.subject,),
    "resource_type": lambda record: (record.resource_type,) if record.resource_type else (),
    "school": lambda record: () if record.school is None else (record.school,),
    "network": lambda record: () if record.network is None else (record.network,),
    "principle": lambda record: record.principles,
}


def visible(record: SearchRecord, audience: Audience) -> bool:
    return audience is None or bool(set(record.audience) & set(audience))


def passes(record: SearchRecord, filters: Filters, skip: str | None = None) -> bool:
    for facet in FACETS:
        chosen = filters.chosen(facet)
        if facet != skip and chosen and not set(FACET_VALUES[facet](record)) & chosen:
            return False
    day = timezone.localtime(record.published_at).date() if record.published_at else None
    if filters.shared_focus and not record.shared_focus:
        return False
    if filters.endorsed_only and not record.endorsed:
        return False
    if filters.published_from and (day is None or day < filters.published_from):
        return False
    if filters.published_to and (day is None or day > filters.published_to):
        return False
    return True


def true_keys(records: list[SearchRecord], filters: Filters, audience: Audience) -> set[str]:
    return {r.key for r in records if visible(r, audience) and passes(r, filters)}


def true_facets(
    records: list[SearchRecord], filters: Filters, audience: Audience
) -> dict[str, list[tuple]]:
    facets = {}
    for facet in FACETS:
        counts: Counter = Counter()
        for record in records:
            if visible(record, audience) and passes(record, filters, skip=facet):
                counts.update(set(FACET_VALUES[facet](record)))
        facets[facet] = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return facets


def facets_of(results: SearchResults) -> dict[str, list[tuple]]:
    return {
        facet: [(count.value, count.count) for count in results.facets.get(facet, [])]
        for facet in FACETS
    }


# Words


def test_a_plural_finds_the_singular_by_stemming(backend, indexed):
    assert key(indexed.resources["fraction_wall"]) in keys(ask(backend, "walls"))
    assert key(indexed.resources["photosynthesis"]) in keys(ask(backend, "organisers"))
    assert key(indexed.resources["fraction_wall"]) in keys(ask(backend, "fractions"))


@pytest.mark.parametrize(
    ("typed", "finds"),
    [
        ("mathematics", "algebra"),  # titled "Maths algebra starters"
        ("maths", "sats"),  # summary says "Mathematics"
        ("send", "toolkit"),  # titled "Special educational needs toolkit"
        ('"special educational needs"', "private_phonics"),  # titled "... SEND pupils"
    ],
)
def test_synonyms_find_the_other_ways_of_saying_a_word(backend, indexed, typed, finds):
    assert key(indexed.resources[finds]) in keys(ask(backend, typed))


def test_key_stage_and_year_short_forms_find_the_long_forms(backend, indexed):
    assert f"thread:{indexed.threads['moderation'].pk}" in keys(ask(backend, "ks2 moderation"))
    assert f"news:{indexed.news.pk}" in keys(ask(backend, "y6 transition"))
    assert f"news:{indexed.news.pk}" in keys(ask(backend, '"year 6" transition'))


def test_every_word_must_match(backend, indexed):
    found = keys(ask(backend, "fraction wall"))
    assert found == [key(indexed.resources["fraction_wall"])]
    assert ask(backend, "fractions photosynthesis").total == 0


def test_a_phrase_matches_only_words_in_that_order(backend, indexed):
    assert key(indexed.resources["fraction_wall"]) in keys(ask(backend, '"fraction wall"'))
    assert ask(backend, '"wall fraction"').total == 0


def test_title_matches_outrank_body_matches(backend, indexed):
    found = keys(ask(backend, "fractions"))
    in_title = found.index(key(indexed.resources["fraction_wall"]))
    in_body = found.index(key(indexed.resources["division"]))
    assert in_title < in_body


def test_no_text_lists_everything_visible_newest_first(backend, indexed):
    results = ask(backend, "")
    assert results.total == len(indexed.records)
    dates = [hit.published_at for hit in results.hits]
    known = [date for date in dates if date is not None]
    assert known == sorted(known, reverse=True)
    assert key(indexed.resources["draft"]) not in keys(results)


# Filters and facets


def filter_cases(trust: Trust) -> list[Filters]:
    resources = trust.resources
    today = timezone.localdate()
    return [
        Filters(kind=frozenset({"thread"})),
        Filters(kind=frozenset({"resource", "news"})),
        Filters(phase=frozenset({"secondary"})),
        Filters(key_stage=frozenset({"ks2"})),
        Filters(year_group=frozenset({"y6", "reception"})),
        Filters(subject=frozenset({resources["sats"].subject_id})),
        Filters(resource_type=frozenset({"worksheet", "assessment"})),
        Filters(school=frozenset({trust.riverside.pk})),
        Filters(network=frozenset({trust.science.pk, trust.english.pk})),
        Filters(principle=frozenset({trust.continuum.pk})),
        Filters(shared_focus=True),
        Filters(endorsed_only=True),
        Filters(published_from=today - datetime.timedelta(days=25)),
        Filters(published_to=today - datetime.timedelta(days=25)),
        Filters(
            year_group=frozenset({"y4", "y6"}),
            resource_type=frozenset({"worksheet", "slide_deck"}),
            subject=frozenset({resources["sats"].subject_id}),
        ),
        Filters(phase=frozenset({"primary"}), school=frozenset({trust.oakfield.pk})),
        Filters(year_group=frozenset({"not-a-year"})),
        Filters(subject=frozenset({987654})),
    ]


def test_every_filter_narrows_to_exactly_the_matching_records(backend, indexed):
    for filters in filter_cases(indexed):
        results = ask(backend, "", filters=filters)
        expected = true_keys(indexed.records, filters, EVERYONE)
        assert set(keys(results)) == expected, filters
        assert results.total == len(expected), filters


@pytest.mark.parametrize("persona", ["central_team_editor", "primary_teacher"])
def test_facet_counts_equal_the_truth_for_each_filter_combination(
    backend, indexed, request, persona
):
    audience = audience_of(request.getfixturevalue(persona))
    for filters in filter_cases(indexed):
        results = ask(backend, "", audience, filters=filters)
        assert facets_of(results) == true_facets(indexed.records, filters, audience), filters


def test_facet_counts_with_text_count_only_the_matching_records(backend, indexed):
    matching = set(keys(ask(backend, "fractions")))
    records = [record for record in indexed.records if record.key in matching]
    filters = Filters(year_group=frozenset({"y4"}), resource_type=frozenset({"worksheet"}))
    results = ask(backend, "fractions", filters=filters)
    assert facets_of(results) == true_facets(records, filters, EVERYONE)
    assert set(keys(results)) == true_keys(records, filters, EVERYONE)


def test_a_facet_counts_its_other_values_while_one_is_chosen(backend, indexed):
    results = ask(backend, "", filters=Filters(year_group=frozenset({"y4"})))
    years = dict(facets_of(results)["year_group"])
    assert years["y4"] == 2
    assert years["y6"] == 2  # choosing Year 6 as well would add these
    assert all(c.count > 0 for facet in results.facets.values() for c in facet)


# Who may see what


def test_a_non_member_cannot_find_private_or_network_only_resources(
    backend, indexed, primary_teacher
):
    audience = audience_of(primary_teacher)
    found = keys(ask(backend, "", audience))
    assert key(indexed.resources["private_phonics"]) not in found
    assert key(indexed.resources["network_only"]) not in found
    assert f"thread:{indexed.threads['private'].pk}" not in found
    assert key(indexed.resources["fractions"]) in found
    assert ask(backend, "phonics", audience).total == 0
    assert ask(backend, "intervention", audience).total == 0


def test_a_member_finds_their_private_networks_resources(backend, indexed):
    audience = audience_of(indexed.member)
    found = keys(ask(backend, "phonics", audience))
    assert key(indexed.resources["private_phonics"]) in found
    assert f"thread:{indexed.threads['private'].pk}" in found


def test_an_author_finds_their_own_network_only_resource(backend, indexed):
    found = keys(ask(backend, "intervention", audience_of(indexed.author)))
    assert found == [key(indexed.resources["network_only"])]


def test_the_central_team_sees_everything(backend, indexed, central_team_editor):
    audience = audience_of(central_team_editor)
    assert audience is None
    assert ask(backend, "", audience).total == len(indexed.records)


def test_someone_signed_out_finds_nothing(backend, indexed):
    assert ask(backend, "fractions", ()).total == 0


def test_facet_counts_leave_out_what_the_reader_may_not_see(backend, indexed, primary_teacher):
    results = ask(backend, "", audience_of(primary_teacher))
    networks = dict(facets_of(results)["network"])
    assert indexed.inclusion.pk not in networks


def test_a_network_turning_private_hides_its_resources_from_non_members(
    backend, indexed, primary_teacher, secondary_maths_lead
):
    non_member = audience_of(secondary_maths_lead)
    fractions = key(indexed.resources["fractions"])
    assert fractions in keys(ask(backend, "fractions", non_member))
    Network.objects.filter(pk=indexed.maths.pk).update(visibility=Network.Visibility.PRIVATE)
    backend.index(
        resource_record(Resource.objects.get(pk=resource.pk))
        for resource in indexed.resources.values()
        if resource.network_id == indexed.maths.pk and resource.is_published
    )
    assert fractions not in keys(ask(backend, "fractions", non_member))
    # Still found by its author, and by the lead's own resource in that network.
    assert fractions in keys(ask(backend, "fractions", audience_of(primary_teacher)))
    assert key(indexed.resources["algebra"]) in keys(ask(backend, "algebra", non_member))


# Highlighting


def test_matching_words_are_marked_in_the_title_and_snippet(backend, indexed):
    hit = next(
        hit for hit in ask(backend, "fractions").hits if hit.pk == indexed.resources["division"].pk
    )
    assert "<mark>" in hit.snippet
    assert "fractions" in hit.snippet.lower()
    wall = next(
        hit for hit in ask(backend, "wall").hits if hit.pk == indexed.resources["fraction_wall"].pk
    )
    assert "<mark>" in wall.title_html
    assert "wall" in wall.title_html.lower()


def test_hostile_html_in_a_title_or_body_comes_out_escaped(backend, indexed):
    (hit,) = ask(backend, "persuasive").hits
    assert "<script>" not in hit.title_html
    assert "&lt;script&gt;" in hit.title_html
    assert "<mark>" in hit.title_html
    assert "<img" not in hit.snippet and "<b>" not in hit.snippet
    assert hit.title == '<script>alert("x")</script> Persuasive writing'


def test_without_text_the_snippet_is_the_summary(backend, indexed):
    results = ask(backend, "", filters=Filters(endorsed_only=True))
    (hit,) = results.hits
    assert hit.snippet == indexed.resources["fractions"].summary
    assert "<mark>" not in hit.title_html


# Changes


def test_deleting_a_record_removes_it_from_results(backend, indexed):
    wall = key(indexed.resources["fraction_wall"])
    backend.delete([wall, "resource:999999"])
    assert wall not in keys(ask(backend, "fractions"))
    assert (
        backend.counts()["resource"]
        == len([record for record in indexed.records if record.kind == "resource"]) - 1
    )


def test_indexing_a_record_again_replaces_it(backend, indexed):
    record = next(r for r in indexed.records if r.key == key(indexed.resources["algebra"]))
    backend.index([dataclasses.replace(record, title="Quadratic sequences starters")])
    assert keys(ask(backend, "quadratic")) == [record.key]
    assert ask(backend, "algebra starters").total == 0
    assert sum(backend.counts().values()) == len(indexed.records)


def test_a_rebuild_replaces_everything(backend, indexed):
    kept = [record for record in indexed.records if record.kind != "thread"]
    assert backend.rebuild(kept) == len(kept)
    assert backend.counts()["thread"] == 0
    assert ask(backend, "moderation").total == 0


# Pages and sorting


@pytest.mark.parametrize("sort", ["relevance", "newest", "downloads"])
def test_pages_have_no_duplicates_or_gaps(backend, indexed, sort):
    everything = ask(backend, "", sort=sort, page_size=100)
    pages = [ask(backend, "", sort=sort, page=page, page_size=3) for page in range(1, 20)]
    seen = [k for page in pages for k in keys(page)]
    assert seen == keys(everything)
    assert all(page.total == everything.total for page in pages)
    assert pages[0].pages == -(-everything.total // 3)


def test_pages_of_a_text_search_have_no_duplicates_or_gaps(backend, indexed):
    everything = keys(ask(backend, "pupils"))
    assert len(everything) >= 4
    paged = [
        k for page in range(1, 10) for k in keys(ask(backend, "pupils", page=page, page_size=2))
    ]
    assert paged == everything


def test_sorting_by_newest_and_by_downloads(backend, indexed):
    newest = ask(backend, "maths", sort="newest").hits
    dates = [hit.published_at for hit in newest]
    assert dates == sorted(dates, reverse=True)
    by_downloads = keys(
        ask(backend, "", sort="downloads", filters=Filters(kind=frozenset({"resource"})))
    )
    assert by_downloads[:2] == [key(indexed.resources["sats"]), key(indexed.resources["fractions"])]


def test_a_page_past_the_end_is_empty_with_the_total(backend, indexed):
    results = ask(backend, "fractions", page=40, page_size=20)
    assert results.hits == []
    assert results.total > 0


# Bad input


HOSTILE = [
    '"unbalanced quote',
    "((fractions",
    "fractions AND OR NOT NEAR",
    "NEAR(fractions wall, 2)",
    "fract*",
    "title:fractions",
    "^fractions -wall +x",
    "fractions" * 2_000,
    "x " * 5_000,
    "🧮 fractions 🍰",
    "الكسور fractions",
    "'; DROP TABLE search_indexed_record; --",
    '" OR 1=1 --',
    "{title body}: fractions",
    "fractions\x00wall",
    "\x02\x03 mark",
    "-",
    "*",
    "",
]


def test_hostile_text_gives_results_never_an_exception(backend, indexed):
    for typed in HOSTILE:
        assert ask(backend, typed).total >= 0, typed
        assert ask(backend, typed, (), sort="downloads").total == 0, typed
        assert isinstance(backend.suggest(typed, None), list), typed
    assert ask(backend, "fractions").total > 0


def test_hostile_text_reaches_the_index_as_words(backend, indexed):
    for typed in ("fractions:", "(fractions)", "fractions*", "^fractions", "-fractions"):
        assert key(indexed.resources["fractions"]) in keys(ask(backend, typed)), typed
    assert key(indexed.resources["fraction_wall"]) in keys(ask(backend, '"fraction wall'))


# Suggestions and related resources


def test_suggestions_complete_a_word_in_a_title(backend, indexed):
    titles = [hit.title for hit in backend.suggest("photosy", None)]
    assert titles == ["Photosynthesis knowledge organiser"]
    assert "Equivalent fraction wall" in [hit.title for hit in backend.suggest("fractions", None)]
    assert "Equivalent fraction wall" in [hit.title for hit in backend.suggest("fraction w", None)]


def test_suggestions_are_only_what_the_reader_may_see(backend, indexed, primary_teacher):
    assert backend.suggest("phonic", audience_of(primary_teacher)) == []
    titles = {hit.title for hit in backend.suggest("phonic", audience_of(indexed.member))}
    assert titles == {"Phonics catch-up for SEND pupils", "Phonics screening access arrangements"}
    assert len(backend.suggest("f", None, limit=2)) <= 2


def test_more_like_this_finds_resources_sharing_its_words(backend, indexed):
    found = keys(backend.more_like_this(key(indexed.resources["fractions"]), None))
    assert key(indexed.resources["fraction_wall"]) in found
    assert key(indexed.resources["fractions"]) not in found
    assert all(k.startswith("resource:") for k in found)
    assert backend.more_like_this("resource:999999", None) == []


def test_more_like_this_keeps_to_what_the_reader_may_see(backend, indexed, primary_teacher):
    toolkit = key(indexed.resources["toolkit"])
    for audience in (audience_of(primary_teacher), ()):
        found = keys(backend.more_like_this(toolkit, audience, limit=20))
        assert key(indexed.resources["private_phonics"]) not in found

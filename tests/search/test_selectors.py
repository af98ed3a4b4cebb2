"""The search every view uses, against the real database backend (never mocked)."""

import logging
import socket
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from networks.models import Network
from search import backends
from search.backends import database_backend
from search.query import Filters
from search.records import all_records
from search.selectors import (
    FALLBACK_NOTICE,
    related_resources,
    search,
    typeahead,
)
from tests import factories
from tests.cms.factories import NewsIndexPageFactory, NewsPageFactory
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.resources.factories import ResourceFactory


@dataclass
class Library:
    maths: Network
    science: Network
    private: Network
    ks2_fractions: object
    y7_fractions: object
    gcse_fractions: object
    number_line: object
    photosynthesis: object
    secret: object


def reindex() -> None:
    database_backend().rebuild(all_records())


@pytest.fixture
def library(db) -> Library:
    """A few resources across key stages and subjects, one in a private network."""
    now = timezone.now()
    maths = NetworkFactory(name="Maths", subject="Mathematics")
    science = NetworkFactory(name="Science", subject="Science")
    private = NetworkFactory(name="Senior leaders", subject="Mathematics", private=True)
    found = Library(
        maths=maths,
        science=science,
        private=private,
        ks2_fractions=ResourceFactory(
            network=maths,
            title="Fractions of amounts",
            year_groups=["y4", "y5"],
            published_at=now - timedelta(days=3),
        ),
        y7_fractions=ResourceFactory(
            network=maths,
            title="Equivalent fractions for Year 7",
            summary="Bar models for equivalent fractions at the start of secondary.",
            year_groups=["y7"],
            published_at=now - timedelta(days=2),
        ),
        gcse_fractions=ResourceFactory(
            network=maths,
            title="Fractions, decimals and percentages",
            year_groups=["y10", "y11"],
            endorsed_at=now,
            resource_type="assessment",
            published_at=now - timedelta(days=10),
        ),
        number_line=ResourceFactory(
            network=maths,
            title="Fractions on a number line",
            year_groups=["y3"],
            resource_type="slide_deck",
            published_at=now - timedelta(days=1),
        ),
        photosynthesis=ResourceFactory(
            network=science,
            title="Photosynthesis knowledge organiser",
            summary="Light, chlorophyll and glucose on one page.",
            year_groups=["y8"],
            resource_type="knowledge_organiser",
        ),
        secret=ResourceFactory(
            network=private,
            title="Fractions intervention plan for the secret pilot",
            summary="Fractions confidential pilot.",
            year_groups=["y4"],
        ),
    )
    reindex()
    return found


def titles(found) -> list[str]:
    return [result.hit.title for result in found.results]


def group(found, name: str) -> dict[str, tuple[int, bool]]:
    for facet in found.facets:
        if facet.name == name:
            return {option.label: (option.count, option.selected) for option in facet.options}
    return {}


def test_words_find_resources_with_highlighted_titles(library, primary_teacher) -> None:
    found = search(primary_teacher, text="fractions")

    assert found.searched
    assert found.total == 4
    assert set(titles(found)) == {
        "Fractions of amounts",
        "Equivalent fractions for Year 7",
        "Fractions, decimals and percentages",
        "Fractions on a number line",
    }
    assert all("<mark>" in str(result.title_html) for result in found.results)
    assert found.notices == []


def test_a_private_networks_resource_is_never_found_by_a_non_member(
    library, primary_teacher
) -> None:
    found = search(primary_teacher, text="secret pilot")

    assert found.total == 0
    assert "secret" not in " ".join(titles(search(primary_teacher, text="fractions"))).lower()
    assert typeahead(primary_teacher, "fractions int") == []
    assert library.secret not in related_resources(primary_teacher, library.ks2_fractions)


def test_a_member_of_the_private_network_finds_its_resource(library, primary_teacher) -> None:
    MembershipFactory(network=library.private, person=primary_teacher)

    found = search(primary_teacher, text="secret pilot")

    assert titles(found) == ["Fractions intervention plan for the secret pilot"]


def test_year_group_words_become_a_filter_that_can_be_undone(library, primary_teacher) -> None:
    found = search(primary_teacher, text="Y7 fractions")

    assert titles(found) == ["Equivalent fractions for Year 7"]
    assert found.understood is not None
    assert found.understood.message == "Showing Year 7 only."
    assert found.understood.undo_label == "Search every year group for “Y7 fractions”"
    assert "exact=1" in found.understood.undo_url
    assert group(found, "year_group")["Year 7"] == (1, True)
    assert [chip.label for chip in found.chips] == ["Year 7"]
    # The filter form carries the rest of the words, with Year 7 as a ticked box.
    assert ("q", "fractions") in found.filter_form_hidden


def test_an_exact_search_takes_year_group_words_literally(library, primary_teacher) -> None:
    found = search(primary_teacher, text="Y7 fractions", exact=True)

    assert found.understood is None
    assert found.chips == []
    assert "Equivalent fractions for Year 7" in titles(found)


def test_key_stage_words_apply_the_key_stage(library, primary_teacher) -> None:
    found = search(primary_teacher, text="KS2 fractions")

    assert set(titles(found)) == {"Fractions of amounts", "Fractions on a number line"}
    assert found.understood.undo_label == "Search every key stage for “KS2 fractions”"


def test_facets_are_labelled_with_counts_and_chosen_values_marked(library, primary_teacher) -> None:
    found = search(primary_teacher, text="fractions", filters=Filters(key_stage=frozenset({"ks2"})))

    assert found.total == 2
    # Each facet is counted with the others' filters only: KS2 is chosen, KS3 and KS4 still show.
    assert group(found, "key_stage") == {
        "Key stage 2": (2, True),
        "Key stage 3": (1, False),
        "Key stage 4": (1, False),
    }
    assert group(found, "subject") == {"Mathematics": (2, False)}
    assert group(found, "resource_type") == {"Worksheet": (1, False), "Slide deck": (1, False)}
    assert group(found, "kind") == {"Resources": (2, False)}
    assert group(found, "network") == {"Maths": (2, False)}
    assert [chip.label for chip in found.chips] == ["Key stage 2"]
    assert "key_stage" not in found.chips[0].url


def test_choosing_a_subject_changes_the_other_facets_counts(library, primary_teacher) -> None:
    maths = library.maths.subject_id

    found = search(primary_teacher, text="fractions", filters=Filters(subject=frozenset({maths})))

    assert group(found, "subject") == {"Mathematics": (4, True)}
    assert group(found, "key_stage") == {
        "Key stage 2": (2, False),
        "Key stage 3": (1, False),
        "Key stage 4": (1, False),
    }


def test_result_cards_have_labelled_details(library, primary_teacher) -> None:
    found = search(primary_teacher, text="percentages")

    (result,) = found.results
    assert result.kind_label == "Resource"
    assert result.endorsed
    assert result.details[:3] == ("Year 10, Year 11", "Mathematics", "Assessment")


def test_filters_alone_list_newest_first(library, primary_teacher) -> None:
    found = search(primary_teacher, filters=Filters(key_stage=frozenset({"ks2"})))

    assert found.sort == "newest"
    assert titles(found) == ["Fractions on a number line", "Fractions of amounts"]


def test_nothing_to_search_for_invites_a_search(library, primary_teacher) -> None:
    found = search(primary_teacher, text="")

    assert not found.searched
    assert found.results == []


def test_only_operators_say_there_was_nothing_to_look_for(library, primary_teacher) -> None:
    found = search(primary_teacher, text="AND OR NOT * ^ :")

    assert not found.searched
    assert "no words we could look for" in found.notices[0]


def test_a_page_past_the_end_shows_the_last_page_with_a_message(library, primary_teacher) -> None:
    found = search(primary_teacher, text="fractions", page=7)

    assert found.pagination.number == 1
    assert len(found.results) == 4
    assert found.notices == ["There is only one page of results, so here it is."]


def test_a_page_past_the_end_of_many_pages_is_the_last_page(db, primary_teacher) -> None:
    network = NetworkFactory(name="Maths", subject="Mathematics")
    ResourceFactory.create_batch(25, network=network, title="Fractions practice")
    reindex()

    found = search(primary_teacher, text="fractions", page=9)

    assert found.pagination.number == 2
    assert found.pagination.num_pages == 2
    assert len(found.results) == 5
    assert found.start == 21
    assert found.notices == ["There are only 2 pages of results, so here is the last one."]


def test_no_results_suggest_wider_searches(library, primary_teacher) -> None:
    found = search(primary_teacher, text="Y7 photosynthesis", filters=Filters(endorsed_only=True))

    assert found.total == 0
    labels = [suggestion.label for suggestion in found.suggestions]
    assert "Search every year group for “Y7 photosynthesis”" in labels
    assert "Search everything for “photosynthesis” with no filters" in labels


def test_typeahead_offers_titles_with_addresses(library, primary_teacher) -> None:
    offered = typeahead(primary_teacher, "photos")

    assert offered == [
        {
            "title": "Photosynthesis knowledge organiser",
            "url": library.photosynthesis.get_absolute_url(),
            "kind": "Resource",
        }
    ]
    assert typeahead(primary_teacher, "p") == []
    assert len(typeahead(primary_teacher, "fra")) <= 8


def test_related_resources_are_visible_resources_like_this_one(
    library, primary_teacher, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(8):
        related = related_resources(primary_teacher, library.ks2_fractions)

    assert related
    assert len(related) <= 5
    assert library.ks2_fractions not in related
    assert library.secret not in related
    assert all(resource.status == "published" for resource in related)


def test_related_resources_leave_out_what_became_private_before_the_index_caught_up(
    library, primary_teacher
) -> None:
    team = NetworkFactory(name="Year 4 team", subject="Mathematics")
    twin = ResourceFactory(network=team, title="Fractions of amounts practice", year_groups=["y4"])
    reindex()
    assert twin in related_resources(primary_teacher, library.ks2_fractions)

    # Changed behind the index's back: no signal, so the index still says everyone.
    Network.objects.filter(pk=team.pk).update(visibility=Network.Visibility.PRIVATE)

    assert twin not in related_resources(primary_teacher, library.ks2_fractions)


def test_a_draft_has_no_related_resources(library, primary_teacher) -> None:
    draft = ResourceFactory(network=library.maths, draft=True, title="Fractions draft")

    assert related_resources(primary_teacher, draft) == []


@pytest.fixture
def elasticsearch_down():
    """ELASTICSEARCH_URL naming a port where nothing listens: the real backend, refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backends.elasticsearch_backend.cache_clear()
    backends.database_backend.cache_clear()
    with override_settings(ELASTICSEARCH_URL=f"http://127.0.0.1:{port}"):
        yield
    backends.elasticsearch_backend.cache_clear()
    backends.database_backend.cache_clear()


def test_when_elasticsearch_is_down_the_database_answers_with_a_notice(
    library, primary_teacher, elasticsearch_down, caplog
) -> None:
    with caplog.at_level(logging.WARNING, logger="search.selectors"):
        found = search(primary_teacher, text="fractions")

    assert found.backend == "database"
    assert found.total == 4
    assert FALLBACK_NOTICE in found.notices
    warnings = [record for record in caplog.records if record.name == "search.selectors"]
    assert warnings and all(record.exc_info is None for record in warnings)


def test_when_elasticsearch_is_down_typeahead_and_related_still_answer(
    library, primary_teacher, elasticsearch_down
) -> None:
    assert typeahead(primary_teacher, "photos")[0]["title"] == (
        "Photosynthesis knowledge organiser"
    )
    assert library.secret not in related_resources(primary_teacher, library.ks2_fractions)


def test_the_central_team_sees_every_networks_resources(library) -> None:
    editor = factories.central_team_editor()

    found = search(editor, text="secret pilot")

    assert titles(found) == ["Fractions intervention plan for the secret pilot"]


def test_threads_and_news_are_found_with_their_kinds_labelled(library, primary_teacher) -> None:
    thread = ThreadFactory(forum=ForumFactory(), title="Teaching fractions with chocolate")
    PostFactory(thread=thread, body="Bar models first, then the chocolate.")
    NewsPageFactory(parent=NewsIndexPageFactory(), title="Fractions week across the trust")
    reindex()

    found = search(primary_teacher, text="fractions")

    kinds = {result.hit.title: result.kind_label for result in found.results}
    assert kinds["Teaching fractions with chocolate"] == "Forum thread"
    assert kinds["Fractions week across the trust"] == "News"
    assert group(found, "kind") == {
        "Resources": (4, False),
        "Forum threads": (1, False),
        "News": (1, False),
    }

    threads = search(primary_teacher, text="fractions", filters=Filters(kind=frozenset({"thread"})))

    assert [result.hit.title for result in threads.results] == ["Teaching fractions with chocolate"]
    assert [chip.label for chip in threads.chips] == ["Forum threads"]

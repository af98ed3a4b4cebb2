"""Drill: Elasticsearch goes away while staff keep working, then comes back.

Two kinds of outage: nothing listening at the address (a stopped node, a closed port) and a
server that answers every request with 503 (a cluster without a master, a load balancer with
no healthy node). Through either: sharing and editing resources and replying in threads stay
under a second each and raise nothing; the search page answers from the database with a
notice; `search_index status` says Elasticsearch is not answering; the changes wait in the
queue. When the server is back, `search_index replay` sends them, and Elasticsearch then
holds exactly what the database holds, kind by kind, with the changes made in the outage.
"""

import io
import time

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from forums.services import post_create, thread_create
from resources.models import Resource
from resources.services import resource_create, resource_update
from search import backends, indexing
from search.backends.elasticsearch import SEARCH_TIMEOUT, ElasticsearchBackend
from search.management.commands import search_index
from search.models import PendingIndexUpdate
from search.query import SearchRequest
from search.records import record_counts
from search.selectors import FALLBACK_NOTICE
from tests.drills.switchable import switchable_front
from tests.factories import PersonFactory
from tests.forums.factories import ForumFactory
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.search.elasticsearch_fixtures import (  # noqa: F401 (fixtures)
    PlainJsonNode,
    SearchServer,
    elasticsearch_server,
    emulator_index_body,
)
from tests.services import free_port

# The promise to staff: a save never waits on search.
SAVE_SECONDS = 1.0


def client_backend(server: SearchServer, url: str, alias: str) -> ElasticsearchBackend:
    """Staffroom's backend as production builds it (same timeout and retries), at `url`."""
    from elasticsearch import Elasticsearch

    options = {"node_class": PlainJsonNode} if server.emulator else {}
    client = Elasticsearch(
        url, request_timeout=SEARCH_TIMEOUT, max_retries=1, retry_on_timeout=False, **options
    )
    return ElasticsearchBackend(
        client=client,
        alias=alias,
        index_body=emulator_index_body() if server.emulator else None,
        expand_synonyms=server.emulator,
    )


@pytest.fixture
def world(db):
    network = NetworkFactory(name="Geography", subject="Geography")
    teacher = PersonFactory(first_name="Priya", last_name="Shah")
    MembershipFactory(network=network, person=teacher)
    forum = ForumFactory(network=network)
    return network, teacher, forum


def share(teacher, network, title: str) -> Resource:
    return resource_create(
        author=teacher,
        network=network,
        title=title,
        summary=f"{title}: a worked lesson with questions.",
        year_groups=["y8"],
        resource_type=Resource.Type.LESSON_PLAN,
        publish=True,
    )


def timed(action) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def counts_match(backend: ElasticsearchBackend) -> tuple[dict, dict]:
    return backend.counts(), record_counts()


@pytest.mark.django_db
@pytest.mark.parametrize("outage", ["closed port", "answering 503"])
def test_staff_work_on_through_an_outage_and_the_index_catches_up(
    outage,
    elasticsearch_server,  # noqa: F811 (the fixture imported above)
    world,
    committed,
    client,
    monkeypatch,
):
    network, teacher, forum = world
    alias = f"drill-{outage.replace(' ', '-')}-{free_port()}"
    with switchable_front(elasticsearch_server.url) as front:
        up = client_backend(elasticsearch_server, front.url, alias)
        down_url = f"http://127.0.0.1:{free_port()}" if outage == "closed port" else front.url
        down = client_backend(elasticsearch_server, down_url, alias)
        current = {"backend": up}

        def configured():
            return current["backend"]

        for module in (backends, indexing, search_index):
            monkeypatch.setattr(module, "elasticsearch_backend", configured)
        monkeypatch.setattr(settings, "ELASTICSEARCH_URL", "http://cluster.invalid:9200")
        indexing.stop_resting()
        try:
            # Before: the index holds what the database holds.
            call_command(
                "search_index",
                "rebuild",
                "--backend",
                "elasticsearch",
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
            with committed():
                before = [share(teacher, network, f"Rivers {n}") for n in range(5)]
                thread = thread_create(
                    forum=forum, author=teacher, title="Fieldwork dates", body="Which week?"
                )
            assert up.counts() == record_counts()

            # The outage.
            current["backend"] = down
            front.unavailable = outage == "answering 503"
            save_times = []
            made = []
            for n in range(10):
                with committed():
                    save_times.append(
                        timed(lambda n=n: made.append(share(teacher, network, f"Glaciers {n}")))
                    )
            for resource in before[:3]:
                with committed():
                    save_times.append(
                        timed(
                            lambda r=resource: resource_update(
                                resource=r, editor=teacher, title=f"Coasts {r.pk}"
                            )
                        )
                    )
            with committed():
                save_times.append(
                    timed(lambda: post_create(thread=thread, author=teacher, body="Week 3."))
                )
            with committed():
                save_times.append(timed(lambda: before[4].delete()))
            assert max(save_times) < SAVE_SECONDS, save_times
            assert PendingIndexUpdate.objects.exists()
            if outage == "answering 503":
                assert front.answered_503 >= 1

            # Searching still works, from the database, with a notice.
            client.force_login(teacher)
            page = client.get("/search/", {"q": "glaciers"})
            assert page.status_code == 200
            assert FALLBACK_NOTICE in page.content.decode()
            assert page.context["found"].total == 10
            status = io.StringIO()
            with pytest.raises(CommandError, match="Elasticsearch is not answering"):
                call_command("search_index", "status", stdout=status)

            # Back: the queue is replayed, and the index holds what the database holds.
            current["backend"] = up
            front.unavailable = False
            out = io.StringIO()
            call_command("search_index", "replay", stdout=out)
            assert "Sent" in out.getvalue()
            assert not PendingIndexUpdate.objects.exists()
            assert up.counts() == record_counts()
            found = up.search(SearchRequest(terms=("glaciers",), page_size=50), None)
            assert found.total == 10
            renamed = up.search(SearchRequest(terms=("coasts",), page_size=50), None)
            assert {hit.pk for hit in renamed.hits} == {r.pk for r in before[:3]}
            gone = up.search(SearchRequest(terms=("rivers",), page_size=50), None)
            assert before[4].pk not in {hit.pk for hit in gone.hits}
            page = client.get("/search/", {"q": "glaciers"})
            assert FALLBACK_NOTICE not in page.content.decode()
        finally:
            indexing.stop_resting()
            with override_settings(ELASTICSEARCH_URL=""):
                up.drop()

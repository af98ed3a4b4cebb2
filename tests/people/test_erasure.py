"""Erasing a leaver: afterwards their name and email are nowhere in the database, the search
indexes or the cache, while their posts and resources stay for colleagues."""

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection

from audit.models import AuditEntry
from forums.models import Post, Thread
from networks.models import Membership
from people import erasure
from people.erasure import FORMER_NAME, ErasureRefused, erase_leaver
from people.models import Person
from people.personal_data import INVENTORY
from resources.models import Resource
from search import indexing
from search.backends import database_backend
from search.query import RESOURCE, THREAD, SearchRequest
from tests.factories import PersonFactory, sign_in_with_identity_provider
from tests.people.leaver import EMAIL, FIRST, FULL_NAME, LAST, build_leaver
from tests.search.elasticsearch_fixtures import (  # noqa: F401  (fixtures)
    elasticsearch_backend,
    elasticsearch_server,
)

pytestmark = pytest.mark.django_db

IDENTIFYING = [FULL_NAME.lower(), EMAIL.lower(), LAST.lower()]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def no_elasticsearch(settings):
    settings.ELASTICSEARCH_URL = ""


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def database_mentions(words: list[str]) -> list[str]:
    """Every table and column (found by introspection) holding any of the words, any case."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                for word in words:
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {_quoted(table)} "
                        f"WHERE LOWER(CAST({_quoted(column.name)} AS TEXT)) LIKE %s",
                        [f"%{word}%"],
                    )
                    if cursor.fetchone()[0]:
                        found.append(f"{table}.{column.name}: {word}")
    return found


def search_keys(backend, word: str) -> set[str]:
    results = backend.search(SearchRequest(terms=(word,), page_size=50), None)
    return {f"{hit.kind}:{hit.pk}" for hit in results.hits}


def searchable_keys(leaver) -> list[str]:
    threads = Thread.objects.filter(forum__network=leaver.network).values_list("pk", flat=True)
    resources = Resource.objects.filter(network=leaver.network).values_list("pk", flat=True)
    return [indexing.record_key(THREAD, pk) for pk in threads] + [
        indexing.record_key(RESOURCE, pk) for pk in resources
    ]


@pytest.fixture
def leaver(trust_admin):
    return build_leaver()


def test_after_erasure_their_name_and_email_are_in_no_table_and_no_column(
    leaver, trust_admin, committed
):
    indexing.update_backend(database_backend(), searchable_keys(leaver))
    cache.set("profile-card", f"<p>{FULL_NAME}, {EMAIL}</p>")
    before = database_mentions(IDENTIFYING)
    assert any(place.startswith("forums_post.body") for place in before)
    assert any(place.startswith("axes_accessattempt") for place in before)
    assert any(place.startswith("django_admin_log") for place in before)
    assert search_keys(database_backend(), LAST.lower())

    with committed():
        erase_leaver(person=leaver.person, by=trust_admin)

    assert database_mentions(IDENTIFYING) == []
    assert search_keys(database_backend(), LAST.lower()) == set()
    assert search_keys(database_backend(), FIRST.lower()) == set()
    assert cache.get("profile-card") is None


def test_their_posts_and_resources_stay_shown_as_a_former_member_of_staff(
    leaver, trust_admin, client, committed
):
    with committed():
        erase_leaver(person=leaver.person, by=trust_admin)

    person = Person.objects.get(pk=leaver.person.pk)
    assert person.name == FORMER_NAME
    assert not person.is_active and not person.has_usable_password()
    assert person.erased_at is not None
    assert person.email.startswith("former-") and person.email.endswith("@invalid")
    assert Post.objects.filter(author=person).count() == 3
    assert Resource.objects.get(pk=leaver.resource.pk).author_id == person.pk
    assert person.job_title == person.about == "" and person.phases == []
    assert not person.subjects_taught.exists() and not person.groups.exists()
    assert not Membership.objects.filter(person=person).exists()
    sign_in_with_identity_provider(client, leaver.colleague)
    page = client.get(leaver.thread.get_absolute_url()).content.decode()
    assert FORMER_NAME in page
    assert "former member of staff" in Post.objects.get(pk=leaver.colleague_post.pk).body
    resource_page = client.get(leaver.resource.get_absolute_url())
    assert resource_page.status_code == 200
    assert "The Primary maths network" in resource_page.content.decode()
    assert person.get_absolute_url() not in resource_page.content.decode()


def _rows_deleted_on_erasure(person: Person, email: str) -> dict[str, int]:
    counts = {}
    for label, holding in INVENTORY.items():
        if holding.delete_by in holding.by_email:
            about = {f"{holding.delete_by}__iexact": email}
        elif holding.delete_by:
            about = {holding.delete_by: person.pk}
        else:
            continue
        counts[label] = apps.get_model(label).objects.filter(**about).count()
    return counts


def test_everything_the_inventory_says_is_deleted_is_gone(leaver, trust_admin, committed):
    before = _rows_deleted_on_erasure(leaver.person, EMAIL)
    assert before["forums.Reaction"] and before["resources.Bookmark"]
    assert before["axes.AccessAttempt"] and before["account.EmailAddress"]

    with committed():
        erase_leaver(person=leaver.person, by=trust_admin)

    after = _rows_deleted_on_erasure(leaver.person, EMAIL)
    assert {label: count for label, count in after.items() if count} == {}


def test_the_audit_log_keeps_the_erasure_with_ids_only(leaver, trust_admin, committed):
    with committed():
        erase_leaver(person=leaver.person, by=trust_admin)

    entry = AuditEntry.objects.get(action=AuditEntry.Action.PERSON_ERASED)
    assert (entry.actor_id, entry.subject_id) == (trust_admin.pk, leaver.person.pk)
    assert set(entry.detail) == {"threads_kept", "resources_kept"}


def test_their_sessions_end_and_their_live_sockets_are_closed(
    leaver, trust_admin, client, committed, monkeypatch
):
    closed = []
    monkeypatch.setattr("people.signals._end_live_sockets", closed.append)
    sign_in_with_identity_provider(client, leaver.person)
    assert client.get("/people/me/").status_code == 302

    with committed():
        erase_leaver(person=leaver.person, by=trust_admin)

    assert closed == [leaver.person.pk]
    response = client.get("/people/me/edit/")
    assert response.status_code == 302 and "sign-in" in response["Location"]


@pytest.mark.elasticsearch
def test_the_elasticsearch_index_forgets_them_too(
    leaver,
    trust_admin,
    committed,
    elasticsearch_backend,  # noqa: F811
    monkeypatch,
    settings,
):
    keys = searchable_keys(leaver)
    indexing.update_backend(elasticsearch_backend, keys)
    assert search_keys(elasticsearch_backend, LAST.lower())
    settings.ELASTICSEARCH_URL = "http://elasticsearch.test:9200"
    monkeypatch.setattr(indexing, "elasticsearch_backend", lambda: elasticsearch_backend)

    with committed():
        erase_leaver(person=leaver.person, by=trust_admin)
    indexing.send_pending(backend=elasticsearch_backend, force=True)

    assert search_keys(elasticsearch_backend, LAST.lower()) == set()
    assert search_keys(elasticsearch_backend, FIRST.lower()) == set()
    assert search_keys(elasticsearch_backend, "fractions")  # their threads are still found


# Refusals.

ERASE_URL = "/admin/staff-data/{pk}/erase/"


def test_a_trust_admin_erases_a_leaver_after_typing_their_email(client, trust_admin):
    leaver = PersonFactory(email="leaver@oakfield.example", first_name="Lee", last_name="Vere")
    sign_in_with_identity_provider(client, trust_admin)

    page = client.get(ERASE_URL.format(pk=leaver.pk))
    response = client.post(
        ERASE_URL.format(pk=leaver.pk), {"confirmation": " LEAVER@oakfield.example "}
    )

    assert page.status_code == 200 and "cannot be undone" in page.content.decode()
    assert response.status_code == 302
    assert Person.objects.get(pk=leaver.pk).name == FORMER_NAME


def test_a_wrong_confirmation_changes_nothing(client, trust_admin):
    leaver = PersonFactory(email="leaver@oakfield.example", first_name="Lee", last_name="Vere")
    sign_in_with_identity_provider(client, trust_admin)
    entries = AuditEntry.objects.count()

    response = client.post(ERASE_URL.format(pk=leaver.pk), {"confirmation": "Lee"})

    assert response.status_code == 400
    assert "Nothing has been erased" in response.content.decode()
    leaver.refresh_from_db()
    assert leaver.email == "leaver@oakfield.example" and leaver.is_active
    assert AuditEntry.objects.count() == entries


def test_an_admin_cannot_erase_themselves(client, trust_admin):
    sign_in_with_identity_provider(client, trust_admin)

    response = client.post(ERASE_URL.format(pk=trust_admin.pk), {"confirmation": trust_admin.email})

    assert response.status_code == 403
    trust_admin.refresh_from_db()
    assert trust_admin.is_active and trust_admin.email == "alex.ng@trust.example"
    with pytest.raises(ErasureRefused):
        erase_leaver(person=trust_admin, by=trust_admin)


def test_staff_and_the_central_team_cannot_erase_anyone(
    client, primary_teacher, central_team_editor
):
    leaver = PersonFactory(email="leaver@oakfield.example")
    for person in (primary_teacher, central_team_editor):
        client.logout()
        sign_in_with_identity_provider(client, person)
        for response in (
            client.get(ERASE_URL.format(pk=leaver.pk)),
            client.post(ERASE_URL.format(pk=leaver.pk), {"confirmation": leaver.email}),
        ):
            assert response.status_code in (302, 403)
    leaver.refresh_from_db()
    assert leaver.is_active and leaver.email == "leaver@oakfield.example"


def test_an_erased_account_is_not_erased_twice(client, trust_admin, committed):
    leaver = PersonFactory()
    with committed():
        erase_leaver(person=leaver, by=trust_admin)
    leaver.refresh_from_db()
    sign_in_with_identity_provider(client, trust_admin)

    response = client.post(ERASE_URL.format(pk=leaver.pk), {"confirmation": leaver.email})

    assert response.status_code == 403
    assert erasure.is_erased(leaver)

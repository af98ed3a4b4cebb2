"""The permission matrix: every persona against every kind of resource, for every action."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from resources.permissions import can_view_resource
from resources.selectors import resources_visible_to
from tests import factories
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "staff", "member", "lead", "author", "central", "admin"]
RESOURCES = ["open_trust", "open_network_only", "private", "draft", "archived"]
PUBLISHED = {"open_trust", "open_network_only", "private"}

# Which resources each persona may open. Archived ones stay readable (old links keep
# working) but never appear in browse.
VISIBLE = {
    "anonymous": set(),
    "staff": {"open_trust", "archived"},
    "member": {"open_trust", "open_network_only", "private", "archived"},
    "lead": set(RESOURCES),
    "author": set(RESOURCES),
    "central": set(RESOURCES),
    "admin": set(RESOURCES),
}
EDITORS = {"lead", "author", "central", "admin"}
ENDORSERS = {"lead", "central", "admin"}


@dataclass
class World:
    people: dict
    resources: dict


@pytest.fixture
def world() -> World:
    maths = NetworkFactory(name="Maths", subject="Mathematics")
    secret = NetworkFactory(name="Leadership circle", subject="Mathematics", private=True)
    author = factories.PersonFactory(first_name="Ada")
    member = factories.PersonFactory(first_name="Mo")
    lead = factories.PersonFactory(first_name="Lee")
    for network in [maths, secret]:
        MembershipFactory(network=network, person=member)
        MembershipFactory(network=network, person=lead, lead=True)
    common = {"author": author, "year_groups": ["y4"]}
    resources = {
        "open_trust": ResourceFactory(network=maths, title="Open trust-wide", **common),
        "open_network_only": ResourceFactory(
            network=maths, network_only=True, title="Open network only", **common
        ),
        "private": ResourceFactory(network=secret, title="Private network", **common),
        "draft": ResourceFactory(network=maths, draft=True, title="Draft", **common),
        "archived": ResourceFactory(network=maths, archived=True, title="Archived", **common),
    }
    people = {
        "anonymous": AnonymousUser(),
        "staff": factories.PersonFactory(first_name="Sid"),
        "member": member,
        "lead": lead,
        "author": author,
        "central": factories.central_team_editor(),
        "admin": factories.trust_admin(),
    }
    return World(people=people, resources=resources)


def client_for(world: World, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        factories.sign_in_with_identity_provider(client, world.people[persona])
    return client


def mismatches(expected: dict, actual: dict) -> dict:
    return {key: (expected[key], actual[key]) for key in expected if expected[key] != actual[key]}


def signed_out(response) -> bool:
    return response.status_code == 302 and "/sign-in/" in response["Location"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_detail_page_opens_only_for_those_who_may_see_it(world, persona):
    client = client_for(world, persona)
    expected, actual = {}, {}
    for name, resource in world.resources.items():
        response = client.get(resource.get_absolute_url())
        if persona == "anonymous":
            expected[name], actual[name] = True, signed_out(response)
            continue
        expected[name] = 200 if name in VISIBLE[persona] else 404
        actual[name] = response.status_code
    assert not mismatches(expected, actual)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_edit_page_opens_only_for_editors(world, persona):
    client = client_for(world, persona)
    expected, actual = {}, {}
    for name, resource in world.resources.items():
        response = client.get(reverse("resources:edit", args=[resource.pk, resource.slug]))
        if persona == "anonymous":
            expected[name], actual[name] = True, signed_out(response)
            continue
        if name not in VISIBLE[persona]:
            expected[name] = 404
        else:
            expected[name] = 200 if persona in EDITORS else 403
        actual[name] = response.status_code
    assert not mismatches(expected, actual)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_leads_and_the_central_team_can_recommend_published_resources(world, persona):
    client = client_for(world, persona)
    expected, actual = {}, {}
    for name, resource in world.resources.items():
        response = client.post(reverse("resources:endorse", args=[resource.pk]))
        resource.refresh_from_db()
        if persona == "anonymous":
            expected[name], actual[name] = True, signed_out(response)
            continue
        if name not in VISIBLE[persona]:
            expected[name] = (404, False)
        elif persona in ENDORSERS and name in PUBLISHED:
            expected[name] = (302, True)
        else:
            expected[name] = (403, False)
        actual[name] = (response.status_code, resource.is_endorsed)
    assert not mismatches(expected, actual)


@pytest.mark.parametrize("persona", PERSONAS)
def test_anyone_who_can_see_a_published_resource_can_adapt_it(world, persona):
    client = client_for(world, persona)
    expected, actual = {}, {}
    for name, resource in world.resources.items():
        response = client.post(reverse("resources:adapt", args=[resource.pk]))
        if persona == "anonymous":
            expected[name], actual[name] = True, signed_out(response)
            continue
        if name not in VISIBLE[persona]:
            expected[name] = 404
        else:
            expected[name] = 302 if name in PUBLISHED else 403
        actual[name] = response.status_code
        if response.status_code == 302:
            assert "/edit/" in response["Location"]
    assert not mismatches(expected, actual)
    adaptations = resource.__class__.objects.filter(adapted_from__isnull=False)
    assert adaptations.count() == sum(1 for name in PUBLISHED if name in VISIBLE[persona])


def listed_titles(client: Client, query: str = "") -> set[str]:
    response = client.get(reverse("resources:index") + query)
    assert response.status_code == 200
    return {resource.title for resource in response.context["page"].object_list}


BROWSE_FILTERS = {
    "no filter": "",
    "phase": "?phase=primary",
    "key stage": "?key_stage=ks2",
    "year group": "?year=y4",
    "subject": "?subject=mathematics",
    "type": "?type=worksheet",
    "school": None,  # the author's school, known once the world exists
    "network": "?network=maths&network=leadership-circle",
    "sorted by downloads": "?sort=downloads",
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("browse_filter", BROWSE_FILTERS)
def test_browse_lists_exactly_the_published_resources_the_persona_may_see(
    world, persona, browse_filter
):
    client = client_for(world, persona)
    query = BROWSE_FILTERS[browse_filter]
    if query is None:
        query = f"?school={world.people['author'].school.slug}"
    if persona == "anonymous":
        assert signed_out(client.get(reverse("resources:index") + query))
        return
    expected = {world.resources[name].title for name in VISIBLE[persona] if name in PUBLISHED}
    assert listed_titles(client, query) == expected


def test_filters_that_match_nothing_list_nothing_for_anyone(world):
    client = client_for(world, "central")
    for query in ["?phase=secondary", "?key_stage=ks1", "?year=y5", "?type=video"]:
        assert listed_titles(client, query) == set()


def test_can_view_resource_agrees_with_the_visibility_query_for_every_pair(world):
    extra_people = {
        "inactive author": world.people["author"],
        "lead of another network": MembershipFactory(lead=True).person,
        "moderator": factories.moderator(),
    }
    world.people["inactive author"] = factories.PersonFactory(is_active=False)
    world.people.update({k: v for k, v in extra_people.items() if k != "inactive author"})
    disagreements = []
    for persona, person in world.people.items():
        visible = set(resources_visible_to(person).values_list("pk", flat=True))
        for name, resource in world.resources.items():
            fresh = resource.__class__.objects.get(pk=resource.pk)
            if can_view_resource(person, fresh) != (resource.pk in visible):
                disagreements.append((persona, name))
    assert disagreements == []


def test_the_matrix_names_what_each_persona_may_see(world):
    for persona in PERSONAS:
        person = world.people[persona]
        visible = {
            name
            for name, resource in world.resources.items()
            if can_view_resource(person, resource)
        }
        assert visible == VISIBLE[persona], persona

"""Who may do what, for an open and a private network: every persona against every page and
action, each cell asserted."""

from dataclasses import dataclass

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from networks.models import JoinRequest, Membership, Network
from tests import factories
from tests.factories import PersonFactory, sign_in_with_identity_provider
from tests.networks.factories import JoinRequestFactory, MembershipFactory, NetworkFactory

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "non_member", "member", "lead", "central_team", "trust_admin"]
ACTIONS = ["index", "detail", "members", "join", "leave", "request", "decide", "manage"]

# What each persona gets. Pages: "ok" (everything), "limited" (name, description and leads
# only), "forbidden" (a friendly 403). Actions: "done" (it happens) or "refused" (a
# message, nothing changes). Anonymous visitors are always sent to sign in.
OPEN = {
    "non_member": dict(
        index="ok", detail="ok", members="ok", join="done", leave="refused",
        request="refused", decide="refused", manage="refused",
    ),
    "member": dict(
        index="ok", detail="ok", members="ok", join="refused", leave="done",
        request="refused", decide="refused", manage="refused",
    ),
    "lead": dict(
        index="ok", detail="ok", members="ok", join="refused", leave="refused",
        request="refused", decide="done", manage="done",
    ),
    "central_team": dict(
        index="ok", detail="ok", members="ok", join="done", leave="refused",
        request="refused", decide="done", manage="done",
    ),
}  # fmt: skip
OPEN["trust_admin"] = OPEN["central_team"]
PRIVATE = {
    "non_member": dict(
        index="ok", detail="limited", members="forbidden", join="refused", leave="refused",
        request="done", decide="refused", manage="refused",
    ),
    "member": dict(OPEN["member"]),
    "lead": dict(OPEN["lead"]),
    "central_team": dict(
        index="ok", detail="ok", members="ok", join="refused", leave="refused",
        request="done", decide="done", manage="done",
    ),
}  # fmt: skip
PRIVATE["trust_admin"] = PRIVATE["central_team"]
EXPECTED = {Network.Visibility.OPEN: OPEN, Network.Visibility.PRIVATE: PRIVATE}


@dataclass
class Scene:
    network: Network
    lead: object
    member: object
    requester: object
    newcomer: object
    asked: JoinRequest


def make_scene(visibility: str) -> Scene:
    network = NetworkFactory(name="Maths", visibility=visibility)
    lead = MembershipFactory(network=network, lead=True, person__last_name="Lead").person
    member = MembershipFactory(network=network, person__last_name="Member").person
    asked = JoinRequestFactory(network=network, person__last_name="Asker")
    return Scene(network, lead, member, asked.person, PersonFactory(), asked)


def persona(name: str, scene: Scene):
    return {
        "anonymous": lambda: None,
        "non_member": lambda: PersonFactory(last_name="Outsider"),
        "member": lambda: scene.member,
        "lead": lambda: scene.lead,
        "central_team": factories.central_team_editor,
        "trust_admin": factories.trust_admin,
    }[name]()


def request_for(action: str, scene: Scene, client: Client):
    slug = scene.network.slug
    if action == "index":
        return client.get(reverse("networks:index"))
    if action == "detail":
        return client.get(reverse("networks:detail", kwargs={"slug": slug}))
    if action == "members":
        return client.get(reverse("networks:members", kwargs={"slug": slug}))
    if action == "decide":
        url = reverse("networks:decide", kwargs={"slug": slug, "pk": scene.asked.pk})
        return client.post(url, {"decision": "approve"})
    if action == "manage":
        url = reverse("networks:member_add", kwargs={"slug": slug})
        return client.post(url, {"email": scene.newcomer.email})
    return client.post(reverse(f"networks:{action}", kwargs={"slug": slug}))


def happened(action: str, scene: Scene, who) -> bool:
    network = scene.network
    if action == "join":
        return Membership.objects.filter(network=network, person=who).exists()
    if action == "leave":
        return not Membership.objects.filter(network=network, person=who).exists()
    if action == "request":
        return JoinRequest.objects.filter(network=network, person=who).exists()
    if action == "decide":
        return Membership.objects.filter(network=network, person=scene.requester).exists()
    if action == "manage":
        return Membership.objects.filter(network=network, person=scene.newcomer).exists()
    raise AssertionError(action)


def snapshot(network: Network) -> tuple:
    return (
        set(network.memberships.values_list("person_id", "role")),
        set(network.join_requests.values_list("person_id", "status")),
    )


@pytest.mark.parametrize("visibility", [Network.Visibility.OPEN, Network.Visibility.PRIVATE])
@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("action", ACTIONS)
def test_the_permission_matrix(client, visibility, who, action):
    scene = make_scene(visibility)
    person = persona(who, scene)
    if person is not None:
        sign_in_with_identity_provider(client, person)
    was_member = person is not None and scene.network.memberships.filter(person=person).exists()
    before = snapshot(scene.network)

    response = request_for(action, scene, client)

    if who == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("people:sign_in"))
        assert snapshot(scene.network) == before
        return
    expected = EXPECTED[visibility][who][action]
    page = response.content.decode()
    if expected == "ok":
        assert response.status_code == 200
        if action == "detail":
            assert "All members" in page and "Latest resources" in page
    elif expected == "limited":
        assert response.status_code == 200
        assert "Request to join" in page and "Lead" in page
        assert "All members" not in page and "Latest resources" not in page
        assert scene.member.name not in page
    elif expected == "forbidden":
        assert response.status_code == 403
        assert "is private" in page and scene.member.name not in page
    elif expected == "done":
        assert response.status_code == 302
        assert happened(action, scene, person)
        levels = [m.level_tag for m in get_messages(response.wsgi_request)]
        assert levels == ["success"]
    else:
        assert expected == "refused"
        assert response.status_code == 302
        messages = list(get_messages(response.wsgi_request))
        assert [m.level_tag for m in messages] == ["error"], messages
        assert snapshot(scene.network) == before
        assert scene.network.memberships.filter(person=person).exists() == was_member


def test_a_persons_memberships_are_read_once_for_every_network_and_their_searches(
    django_assert_num_queries,
):
    from networks.permissions import is_lead, is_member
    from people.models import Person
    from search.records import audience_of

    person = PersonFactory()
    maths, english, science = NetworkFactory(), NetworkFactory(), NetworkFactory()
    MembershipFactory(person=person, network=maths, role=Membership.Role.LEAD)
    MembershipFactory(person=person, network=english)
    fresh = Person.objects.get(pk=person.pk)
    fresh._role_names = set()  # their roles are read with their permissions, elsewhere

    with django_assert_num_queries(1):
        assert is_lead(fresh, maths)
        assert is_member(fresh, english) and not is_lead(fresh, english)
        assert not is_member(fresh, science)
        audience = audience_of(fresh)

    assert f"network:{maths.pk}" in audience and f"network:{english.pk}" in audience
    assert f"network:{science.pk}" not in audience


def test_joining_is_seen_by_the_same_person_object_at_once():
    from networks import services
    from networks.permissions import is_member

    person, network = PersonFactory(), NetworkFactory()
    assert not is_member(person, network)

    services.membership_join(person=person, network=network)

    assert is_member(person, network)

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import NoReverseMatch, reverse

from networks.models import JoinRequest, Membership
from networks.permissions import is_member
from tests.factories import PersonFactory, SchoolFactory, sign_in_with_identity_provider
from tests.networks.factories import (
    JoinRequestFactory,
    MembershipFactory,
    NetworkFactory,
    SubjectFactory,
)

pytestmark = pytest.mark.django_db

INDEX_URL = reverse("networks:index")


def url(name: str, network, **kwargs) -> str:
    return reverse(f"networks:{name}", kwargs={"slug": network.slug, **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def last_message(response) -> str:
    # Messages not shown yet stay queued, so earlier steps' messages come first.
    return messages_of(response)[-1]


def names_on(response) -> list[str]:
    return [network.name for network in response.context["networks"]]


# The index


def test_the_index_lists_every_network_with_subject_phases_visibility_and_members(
    staff_client, primary_teacher
):
    maths = NetworkFactory(name="Maths", subject="Mathematics", phases=["primary"])
    heads = NetworkFactory(name="Heads of science", private=True, phases=["secondary"])
    MembershipFactory.create_batch(3, network=maths)
    MembershipFactory(network=heads, person=primary_teacher, lead=True)

    response = staff_client.get(INDEX_URL)
    page = response.content.decode()

    assert names_on(response) == ["Heads of science", "Maths"]
    assert "Mathematics · Primary" in page
    assert "No single subject · Secondary" in page
    assert "Private" in page and "Open" in page
    assert "3 members" in page and "1 member" in page
    assert "You lead this network" in page


def test_the_index_says_which_networks_i_am_a_member_of(staff_client, primary_teacher):
    MembershipFactory(network=NetworkFactory(name="Maths"), person=primary_teacher)
    NetworkFactory(name="Art")

    response = staff_client.get(INDEX_URL)

    roles = {network.name: network.my_role for network in response.context["networks"]}
    assert roles == {"Art": None, "Maths": "member"}
    assert "You are a member" in response.content.decode()


def test_the_index_filters_by_phase_and_subject(staff_client):
    maths = SubjectFactory(name="Mathematics")
    NetworkFactory(name="Primary maths", subject=maths, phases=["eyfs", "primary"])
    NetworkFactory(name="Secondary maths", subject=maths, phases=["secondary", "post16"])
    NetworkFactory(name="Early years", phases=["eyfs"])

    assert names_on(staff_client.get(INDEX_URL, {"phase": "eyfs"})) == [
        "Early years",
        "Primary maths",
    ]
    assert names_on(staff_client.get(INDEX_URL, {"subject": maths.pk})) == [
        "Primary maths",
        "Secondary maths",
    ]
    assert names_on(staff_client.get(INDEX_URL, {"subject": maths.pk, "phase": "post16"})) == [
        "Secondary maths"
    ]


def test_a_nonsense_filter_shows_a_message_and_never_an_error(staff_client):
    NetworkFactory(name="Maths")

    response = staff_client.get(INDEX_URL, {"phase": "ks9", "subject": "x"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert names_on(response) == ["Maths"]


def test_the_index_says_so_when_nothing_matches(staff_client):
    response = staff_client.get(INDEX_URL, {"phase": "post16"})

    assert "No networks match those filters" in response.content.decode()


@pytest.mark.parametrize("count", [2, 20])
def test_the_index_query_count_does_not_grow_with_networks_or_members(
    staff_client, primary_teacher, django_assert_max_num_queries, count
):
    for index in range(count):
        network = NetworkFactory(subject=f"Subject {index}", private=index % 2 == 0)
        MembershipFactory.create_batch(2, network=network)
        MembershipFactory(network=network, person=primary_teacher, lead=index % 3 == 0)

    with django_assert_max_num_queries(11):
        response = staff_client.get(INDEX_URL)

    assert len(response.context["networks"]) == count


# A network's home


def test_a_network_home_shows_description_phases_leads_and_members_with_schools(
    staff_client,
):
    network = NetworkFactory(
        name="Maths", description="Number from EYFS to A level.", phases=["primary", "eyfs"]
    )
    riverside = SchoolFactory(name="Riverside Academy")
    MembershipFactory(
        network=network, lead=True, person__first_name="Tom", person__last_name="Okafor",
        person__school=riverside,
    )  # fmt: skip
    MembershipFactory(network=network, person__first_name="Ana", person__last_name="Okonjo")

    response = staff_client.get(url("detail", network))
    page = response.content.decode()

    assert response.status_code == 200
    assert "Number from EYFS to A level." in page
    assert "Primary" in page and "Early years (EYFS)" in page
    assert [m.person.name for m in response.context["leads"]] == ["Tom Okafor"]
    assert [m.person.name for m in response.context["members"]] == ["Tom Okafor", "Ana Okonjo"]
    assert "Riverside Academy" in page
    assert "Members (2)" in page
    assert "Join Maths" in page


def test_a_network_home_shows_the_first_twelve_members_and_links_to_all(staff_client):
    network = NetworkFactory()
    MembershipFactory.create_batch(15, network=network)

    response = staff_client.get(url("detail", network))

    assert len(response.context["members"]) == 12
    assert "Members (15)" in response.content.decode()
    assert url("members", network) in response.content.decode()


def test_a_network_home_shows_its_resource_panels(staff_client):
    response = staff_client.get(url("detail", NetworkFactory(name="Maths")))
    page = response.content.decode()

    assert "Recommended by the Maths network" in page
    assert "Latest resources" in page


def test_the_map_and_share_links_appear_only_once_their_pages_exist(staff_client, primary_teacher):
    network = NetworkFactory()
    MembershipFactory(network=network, person=primary_teacher)

    response = staff_client.get(url("detail", network))

    try:
        map_url = reverse("resources:map", kwargs={"slug": network.slug})
    except NoReverseMatch:
        map_url = None
    try:
        share_url = reverse("resources:create") + f"?network={network.slug}"
    except NoReverseMatch:
        share_url = None
    assert response.context.get("map_url") == map_url
    assert response.context.get("share_url") == share_url


def test_an_unknown_network_is_a_friendly_404(staff_client):
    response = staff_client.get(reverse("networks:detail", kwargs={"slug": "no-such-network"}))

    assert response.status_code == 404


def test_a_private_network_shows_outsiders_only_its_name_description_and_leads(staff_client):
    network = NetworkFactory(name="Heads of maths", private=True, description="For heads.")
    MembershipFactory(network=network, lead=True, person__first_name="Tom")
    MembershipFactory(network=network, person__first_name="Secret", person__last_name="Member")

    response = staff_client.get(url("detail", network))
    page = response.content.decode()

    assert response.status_code == 200
    assert "Heads of maths" in page and "For heads." in page and "Tom" in page
    assert "Request to join" in page
    assert "Secret Member" not in page
    assert "Latest resources" not in page
    assert "members" not in response.context


def test_a_pending_request_is_shown_instead_of_the_form(staff_client, primary_teacher):
    network = NetworkFactory(private=True)
    JoinRequestFactory(network=network, person=primary_teacher)

    page = staff_client.get(url("detail", network)).content.decode()

    assert "A lead will decide soon" in page
    assert "Request to join" not in page


def test_leads_see_pending_requests_with_the_asker_and_their_school(staff_client, primary_teacher):
    network = NetworkFactory(private=True)
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    JoinRequestFactory(
        network=network, person__first_name="Ana", person__last_name="Okonjo",
        person__school=SchoolFactory(name="Hopfield Primary"), message="Year 5 teacher here.",
    )  # fmt: skip

    page = staff_client.get(url("detail", network)).content.decode()

    assert "Requests to join" in page
    assert "Ana Okonjo" in page and "Hopfield Primary" in page and "Year 5 teacher here." in page


def test_members_do_not_see_pending_requests(staff_client, primary_teacher):
    network = NetworkFactory(private=True)
    MembershipFactory(network=network, person=primary_teacher)
    JoinRequestFactory(network=network)

    assert "Requests to join" not in staff_client.get(url("detail", network)).content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_the_network_home_query_count_does_not_grow_with_members_or_requests(
    staff_client, primary_teacher, django_assert_max_num_queries, count
):
    network = NetworkFactory(private=True)
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    MembershipFactory.create_batch(count, network=network)
    MembershipFactory.create_batch(2, network=network, lead=True)
    JoinRequestFactory.create_batch(count, network=network)
    NetworkFactory.create_batch(count)

    with django_assert_max_num_queries(18):
        response = staff_client.get(url("detail", network))

    assert len(response.context["join_requests"]) == count


# The members page


def test_the_members_page_lists_leads_first_with_their_schools(staff_client):
    network = NetworkFactory()
    MembershipFactory(network=network, person__last_name="Adams")
    MembershipFactory(
        network=network, lead=True, person__last_name="Zeller",
        person__school=SchoolFactory(name="Riverside Academy"),
    )  # fmt: skip

    response = staff_client.get(url("members", network))

    assert [m.person.last_name for m in response.context["page"]] == ["Zeller", "Adams"]
    assert "Riverside Academy" in response.content.decode()
    assert "Make a lead" not in response.content.decode()


def test_leads_see_controls_to_manage_members(staff_client, primary_teacher):
    network = NetworkFactory()
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    MembershipFactory(network=network)

    page = staff_client.get(url("members", network)).content.decode()

    assert "Add to the network" in page
    assert "Make a lead" in page and "Stop being a lead" in page and "Remove" in page


@pytest.mark.parametrize("count", [3, 60])
def test_the_members_page_query_count_does_not_grow_with_members(
    staff_client, django_assert_max_num_queries, count
):
    network = NetworkFactory()
    MembershipFactory.create_batch(count, network=network)

    with django_assert_max_num_queries(14):
        staff_client.get(url("members", network))


# Actions: POST only, with CSRF, refusals as messages


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("join", {}),
        ("leave", {}),
        ("request", {}),
        ("member_add", {}),
        ("decide", {"pk": 1}),
        ("member_remove", {"person_id": 1}),
        ("lead_promote", {"person_id": 1}),
        ("lead_demote", {"person_id": 1}),
    ],
)
def test_actions_refuse_get_requests(staff_client, name, kwargs):
    response = staff_client.get(url(name, NetworkFactory(), **kwargs))

    assert response.status_code == 405


def test_actions_need_the_csrf_token(primary_teacher):
    network = NetworkFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(primary_teacher)

    response = client.post(url("join", network))

    assert response.status_code == 403
    assert not is_member(primary_teacher, network)


def test_joining_shows_a_message_and_goes_back_to_the_network(staff_client, primary_teacher):
    network = NetworkFactory(name="Maths")

    response = staff_client.post(url("join", network))

    assert response.url == url("detail", network)
    assert messages_of(response) == ["You have joined Maths."]
    assert is_member(primary_teacher, network)


def test_an_action_goes_back_to_a_safe_next_page_only(staff_client):
    first, second = NetworkFactory(), NetworkFactory()

    inside = staff_client.post(url("join", first), {"next": INDEX_URL})
    outside = staff_client.post(url("join", second), {"next": "https://evil.example/"})

    assert inside.url == INDEX_URL
    assert outside.url == url("detail", second)


def test_joining_a_private_network_is_refused_with_a_message(staff_client, primary_teacher):
    network = NetworkFactory(name="Heads of maths", private=True)

    response = staff_client.post(url("join", network), follow=True)

    assert response.status_code == 200
    assert "Heads of maths is private: ask to join" in response.content.decode()
    assert not is_member(primary_teacher, network)


def test_asking_to_join_sends_the_message_to_the_leads(staff_client, primary_teacher):
    network = NetworkFactory(name="Heads of maths", private=True)

    response = staff_client.post(url("request", network), {"message": "I lead KS3 maths."})

    assert messages_of(response) == [
        "Your request to join Heads of maths has been sent to its leads."
    ]
    asked = JoinRequest.objects.get()
    assert (asked.person, asked.message) == (primary_teacher, "I lead KS3 maths.")


def test_a_request_message_that_is_too_long_is_refused(staff_client):
    network = NetworkFactory(private=True)

    response = staff_client.post(url("request", network), {"message": "x" * 1001})

    assert "at most 1000 characters" in messages_of(response)[0]
    assert not JoinRequest.objects.exists()


def test_a_lead_approves_a_request_from_the_network_home(staff_client, primary_teacher):
    network = NetworkFactory(name="Maths", private=True)
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    asked = JoinRequestFactory(network=network, person__first_name="Ana", person__last_name="Ng")

    response = staff_client.post(url("decide", network, pk=asked.pk), {"decision": "approve"})

    assert messages_of(response) == ["Ana Ng is now a member of Maths."]
    assert is_member(asked.person, network)


def test_deciding_twice_or_without_a_decision_shows_a_message(staff_client, primary_teacher):
    network = NetworkFactory(private=True)
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    asked = JoinRequestFactory(network=network, person__first_name="Ana", person__last_name="Ng")
    decide = url("decide", network, pk=asked.pk)
    staff_client.post(decide, {"decision": "decline"})

    twice = staff_client.post(decide, {"decision": "approve"})
    nonsense = staff_client.post(decide, {"decision": "maybe"})

    assert last_message(twice) == "Ana Ng's request has already been declined."
    assert last_message(nonsense) == "Choose whether to approve or decline the request."
    assert not is_member(asked.person, network)


def test_a_request_from_another_network_is_not_found(staff_client, central_team_editor):
    sign_in_with_identity_provider(staff_client, central_team_editor)
    asked = JoinRequestFactory()

    response = staff_client.post(
        url("decide", NetworkFactory(), pk=asked.pk), {"decision": "approve"}
    )

    assert response.status_code == 404


def test_the_last_lead_hands_over_when_leaving(staff_client, primary_teacher):
    network = NetworkFactory(name="Maths")
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    successor = MembershipFactory(network=network)

    home = staff_client.get(url("detail", network)).content.decode()
    refused = staff_client.post(url("leave", network))
    left = staff_client.post(url("leave", network), {"successor": successor.pk})

    assert "New lead" in home
    assert "only lead of Maths" in messages_of(refused)[0]
    assert last_message(left) == "You have left Maths."
    successor.refresh_from_db()
    assert successor.role == Membership.Role.LEAD


def test_a_lead_adds_a_colleague_by_email_as_a_lead(staff_client, primary_teacher):
    network = NetworkFactory(name="Maths")
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    colleague = PersonFactory(first_name="Ana", last_name="Ng", email="ana.ng@oakfield.example")

    response = staff_client.post(
        url("member_add", network), {"email": "ANA.NG@oakfield.example", "as_lead": "on"}
    )

    assert response.url == url("members", network)
    assert messages_of(response) == ["Ana Ng is now a lead of Maths."]
    assert Membership.objects.get(network=network, person=colleague).is_lead


def test_adding_an_unknown_email_says_so(staff_client, primary_teacher):
    network = NetworkFactory()
    MembershipFactory(network=network, person=primary_teacher, lead=True)

    response = staff_client.post(url("member_add", network), {"email": "nobody@example.com"})

    assert "No member of staff has that email address" in messages_of(response)[0]
    assert network.memberships.count() == 1


def test_a_lead_promotes_demotes_and_removes_members(staff_client, primary_teacher):
    network = NetworkFactory(name="Maths")
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    other = MembershipFactory(
        network=network, person__first_name="Ana", person__last_name="Ng"
    ).person

    promoted = staff_client.post(url("lead_promote", network, person_id=other.pk))
    demoted = staff_client.post(url("lead_demote", network, person_id=other.pk))
    removed = staff_client.post(url("member_remove", network, person_id=other.pk))
    last = staff_client.post(url("member_remove", network, person_id=primary_teacher.pk))

    assert last_message(promoted) == "Ana Ng now leads Maths."
    assert last_message(demoted) == "Ana Ng is no longer a lead of Maths."
    assert last_message(removed) == "Ana Ng is no longer a member of Maths."
    assert "only lead of Maths" in last_message(last)
    assert removed.url == url("members", network)
    assert list(network.memberships.values_list("person", flat=True)) == [primary_teacher.pk]


# My networks on the home page


def test_my_networks_appear_on_the_home_page(staff_client, primary_teacher):
    MembershipFactory(network=NetworkFactory(name="Maths"), person=primary_teacher, lead=True)
    MembershipFactory(network=NetworkFactory(name="English"), person=primary_teacher)
    NetworkFactory(name="Art")
    MembershipFactory(network=NetworkFactory(name="Science"))

    page = staff_client.get("/").content.decode()

    assert "My networks" in page
    assert "Maths" in page and "English" in page and "You lead this network" in page
    assert "Art" not in page and "Science" not in page


def test_the_home_page_invites_people_with_no_networks_to_find_one(staff_client):
    page = staff_client.get("/").content.decode()

    assert "You have not joined a network yet" in page


# Resources on a network's home (the panels come from the resources app)


def resource_in(network, **kwargs):
    from tests.resources.factories import ResourceFactory

    resource = ResourceFactory(network=network, **kwargs)
    try:
        resource.get_absolute_url()
    except NoReverseMatch:
        pytest.skip("The resources app has no resource pages yet.")
    return resource


def test_a_network_home_lists_its_latest_resources(staff_client):
    network = NetworkFactory(name="Maths")
    resource_in(network, title="Fractions of amounts")
    resource_in(NetworkFactory(), title="Another network worksheet")

    page = staff_client.get(url("detail", network)).content.decode()

    assert "Fractions of amounts" in page
    assert "Another network worksheet" not in page


def test_outsiders_see_no_resources_of_a_private_network(staff_client, primary_teacher):
    network = NetworkFactory(private=True)
    resource_in(network, title="Heads secret plan")

    outsider = staff_client.get(url("detail", network)).content.decode()
    MembershipFactory(network=network, person=primary_teacher)
    member = staff_client.get(url("detail", network)).content.decode()

    assert "Heads secret plan" not in outsider
    assert "Heads secret plan" in member


@pytest.mark.parametrize("count", [1, 12])
def test_the_network_home_query_count_does_not_grow_with_resources(
    staff_client, primary_teacher, django_assert_max_num_queries, count
):
    network = NetworkFactory()
    MembershipFactory(network=network, person=primary_teacher)
    for _ in range(count):
        resource_in(network)

    with django_assert_max_num_queries(18):
        staff_client.get(url("detail", network))


def queries_for(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(path).status_code == 200
    return len(context.captured_queries)


def test_the_index_and_network_home_run_the_same_queries_for_more_data(
    staff_client, primary_teacher
):
    network = NetworkFactory(private=True)
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    MembershipFactory.create_batch(12, network=network)
    JoinRequestFactory.create_batch(2, network=network)
    staff_client.get(INDEX_URL)  # the first page of all saves the trust's default branding
    before = queries_for(staff_client, INDEX_URL), queries_for(staff_client, url("detail", network))

    MembershipFactory.create_batch(30, network=network)
    JoinRequestFactory.create_batch(20, network=network)
    for other in NetworkFactory.create_batch(25, subject="Science"):
        MembershipFactory(network=other, person=primary_teacher)
    after = queries_for(staff_client, INDEX_URL), queries_for(staff_client, url("detail", network))

    assert after == before


def test_my_networks_lists_each_network_once_with_my_own_role(rf, primary_teacher):
    from networks.templatetags.networks_tags import my_networks

    maths, english = NetworkFactory(name="Maths"), NetworkFactory(name="English")
    MembershipFactory(network=maths, person=primary_teacher, lead=True)
    MembershipFactory(network=english, person=primary_teacher)
    MembershipFactory.create_batch(3, network=maths)
    MembershipFactory(network=english, lead=True)
    request = rf.get("/")
    request.user = primary_teacher

    listed = my_networks({"request": request})["networks"]

    assert [(network.name, network.my_role) for network in listed] == [
        ("English", "member"),
        ("Maths", "lead"),
    ]

import pytest
from django.core.exceptions import ValidationError

from networks import services
from networks.models import JoinRequest, Membership, Network
from networks.permissions import is_lead, is_member
from networks.services import NetworkActionRefused
from tests.factories import PersonFactory
from tests.networks.factories import (
    JoinRequestFactory,
    MembershipFactory,
    NetworkFactory,
    SubjectFactory,
)

pytestmark = pytest.mark.django_db


def role_of(person, network) -> str | None:
    membership = Membership.objects.filter(person=person, network=network).first()
    return membership.role if membership else None


# Creating and changing networks


def test_the_central_team_creates_a_network_with_its_first_leads(
    central_team_editor, secondary_maths_lead
):
    network = services.network_create(
        by=central_team_editor,
        name="Maths",
        subject=SubjectFactory(name="Mathematics"),
        description="Number, algebra and geometry from EYFS to A level.",
        phases=["secondary", "primary"],
        leads=[secondary_maths_lead],
    )

    assert network.slug == "maths"
    assert network.phases == ["primary", "secondary"]
    assert role_of(secondary_maths_lead, network) == Membership.Role.LEAD


def test_a_trust_admin_creates_a_network_without_a_subject(trust_admin):
    network = services.network_create(by=trust_admin, name="SEND and inclusion")

    assert network.subject is None
    assert network.visibility == Network.Visibility.OPEN


def test_a_teacher_cannot_create_a_network(primary_teacher):
    with pytest.raises(NetworkActionRefused, match="Only the central team"):
        services.network_create(by=primary_teacher, name="My own network")

    assert not Network.objects.exists()


def test_a_network_with_an_unknown_phase_or_a_taken_name_is_refused_and_not_saved(
    central_team_editor,
):
    NetworkFactory(name="Maths")

    with pytest.raises(ValidationError, match="Unknown phase"):
        services.network_create(by=central_team_editor, name="Science", phases=["ks9"])
    with pytest.raises(ValidationError):
        services.network_create(by=central_team_editor, name="Maths")

    assert list(Network.objects.values_list("name", flat=True)) == ["Maths"]


def test_a_lead_changes_the_description_but_not_the_visibility(primary_teacher):
    network = NetworkFactory()
    MembershipFactory(network=network, person=primary_teacher, lead=True)

    services.network_update(by=primary_teacher, network=network, description="New words.")
    with pytest.raises(NetworkActionRefused, match="Only the central team"):
        services.network_update(
            by=primary_teacher, network=network, visibility=Network.Visibility.PRIVATE
        )

    network.refresh_from_db()
    assert network.description == "New words."
    assert network.visibility == Network.Visibility.OPEN


def test_the_central_team_makes_a_network_private(central_team_editor):
    network = NetworkFactory()

    services.network_update(
        by=central_team_editor, network=network, visibility=Network.Visibility.PRIVATE
    )

    network.refresh_from_db()
    assert network.is_private


def test_a_member_cannot_change_a_network(primary_teacher):
    network = NetworkFactory(description="Before")
    MembershipFactory(network=network, person=primary_teacher)

    with pytest.raises(NetworkActionRefused):
        services.network_update(by=primary_teacher, network=network, description="After")

    network.refresh_from_db()
    assert network.description == "Before"


# Joining and leaving


def test_a_teacher_joins_an_open_network_as_a_member(primary_teacher):
    network = NetworkFactory()

    services.membership_join(person=primary_teacher, network=network)

    assert role_of(primary_teacher, network) == Membership.Role.MEMBER


def test_joining_twice_is_refused_with_a_message(primary_teacher):
    network = NetworkFactory(name="Maths")
    services.membership_join(person=primary_teacher, network=network)

    with pytest.raises(NetworkActionRefused, match="already a member of Maths"):
        services.membership_join(person=primary_teacher, network=network)


def test_joining_a_private_network_directly_is_refused(primary_teacher):
    network = NetworkFactory(private=True, name="Heads of maths")

    with pytest.raises(NetworkActionRefused, match="Heads of maths is private: ask to join"):
        services.membership_join(person=primary_teacher, network=network)

    assert not is_member(primary_teacher, network)


def test_joining_updates_what_the_permissions_know_at_once(primary_teacher):
    network = NetworkFactory()
    assert not is_member(primary_teacher, network)

    services.membership_join(person=primary_teacher, network=network)

    assert is_member(primary_teacher, network)


def test_a_member_leaves_a_network(primary_teacher):
    network = NetworkFactory()
    MembershipFactory(network=network, person=primary_teacher)

    services.membership_leave(person=primary_teacher, network=network)

    assert role_of(primary_teacher, network) is None


def test_leaving_a_network_you_are_not_in_is_refused(primary_teacher):
    with pytest.raises(NetworkActionRefused, match="not a member"):
        services.membership_leave(person=primary_teacher, network=NetworkFactory())


def test_the_last_lead_cannot_leave_without_naming_another_lead(primary_teacher):
    network = NetworkFactory(name="Maths")
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    MembershipFactory(network=network)

    with pytest.raises(NetworkActionRefused, match="only lead of Maths. Choose another member"):
        services.membership_leave(person=primary_teacher, network=network)

    assert role_of(primary_teacher, network) == Membership.Role.LEAD


def test_the_last_lead_leaves_by_handing_over_to_a_member(primary_teacher):
    network = NetworkFactory()
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    successor = MembershipFactory(network=network).person

    services.membership_leave(person=primary_teacher, network=network, successor=successor)

    assert role_of(primary_teacher, network) is None
    assert role_of(successor, network) == Membership.Role.LEAD


def test_the_new_lead_must_already_be_a_member(primary_teacher):
    network = NetworkFactory()
    MembershipFactory(network=network, person=primary_teacher, lead=True)

    with pytest.raises(NetworkActionRefused, match="must be another member"):
        services.membership_leave(
            person=primary_teacher, network=network, successor=PersonFactory()
        )
    with pytest.raises(NetworkActionRefused, match="must be another member"):
        services.membership_leave(
            person=primary_teacher, network=network, successor=primary_teacher
        )

    assert role_of(primary_teacher, network) == Membership.Role.LEAD


def test_one_of_two_leads_leaves_freely(primary_teacher):
    network = NetworkFactory()
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    MembershipFactory(network=network, lead=True)

    services.membership_leave(person=primary_teacher, network=network)

    assert network.memberships.filter(role=Membership.Role.LEAD).count() == 1


# Requests to join private networks


def test_a_teacher_asks_to_join_a_private_network(primary_teacher):
    network = NetworkFactory(private=True)

    asked = services.join_request_create(
        person=primary_teacher, network=network, message="  I teach Year 4.  "
    )

    assert asked.status == JoinRequest.Status.PENDING
    assert asked.message == "I teach Year 4."
    assert not is_member(primary_teacher, network)


def test_only_one_pending_request_each(primary_teacher):
    network = NetworkFactory(private=True, name="Heads of maths")
    services.join_request_create(person=primary_teacher, network=network)

    with pytest.raises(NetworkActionRefused, match="already asked to join Heads of maths"):
        services.join_request_create(person=primary_teacher, network=network)

    assert JoinRequest.objects.count() == 1


def test_members_cannot_ask_to_join(primary_teacher):
    network = NetworkFactory(private=True)
    MembershipFactory(network=network, person=primary_teacher)

    with pytest.raises(NetworkActionRefused, match="already a member"):
        services.join_request_create(person=primary_teacher, network=network)


def test_asking_to_join_an_open_network_says_to_join_it(primary_teacher):
    with pytest.raises(NetworkActionRefused, match="open to all staff: join it"):
        services.join_request_create(person=primary_teacher, network=NetworkFactory())


def test_a_declined_teacher_may_ask_again(primary_teacher, central_team_editor):
    asked = JoinRequestFactory(person=primary_teacher)
    services.join_request_decide(by=central_team_editor, join_request=asked, approve=False)

    again = services.join_request_create(person=primary_teacher, network=asked.network)

    assert again.status == JoinRequest.Status.PENDING


def test_a_lead_approves_a_request_and_the_person_becomes_a_member(primary_teacher):
    asked = JoinRequestFactory()
    MembershipFactory(network=asked.network, person=primary_teacher, lead=True)

    decided = services.join_request_decide(by=primary_teacher, join_request=asked, approve=True)

    assert decided.status == JoinRequest.Status.APPROVED
    assert decided.decided_by == primary_teacher
    assert decided.decided_at is not None
    assert role_of(asked.person, asked.network) == Membership.Role.MEMBER


def test_a_lead_declines_a_request_and_no_one_joins(primary_teacher):
    asked = JoinRequestFactory()
    MembershipFactory(network=asked.network, person=primary_teacher, lead=True)

    services.join_request_decide(by=primary_teacher, join_request=asked, approve=False)

    asked.refresh_from_db()
    assert asked.status == JoinRequest.Status.DECLINED
    assert role_of(asked.person, asked.network) is None


def test_the_central_team_decides_requests_in_any_network(central_team_editor, trust_admin):
    first, second = JoinRequestFactory(), JoinRequestFactory()

    services.join_request_decide(by=central_team_editor, join_request=first, approve=True)
    services.join_request_decide(by=trust_admin, join_request=second, approve=True)

    assert is_member(first.person, first.network)
    assert is_member(second.person, second.network)


def test_members_and_other_staff_cannot_decide(primary_teacher):
    asked = JoinRequestFactory()
    MembershipFactory(network=asked.network, person=primary_teacher)

    with pytest.raises(NetworkActionRefused, match="Only the leads"):
        services.join_request_decide(by=primary_teacher, join_request=asked, approve=True)
    with pytest.raises(NetworkActionRefused, match="Only the leads"):
        services.join_request_decide(by=PersonFactory(), join_request=asked, approve=True)

    asked.refresh_from_db()
    assert asked.status == JoinRequest.Status.PENDING
    assert not is_member(asked.person, asked.network)


def test_deciding_twice_is_refused_and_changes_nothing(central_team_editor):
    asked = JoinRequestFactory(person__first_name="Ana", person__last_name="Okonjo")
    services.join_request_decide(by=central_team_editor, join_request=asked, approve=True)

    with pytest.raises(NetworkActionRefused, match="Ana Okonjo's request has already been"):
        services.join_request_decide(by=central_team_editor, join_request=asked, approve=False)

    asked.refresh_from_db()
    assert asked.status == JoinRequest.Status.APPROVED
    assert is_member(asked.person, asked.network)


# Leads manage members and leads


def test_a_lead_adds_a_member_and_another_lead(primary_teacher):
    network = NetworkFactory(private=True)
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    colleague, deputy = PersonFactory(), PersonFactory()

    services.member_add(by=primary_teacher, network=network, person=colleague)
    services.member_add(by=primary_teacher, network=network, person=deputy, as_lead=True)

    assert role_of(colleague, network) == Membership.Role.MEMBER
    assert role_of(deputy, network) == Membership.Role.LEAD


def test_adding_someone_approves_their_pending_request(central_team_editor):
    asked = JoinRequestFactory()

    services.member_add(by=central_team_editor, network=asked.network, person=asked.person)

    asked.refresh_from_db()
    assert asked.status == JoinRequest.Status.APPROVED


def test_adding_an_existing_member_or_someone_who_has_left_is_refused(central_team_editor):
    network = NetworkFactory()
    member = MembershipFactory(network=network).person
    departed = PersonFactory(is_active=False)

    with pytest.raises(NetworkActionRefused, match="already a member"):
        services.member_add(by=central_team_editor, network=network, person=member)
    with pytest.raises(NetworkActionRefused, match="can no longer sign in"):
        services.member_add(by=central_team_editor, network=network, person=departed)

    assert network.memberships.count() == 1


def test_a_member_cannot_add_remove_promote_or_demote(primary_teacher):
    network = NetworkFactory()
    MembershipFactory(network=network, person=primary_teacher)
    lead = MembershipFactory(network=network, lead=True).person
    other = MembershipFactory(network=network).person

    for action, person in [
        (services.member_add, PersonFactory()),
        (services.member_remove, other),
        (services.lead_promote, other),
        (services.lead_demote, lead),
    ]:
        with pytest.raises(NetworkActionRefused, match="Only the leads"):
            action(by=primary_teacher, network=network, person=person)

    assert network.memberships.count() == 3
    assert role_of(other, network) == Membership.Role.MEMBER
    assert role_of(lead, network) == Membership.Role.LEAD


def test_a_lead_removes_a_member(primary_teacher):
    network = NetworkFactory()
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    member = MembershipFactory(network=network).person

    services.member_remove(by=primary_teacher, network=network, person=member)

    assert role_of(member, network) is None


def test_removing_someone_who_is_not_a_member_is_refused(central_team_editor):
    with pytest.raises(NetworkActionRefused, match="is not a member"):
        services.member_remove(
            by=central_team_editor, network=NetworkFactory(), person=PersonFactory()
        )


def test_no_one_can_remove_or_demote_the_last_lead(primary_teacher, central_team_editor):
    network = NetworkFactory(name="Maths")
    MembershipFactory(network=network, person=primary_teacher, lead=True)

    for by in [primary_teacher, central_team_editor]:
        with pytest.raises(NetworkActionRefused, match="only lead of Maths"):
            services.member_remove(by=by, network=network, person=primary_teacher)
        with pytest.raises(NetworkActionRefused, match="only lead of Maths"):
            services.lead_demote(by=by, network=network, person=primary_teacher)

    assert role_of(primary_teacher, network) == Membership.Role.LEAD


def test_a_lead_promotes_a_member_then_steps_down(primary_teacher):
    network = NetworkFactory()
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    member = MembershipFactory(network=network).person

    services.lead_promote(by=primary_teacher, network=network, person=member)
    services.lead_demote(by=primary_teacher, network=network, person=primary_teacher)

    assert role_of(member, network) == Membership.Role.LEAD
    assert role_of(primary_teacher, network) == Membership.Role.MEMBER
    assert not is_lead(primary_teacher, network)


def test_promoting_a_non_member_or_a_lead_and_demoting_a_member_are_refused(
    central_team_editor,
):
    network = NetworkFactory()
    lead = MembershipFactory(network=network, lead=True).person
    member = MembershipFactory(network=network).person

    with pytest.raises(NetworkActionRefused, match="Add them first"):
        services.lead_promote(by=central_team_editor, network=network, person=PersonFactory())
    with pytest.raises(NetworkActionRefused, match="already leads"):
        services.lead_promote(by=central_team_editor, network=network, person=lead)
    with pytest.raises(NetworkActionRefused, match="is not a lead"):
        services.lead_demote(by=central_team_editor, network=network, person=member)


def test_the_central_team_manages_members_of_any_network(central_team_editor):
    network = NetworkFactory(private=True)
    person = PersonFactory()

    services.member_add(by=central_team_editor, network=network, person=person)
    services.lead_promote(by=central_team_editor, network=network, person=person)

    assert role_of(person, network) == Membership.Role.LEAD


def test_someone_whose_account_is_switched_off_can_neither_join_nor_ask(primary_teacher):
    primary_teacher.is_active = False
    primary_teacher.save()

    with pytest.raises(NetworkActionRefused, match="active staff account"):
        services.membership_join(person=primary_teacher, network=NetworkFactory())
    with pytest.raises(NetworkActionRefused, match="active staff account"):
        services.join_request_create(person=primary_teacher, network=NetworkFactory(private=True))

    assert not Membership.objects.exists() and not JoinRequest.objects.exists()


def test_a_switched_off_member_cannot_be_made_the_new_lead(primary_teacher):
    network = NetworkFactory()
    MembershipFactory(network=network, person=primary_teacher, lead=True)
    departed = MembershipFactory(network=network, person__is_active=False).person

    with pytest.raises(NetworkActionRefused, match="can no longer sign in"):
        services.membership_leave(person=primary_teacher, network=network, successor=departed)

    assert role_of(primary_teacher, network) == Membership.Role.LEAD
    assert role_of(departed, network) == Membership.Role.MEMBER

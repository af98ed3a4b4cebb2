from django.db.models import Case, Count, OuterRef, Q, QuerySet, Subquery, When

from networks.models import JoinRequest, Membership, Network
from people.roles import is_central


def networks_listed_for(person) -> QuerySet[Network]:
    """Every network, so staff can find private ones to ask to join, with member counts."""
    return Network.objects.select_related("subject").annotate(
        member_count=Count("memberships", distinct=True)
    )


def readable_network_ids(person) -> QuerySet | None:
    """The ids of networks whose content the person may read, or None for "all of them"."""
    if is_central(person):
        return None
    return Network.objects.filter(
        Q(visibility=Network.Visibility.OPEN) | Q(memberships__person=person)
    ).values("pk")


def member_network_ids(person) -> QuerySet:
    return Membership.objects.filter(person=person).values("network_id")


def led_network_ids(person) -> QuerySet:
    return Membership.objects.filter(person=person, role=Membership.Role.LEAD).values("network_id")


def my_networks(person) -> QuerySet[Network]:
    return (
        Network.objects.filter(memberships__person=person)
        .select_related("subject")
        .order_by("name")
    )


# Reads for the networks app's own pages (index, network home, members).


def networks_index(person, *, phase: str = "", subject_id: int | None = None) -> QuerySet[Network]:
    """Every network for the index, with its member count and the person's own role
    ("lead", "member" or None) as `my_role`, in one query."""
    person_id = person.pk if getattr(person, "is_authenticated", False) else None
    my_role = Membership.objects.filter(network=OuterRef("pk"), person_id=person_id)
    my_role = my_role.values("role")[:1]
    networks = networks_listed_for(person).annotate(my_role=Subquery(my_role))
    if phase:
        # Phases are a JSON list of known codes; none is part of another, quoted.
        networks = networks.filter(phases__icontains=f'"{phase}"')
    if subject_id:
        networks = networks.filter(subject_id=subject_id)
    return networks.order_by("name")


def network_for_home(*, slug: str) -> Network:
    return Network.objects.select_related("subject").get(slug=slug)


def network_memberships(network: Network, *, leads_only: bool = False) -> QuerySet[Membership]:
    """Leads first, then members by name, each with their school."""
    memberships = Membership.objects.filter(network=network)
    if leads_only:
        memberships = memberships.filter(role=Membership.Role.LEAD)
    return (
        memberships.filter(person__is_active=True)
        .select_related("person__school")
        .order_by(
            Case(When(role=Membership.Role.LEAD, then=0), default=1),
            "person__last_name",
            "person__first_name",
            "pk",
        )
    )


def pending_join_requests(network: Network) -> QuerySet[JoinRequest]:
    return JoinRequest.objects.filter(
        network=network, status=JoinRequest.Status.PENDING
    ).select_related("person__school")


def pending_join_request_of(person, network: Network) -> JoinRequest | None:
    if not getattr(person, "is_authenticated", False):
        return None
    return JoinRequest.objects.filter(
        network=network, person=person, status=JoinRequest.Status.PENDING
    ).first()

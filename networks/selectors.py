from django.db.models import Count, Q, QuerySet

from networks.models import Membership, Network
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

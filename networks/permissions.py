"""Who may see and do what in a network. Views, templates and other apps ask here."""

from networks.models import Membership, Network
from people.roles import is_central


def memberships(person) -> dict[int, Membership]:
    """The person's memberships by network id, read in one query once per person object (a
    page may ask about several networks and search about all of them). Services that change
    memberships forget this (networks.services._forget_memberships)."""
    if not getattr(person, "is_authenticated", False):
        return {}
    found = person.__dict__.get("_memberships")
    if found is None:
        found = {held.network_id: held for held in Membership.objects.filter(person=person)}
        person.__dict__["_memberships"] = found
    return found


def membership_of(person, network: Network) -> Membership | None:
    return memberships(person).get(network.pk)


def is_member(person, network: Network) -> bool:
    return membership_of(person, network) is not None


def is_lead(person, network: Network) -> bool:
    membership = membership_of(person, network)
    return membership is not None and membership.is_lead


def can_view_network(person, network: Network) -> bool:
    """Open networks are visible to all staff; private ones to members and the central team.

    Anyone may see that a private network exists in the list (to ask to join), but only
    those who pass this check see its resources, files, map and members.
    """
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return False
    return not network.is_private or is_central(person) or is_member(person, network)


def can_manage_network(person, network: Network) -> bool:
    """Leads (and the central team) manage members, leads, the map and endorsements."""
    return is_central(person) or is_lead(person, network)

"""Who may see and change a resource. Every view and selector asks here."""

from networks.permissions import can_view_network, is_lead, is_member
from people.roles import is_central
from resources.models import Resource


def can_view_resource(person, resource: Resource) -> bool:
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return False
    if is_central(person) or resource.author_id == person.pk:
        return True
    network = resource.network
    if resource.status == Resource.Status.DRAFT:
        return is_lead(person, network)
    if not can_view_network(person, network):
        return False
    if resource.scope == Resource.Scope.NETWORK:
        return is_member(person, network)
    return True


def can_edit_resource(person, resource: Resource) -> bool:
    """Authors edit their own; leads within their network; the central team everywhere."""
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return False
    return (
        resource.author_id == person.pk or is_central(person) or is_lead(person, resource.network)
    )


def can_endorse_resource(person, resource: Resource) -> bool:
    return resource.is_published and (is_central(person) or is_lead(person, resource.network))


def can_share_in(person, network) -> bool:
    """Members share resources in a network; the central team anywhere."""
    return is_central(person) or is_member(person, network)

from django.db.models import Q, QuerySet

from networks.models import Network
from networks.selectors import led_network_ids, member_network_ids
from people.roles import is_central
from resources.models import Resource


def resources_visible_to(person) -> QuerySet[Resource]:
    """Every resource the person may open, whatever its status. The same rules as
    resources.permissions.can_view_resource, as one query filter."""
    resources = Resource.objects.all()
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return resources.none()
    if is_central(person):
        return resources
    members_of = member_network_ids(person)
    shared = Q(status__in=[Resource.Status.PUBLISHED, Resource.Status.ARCHIVED]) & (
        Q(network__visibility=Network.Visibility.OPEN, scope=Resource.Scope.TRUST)
        | Q(network_id__in=members_of)
    )
    drafts_for_leads = Q(status=Resource.Status.DRAFT, network_id__in=led_network_ids(person))
    return resources.filter(shared | drafts_for_leads | Q(author=person))


def published_resources_visible_to(person) -> QuerySet[Resource]:
    """What browse, network pages and the map list: published and visible."""
    return resources_visible_to(person).filter(status=Resource.Status.PUBLISHED)

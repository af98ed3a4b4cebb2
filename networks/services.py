"""Every change to networks, memberships and join requests.

Refusals raise NetworkActionRefused with a message a member of staff can act on; views show
it and lose nothing.
"""

import logging
from collections.abc import Iterable
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from networks.models import JoinRequest, Membership, Network, Subject
from networks.permissions import can_manage_network
from people.models import Person
from people.roles import is_central
from people.signals import live_sockets_group

logger = logging.getLogger(__name__)

# Channel-layer events for live pages (forums.consumers) that lose a private network: one to
# each of a removed person's own sockets, one to every page of a network made private.
ACCESS_LOST = "network.access_lost"
MADE_PRIVATE = "network.made_private"


def network_readers_group(network_id: int) -> str:
    """The group every live thread or forum page of the network joins."""
    return f"network-readers.{network_id}"


def _tell_live_pages(group: str, message: dict) -> None:
    # After commit, and never failing the change: a page that misses this still loses access
    # at its next catch-up or reconnect, which ask the database afresh.
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # the layer is down: its sockets lose it too, and reconnect
        logger.warning("Could not tell %s that access to a network changed", group)


def _close_live_pages_of(person: Person, network: Network) -> None:
    """Someone no longer in a private network stops receiving its posts on pages already
    open (thread, forum), in every tab, once the change is committed."""
    if not network.is_private or is_central(person):
        return  # open networks are read by all staff; the central team reads every network
    message = {"type": ACCESS_LOST, "network_id": network.pk}
    transaction.on_commit(partial(_tell_live_pages, live_sockets_group(person.pk), message))


class NetworkActionRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _forget_memberships(*people) -> None:
    # networks.permissions caches memberships on the person object; a change makes it stale.
    for person in people:
        if person is not None:
            person.__dict__.pop("_memberships", None)


def _require_active(person) -> None:
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        raise NetworkActionRefused("Sign in with an active staff account first.")


def _require_manager(by, network: Network) -> None:
    _require_active(by)
    if not can_manage_network(by, network):
        raise NetworkActionRefused(
            f"Only the leads of {network.name} and the central team can do that."
        )


def _locked(network: Network) -> Network:
    # Locking the network row serialises changes to its leads, so two leads stepping down
    # at once cannot leave it with none.
    return Network.objects.select_for_update().get(pk=network.pk)


def _lead_count(network: Network) -> int:
    return Membership.objects.filter(network=network, role=Membership.Role.LEAD).count()


def _membership(network: Network, person: Person) -> Membership | None:
    return Membership.objects.filter(network=network, person=person).first()


def network_create(
    *,
    by: Person,
    name: str,
    subject: Subject | None = None,
    description: str = "",
    phases: Iterable[str] = (),
    visibility: str = Network.Visibility.OPEN,
    leads: Iterable[Person] = (),
) -> Network:
    """The central team (and trust admins) create networks and name their first leads."""
    _require_active(by)
    if not is_central(by):
        raise NetworkActionRefused("Only the central team can create networks.")
    network = Network(
        name=name.strip(),
        slug=slugify(name)[:120],
        subject=subject,
        description=description,
        phases=list(phases),
        visibility=visibility,
    )
    network.full_clean()
    with transaction.atomic():
        network.save()
        Membership.objects.bulk_create(
            [Membership(network=network, person=lead, role=Membership.Role.LEAD) for lead in leads]
        )
    _forget_memberships(*leads)
    return network


NETWORK_FIELDS = ["name", "subject", "description", "phases", "visibility"]


def network_update(*, by: Person, network: Network, **changes) -> Network:
    """The central team change any network; its leads may change its description and phases."""
    _require_active(by)
    if unknown := set(changes) - set(NETWORK_FIELDS):
        raise TypeError(f"Not a network field: {', '.join(sorted(unknown))}")
    if not is_central(by):
        if not can_manage_network(by, network):
            raise NetworkActionRefused("Only the central team can change this network.")
        if set(changes) - {"description", "phases"}:
            raise NetworkActionRefused(
                "Only the central team can rename a network or change its subject or "
                "who can see it."
            )
    was_private = network.is_private
    for field, value in changes.items():
        setattr(network, field, list(value) if field == "phases" else value)
    network.full_clean()
    with transaction.atomic():
        network.save(update_fields=list(changes) or None)
        if network.is_private and not was_private:
            # Whoever is not a member loses it: each open page checks its own reader.
            transaction.on_commit(
                partial(
                    _tell_live_pages,
                    network_readers_group(network.pk),
                    {"type": MADE_PRIVATE, "network_id": network.pk},
                )
            )
    return network


def membership_join(*, person: Person, network: Network) -> Membership:
    _require_active(person)
    if network.is_private:
        raise NetworkActionRefused(
            f"{network.name} is private: ask to join and one of its leads will decide."
        )
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(network=network, person=person)
    if not created:
        raise NetworkActionRefused(f"You are already a member of {network.name}.")
    _forget_memberships(person)
    return membership


def membership_leave(*, person: Person, network: Network, successor: Person | None = None) -> None:
    """Leave a network. Its last lead names another member to lead it first."""
    _require_active(person)
    with transaction.atomic():
        network = _locked(network)
        membership = _membership(network, person)
        if membership is None:
            raise NetworkActionRefused(f"You are not a member of {network.name}.")
        if membership.is_lead and _lead_count(network) == 1:
            if successor is None:
                raise NetworkActionRefused(
                    f"You are the only lead of {network.name}. Choose another member to "
                    "lead it before you leave."
                )
            successor_membership = _membership(network, successor)
            if successor_membership is None or successor.pk == person.pk:
                raise NetworkActionRefused(
                    f"The new lead must be another member of {network.name}."
                )
            if not successor.is_active:
                raise NetworkActionRefused(f"{successor.name} can no longer sign in.")
            successor_membership.role = Membership.Role.LEAD
            successor_membership.save(update_fields=["role"])
        membership.delete()
        _close_live_pages_of(person, network)
    _forget_memberships(person, successor)


def join_request_create(*, person: Person, network: Network, message: str = "") -> JoinRequest:
    _require_active(person)
    if not network.is_private:
        raise NetworkActionRefused(f"{network.name} is open to all staff: join it straight away.")
    if _membership(network, person) is not None:
        raise NetworkActionRefused(f"You are already a member of {network.name}.")
    if len(message) > 1000:
        raise NetworkActionRefused("Keep your message to 1,000 characters or fewer.")
    already = NetworkActionRefused(
        f"You have already asked to join {network.name}. A lead will decide soon."
    )
    if JoinRequest.objects.filter(
        network=network, person=person, status=JoinRequest.Status.PENDING
    ).exists():
        raise already
    try:
        with transaction.atomic():
            return JoinRequest.objects.create(
                network=network, person=person, message=message.strip()
            )
    except IntegrityError as twice:  # two requests at the same moment
        raise already from twice


def join_request_decide(*, by: Person, join_request: JoinRequest, approve: bool) -> JoinRequest:
    """A lead (or the central team) approves, which makes the member, or declines."""
    network = join_request.network
    _require_manager(by, network)
    with transaction.atomic():
        join_request = (
            JoinRequest.objects.select_for_update()
            .select_related("person", "network")
            .get(pk=join_request.pk)
        )
        if join_request.status != JoinRequest.Status.PENDING:
            raise NetworkActionRefused(
                f"{join_request.person.name}'s request has already been "
                f"{join_request.get_status_display().lower()}."
            )
        join_request.status = (
            JoinRequest.Status.APPROVED if approve else JoinRequest.Status.DECLINED
        )
        join_request.decided_by = by
        join_request.decided_at = timezone.now()
        join_request.save(update_fields=["status", "decided_by", "decided_at"])
        if approve:
            Membership.objects.get_or_create(network=network, person=join_request.person)
    _forget_memberships(join_request.person)
    return join_request


def member_add(
    *, by: Person, network: Network, person: Person, as_lead: bool = False
) -> Membership:
    """Leads add colleagues to their network (private ones too); any pending request is
    approved along the way."""
    _require_manager(by, network)
    if not person.is_active:
        raise NetworkActionRefused(f"{person.name} can no longer sign in.")
    role = Membership.Role.LEAD if as_lead else Membership.Role.MEMBER
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            network=network, person=person, defaults={"role": role}
        )
        if not created:
            raise NetworkActionRefused(f"{person.name} is already a member of {network.name}.")
        JoinRequest.objects.filter(
            network=network, person=person, status=JoinRequest.Status.PENDING
        ).update(status=JoinRequest.Status.APPROVED, decided_by=by, decided_at=timezone.now())
    _forget_memberships(person)
    return membership


def member_remove(*, by: Person, network: Network, person: Person) -> None:
    _require_manager(by, network)
    with transaction.atomic():
        network = _locked(network)
        membership = _membership(network, person)
        if membership is None:
            raise NetworkActionRefused(f"{person.name} is not a member of {network.name}.")
        if membership.is_lead and _lead_count(network) == 1:
            raise NetworkActionRefused(
                f"{person.name} is the only lead of {network.name}. Make another member a "
                "lead first."
            )
        membership.delete()
        _close_live_pages_of(person, network)
    _forget_memberships(person, by)


def lead_promote(*, by: Person, network: Network, person: Person) -> Membership:
    _require_manager(by, network)
    with transaction.atomic():
        membership = _membership(network, person)
        if membership is None:
            raise NetworkActionRefused(
                f"{person.name} is not a member of {network.name}. Add them first."
            )
        if membership.is_lead:
            raise NetworkActionRefused(f"{person.name} already leads {network.name}.")
        if not person.is_active:
            raise NetworkActionRefused(f"{person.name} can no longer sign in.")
        membership.role = Membership.Role.LEAD
        membership.save(update_fields=["role"])
    _forget_memberships(person, by)
    return membership


def lead_demote(*, by: Person, network: Network, person: Person) -> Membership:
    _require_manager(by, network)
    with transaction.atomic():
        network = _locked(network)
        membership = _membership(network, person)
        if membership is None or not membership.is_lead:
            raise NetworkActionRefused(f"{person.name} is not a lead of {network.name}.")
        if _lead_count(network) == 1:
            raise NetworkActionRefused(
                f"{person.name} is the only lead of {network.name}. Make another member a "
                "lead first."
            )
        membership.role = Membership.Role.MEMBER
        membership.save(update_fields=["role"])
    _forget_memberships(person, by)
    return membership

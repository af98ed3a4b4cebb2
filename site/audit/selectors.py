"""Reading the audit log: the trust admin's page and CSV export filter through `entries`."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from audit.models import AuditEntry


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def entries(filters: AuditFilters | None = None) -> QuerySet[AuditEntry]:
    filters = filters or AuditFilters()
    found = AuditEntry.objects.select_related(
        "actor", "subject", "post", "thread", "thread__forum"
    ).order_by("-created_at", "-pk")
    if filters.action:
        found = found.filter(action=filters.action)
    if filters.actor_id:
        found = found.filter(actor_id=filters.actor_id)
    if filters.date_from:
        found = found.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        found = found.filter(created_at__date__lte=filters.date_to)
    return found


def actors() -> QuerySet:
    """Everyone who acted on something or someone, for the actor filter. Signing in is left
    out: with it, the list would be the whole trust's staff."""
    return (
        get_user_model()
        .objects.filter(
            pk__in=AuditEntry.objects.exclude(action=AuditEntry.Action.SIGN_IN)
            .exclude(actor_id=None)
            .values("actor_id")
        )
        .order_by("last_name", "first_name", "pk")
    )


def count_recent(*, action: str, within: timedelta, **match) -> int:
    """How many entries of one action match, in the last `within`: the shared record that
    rate limits count against, the same in every server process."""
    since = timezone.now() - within
    return AuditEntry.objects.filter(action=action, created_at__gte=since, **match).count()

"""Writing to the audit log: one function, `record`, that every app calls."""

import logging
from dataclasses import dataclass, field

from django.http import HttpRequest

from audit.context import client_address, current_actor, current_request
from audit.models import AuditEntry

logger = logging.getLogger("audit")

REASON_MAX_LENGTH = 2000


def record(
    *,
    action: str,
    actor=None,
    subject=None,
    subject_id: int | None = None,
    post=None,
    thread=None,
    report=None,
    request: HttpRequest | None = None,
    reason: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    """Add an entry. With no actor given, the person signed in to the current request acts.
    Call it inside the transaction of the change it records, so neither is kept alone."""
    request = request if request is not None else current_request()
    if actor is None:
        actor = current_actor()
    entry = AuditEntry.objects.create(
        action=action,
        actor_id=getattr(actor, "pk", None),
        subject_id=subject.pk if subject is not None else subject_id,
        post_id=getattr(post, "pk", None),
        # Ids only: the thread of a post may be being deleted in the same cascade.
        thread_id=thread.pk if thread is not None else getattr(post, "thread_id", None),
        report_id=getattr(report, "pk", None),
        address=client_address(request),
        reason=(reason or "")[:REASON_MAX_LENGTH],
        detail=dict(detail or {}),
    )
    logger.info(
        "audit %s actor=%s subject=%s address=%s",
        action,
        entry.actor_id or "-",
        entry.subject_id or "-",
        entry.address or "-",
    )
    return entry


@dataclass(frozen=True)
class Change:
    """One entry for `record_many`: the action and whom it was done to."""

    action: str
    subject_id: int | None = None
    detail: dict = field(default_factory=dict)


def record_many(
    *, changes: list[Change], actor=None, request: HttpRequest | None = None
) -> list[AuditEntry]:
    """Entries for many changes made at once (300 people added to a role), written with one
    INSERT per thousand rather than one each. Actor, address and time are shared, and each
    entry is the same as `record` would have written."""
    if not changes:
        return []
    request = request if request is not None else current_request()
    if actor is None:
        actor = current_actor()
    actor_id = getattr(actor, "pk", None)
    address = client_address(request)
    entries = AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                action=change.action,
                actor_id=actor_id,
                subject_id=change.subject_id,
                address=address,
                detail=dict(change.detail),
            )
            for change in changes
        ],
        batch_size=1000,
    )
    for entry in entries:
        logger.info(
            "audit %s actor=%s subject=%s address=%s",
            entry.action,
            entry.actor_id or "-",
            entry.subject_id or "-",
            entry.address or "-",
        )
    return entries


def record_role_changes(*, changes: list[tuple[int, str, str]], actor=None) -> int:
    """Entries for many role changes at once (a staff import): (person id, action, role name)
    each, done by `actor` or the person signed in to the current request."""
    if actor is None:
        actor = current_actor()
    address = client_address(current_request())
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                action=action,
                actor_id=getattr(actor, "pk", None),
                subject_id=person_id,
                address=address,
                detail={"role": role, "by": "staff import"},
            )
            for person_id, action, role in changes
        ],
        batch_size=1000,
    )
    logger.info("audit %s role changes by staff import", len(changes))
    return len(changes)

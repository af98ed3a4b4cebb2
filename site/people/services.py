import ipaddress
from collections.abc import Iterable

from django.db import transaction

from audit.models import AuditEntry
from audit.services import record as audit_record
from networks.models import Subject
from people.models import Person, School, SignInEvent

PROFILE_FIELDS = ["display_name", "job_title", "school", "phases", "about"]


def profile_update(
    *,
    person: Person,
    display_name: str,
    job_title: str,
    school: School | None,
    subjects_taught: Iterable[Subject],
    phases: list[str],
    about: str,
) -> Person:
    """Save a member of staff's own profile: all of it or, if anything fails, none of it."""
    person.display_name = display_name
    person.job_title = job_title
    person.school = school
    person.phases = phases
    person.about = about
    person.full_clean(
        exclude=["password", "email"], validate_unique=False, validate_constraints=False
    )
    with transaction.atomic():
        person.save(update_fields=PROFILE_FIELDS)
        person.subjects_taught.set(subjects_taught)
    return person


def sign_in_event_record(
    *,
    outcome: str,
    request=None,
    reason: str = "",
    provider: str = "",
    email: str = "",
    person: Person | None = None,
    detail: str = "",
) -> SignInEvent:
    """Note a sign-in or a refusal in the audit trail. Its own write, outside any transaction
    a refusal is about to roll back."""
    address = request.META.get("REMOTE_ADDR") if request is not None else None
    try:
        ipaddress.ip_address(address or "")
    except ValueError:
        address = None
    event = SignInEvent.objects.create(
        outcome=outcome,
        reason=reason[:40],
        provider=provider[:40],
        email=email[:254],
        person=person,
        address=address,
        detail=detail[:500],
    )
    if outcome == SignInEvent.Outcome.REFUSED:
        # Successful sign-ins reach the audit log through user_logged_in (people.signals);
        # refusals never log anyone in. The typed email stays on the event only.
        audit_record(
            action=AuditEntry.Action.SIGN_IN_REFUSED,
            subject=person,
            request=request,
            detail={"reason": reason[:40], "provider": provider[:40]},
        )
    return event

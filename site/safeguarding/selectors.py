"""Who the safeguarding leads are and what each may read. Views and services ask here."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from safeguarding.models import Concern, PreservedPost, SafeguardingLead


@dataclass(frozen=True)
class LeadOf:
    """The schools a person leads safeguarding for; `trust` means every school."""

    trust: bool
    school_ids: frozenset[int]

    @property
    def any(self) -> bool:
        return self.trust or bool(self.school_ids)

    def covers(self, school_id: int | None) -> bool:
        return self.trust or (school_id is not None and school_id in self.school_ids)


NOBODY = LeadOf(trust=False, school_ids=frozenset())


def lead_of(person) -> LeadOf:
    """Read once per person object."""
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return NOBODY
    cached = getattr(person, "_safeguarding_lead_of", None)
    if cached is None:
        rows = list(SafeguardingLead.objects.filter(person=person).values_list("role", "school_id"))
        cached = LeadOf(
            trust=any(role == SafeguardingLead.Role.TRUST for role, _ in rows),
            school_ids=frozenset(school_id for _, school_id in rows if school_id),
        )
        person._safeguarding_lead_of = cached
    return cached


def is_safeguarding_lead(person) -> bool:
    return lead_of(person).any


def recipients_for(school_id: int) -> list:
    """Who a concern about this school goes to: its leads and deputies, and the trust's
    leads (who alone hear when the school has named nobody). Active accounts only."""
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(safeguarding_roles__school_id=school_id)
            | Q(safeguarding_roles__role=SafeguardingLead.Role.TRUST)
        )
        .distinct()
        .order_by("pk")
    )


def schools_without_leads(school_ids: set[int]) -> set[int]:
    """Of these schools, those whose concerns nobody active can read (no lead of the school
    and no trust lead): their reporters are told to speak to someone in person."""
    active = SafeguardingLead.objects.filter(person__is_active=True)
    if not school_ids or active.filter(role=SafeguardingLead.Role.TRUST).exists():
        return set()
    led = set(active.filter(school_id__in=school_ids).values_list("school_id", flat=True))
    return set(school_ids) - led


def concerns_for_lead(person) -> QuerySet[Concern]:
    lead = lead_of(person)
    concerns = Concern.objects.select_related("school", "reporter")
    if lead.trust:
        return concerns
    return concerns.filter(school_id__in=lead.school_ids)


def concern_for_lead(person, pk: int) -> Concern | None:
    if not is_safeguarding_lead(person):
        return None
    return (
        concerns_for_lead(person)
        .select_related("post__thread", "acknowledged_by", "closed_by")
        .filter(pk=pk)
        .first()
    )


def concerns_raised_by(person) -> QuerySet[Concern]:
    return Concern.objects.filter(reporter_id=person.pk).select_related("school")


def concern_notes(concern: Concern):
    return concern.notes.select_related("author").order_by("created_at", "pk")


def active_preservation(post_id: int) -> PreservedPost | None:
    return PreservedPost.objects.filter(post_id=post_id, restored_at__isnull=True).first()


def preservations_for_lead(person) -> QuerySet[PreservedPost]:
    """Trust leads read every preserved post; a school's leads those by its staff or named
    in a concern about their school."""
    lead = lead_of(person)
    preserved = PreservedPost.objects.select_related("post__thread", "post__author", "hidden_by")
    if lead.trust:
        return preserved
    if not lead.school_ids:
        return preserved.none()
    return preserved.filter(
        Q(post__author__school_id__in=lead.school_ids)
        | Q(post__safeguarding_concerns__school_id__in=lead.school_ids)
    ).distinct()


def preservation_for_lead(person, pk: int) -> PreservedPost | None:
    if not is_safeguarding_lead(person):
        return None
    return preservations_for_lead(person).filter(pk=pk).first()


def can_read_preservation(person, preserved: PreservedPost) -> bool:
    return preservations_for_lead(person).filter(pk=preserved.pk).exists()


def preservations_of_concern(concern: Concern) -> list[PreservedPost]:
    if concern.post_id is None:
        return []
    return list(PreservedPost.objects.filter(post_id=concern.post_id).order_by("-hidden_at"))

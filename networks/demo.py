"""The demo trust's subject networks and who belongs to them. Idempotent."""

import random

from django.db import transaction

from networks.curriculum import Phase
from networks.models import Membership, Network, Subject
from people.models import Person
from people.roles import Role

SEED = 2026
ALL_PHASES = [Phase.EYFS, Phase.PRIMARY, Phase.SECONDARY, Phase.POST_16]

# name, subject (None for networks without one), phases, private?, description
NETWORKS: list[tuple[str, str | None, list[str], bool, str]] = [
    ("Maths", "Mathematics", ALL_PHASES, False,
     "Number sense in Reception to A level further maths: one mastery curriculum."),
    ("English", "English", ALL_PHASES, False,
     "Reading, writing and oracy, from phonics to A level literature."),
    ("Science", "Science", [Phase.PRIMARY, Phase.SECONDARY, Phase.POST_16], False,
     "Working scientifically across biology, chemistry and physics."),
    ("History", "History", [Phase.PRIMARY, Phase.SECONDARY, Phase.POST_16], False,
     "Chronology, sources and big questions, Key Stage 1 to A level."),
    ("Geography", "Geography", [Phase.PRIMARY, Phase.SECONDARY, Phase.POST_16], False,
     "Place, space and environment, with fieldwork in the Weald."),
    ("Computing", "Computing", [Phase.PRIMARY, Phase.SECONDARY, Phase.POST_16], False,
     "Programming, networks and digital literacy."),
    ("Art", "Art and design", [Phase.EYFS, Phase.PRIMARY, Phase.SECONDARY], False,
     "Drawing, making and art history, with sketchbooks that travel between schools."),
    ("Music", "Music", [Phase.EYFS, Phase.PRIMARY, Phase.SECONDARY], False,
     "Singing, instruments and composition; the trust choir lives here."),
    ("PE and wellbeing", "Physical education", [Phase.PRIMARY, Phase.SECONDARY], False,
     "Physical education, school sport and pupil wellbeing."),
    ("MFL", "Languages", [Phase.PRIMARY, Phase.SECONDARY, Phase.POST_16], False,
     "French and Spanish from Year 3 to A level."),
    ("RE", "Religious education", [Phase.PRIMARY, Phase.SECONDARY], False,
     "Religious education following the Kent agreed syllabus."),
    ("SEND and inclusion", None, ALL_PHASES, True,
     "SENCOs and inclusion leads: adaptive teaching, plans and casework. Members only."),
    ("Early Years", None, [Phase.EYFS], False,
     "Nursery and Reception: continuous provision, phonics and communication."),
    ("Climate and sustainability", None, ALL_PHASES, False,
     "This year's shared focus: resources from every subject for a greener trust."),
]  # fmt: skip


def seed_demo_networks() -> dict[str, int]:
    rng = random.Random(SEED)
    with transaction.atomic():
        created = 0
        networks: dict[str, Network] = {}
        for name, subject_name, phases, private, description in NETWORKS:
            subject = Subject.objects.filter(name=subject_name).first() if subject_name else None
            network, was_created = Network.objects.get_or_create(
                name=name,
                defaults={
                    "subject": subject,
                    "phases": [str(phase) for phase in phases],
                    "visibility": Network.Visibility.PRIVATE
                    if private
                    else Network.Visibility.OPEN,
                    "description": description,
                },
            )
            created += was_created
            networks[name] = network
        memberships = _seed_memberships(networks, rng)
    return {"networks_created": created, "memberships_created": memberships}


def _seed_memberships(networks: dict[str, Network], rng: random.Random) -> int:
    by_subject = {n.subject_id: n for n in networks.values() if n.subject_id}
    existing = set(Membership.objects.values_list("network_id", "person_id"))
    wanted: dict[tuple[int, int], str] = {}
    people = Person.objects.filter(is_active=True).prefetch_related("subjects_taught", "groups")
    for person in people:
        roles = {group.name for group in person.groups.all()}
        leads = Role.NETWORK_LEAD.value in roles
        for subject in person.subjects_taught.all():
            network = by_subject.get(subject.pk)
            if network:
                role = Membership.Role.LEAD if leads else Membership.Role.MEMBER
                wanted.setdefault((network.pk, person.pk), role)
        if "eyfs" in person.phases:
            wanted.setdefault((networks["Early Years"].pk, person.pk), Membership.Role.MEMBER)
        if rng.random() < 0.25:
            wanted.setdefault(
                (networks["Climate and sustainability"].pk, person.pk), Membership.Role.MEMBER
            )
        if Role.CENTRAL_TEAM.value in roles:
            # The central team leads the networks no subject lead looks after.
            for name in ("SEND and inclusion", "Early Years", "Climate and sustainability"):
                wanted[(networks[name].pk, person.pk)] = Membership.Role.LEAD
        elif "teacher" in person.job_title.lower() and rng.random() < 0.06:
            wanted[(networks["SEND and inclusion"].pk, person.pk)] = Membership.Role.MEMBER
    new = [
        Membership(network_id=network_id, person_id=person_id, role=role)
        for (network_id, person_id), role in sorted(wanted.items())
        if (network_id, person_id) not in existing
    ]
    Membership.objects.bulk_create(new)
    _make_sure_every_network_has_a_lead(networks)
    return len(new)


def _make_sure_every_network_has_a_lead(networks: dict[str, Network]) -> None:
    for network in networks.values():
        if network.memberships.filter(role=Membership.Role.LEAD).exists():
            continue
        first = network.memberships.order_by("person__last_name", "person_id").first()
        if first:
            first.role = Membership.Role.LEAD
            first.save(update_fields=["role"])

"""A generated multi-academy trust at any size, for benchmarks: schools, staff with roles,
networks and memberships, resources with extracted text, forums, threads and posts, follows,
reactions and notifications, then the database search index.

    seed_trust(size="full", seed=1) -> Summary      # 50 schools ... 1,000,000 posts
    seed_trust(size="small")                         # a tenth of that, for `make bench`
    seed_trust(scale=0.3)                            # any fraction of the full trust

Rows go in with bulk_create in batches, with their ids chosen here (one past the table's
highest), so the same seed into the same starting database gives the same rows, ids included,
and nothing has to be read back. No signals fire (bulk_create sends none), so nothing is
indexed or announced per row; the search index is rebuilt once at the end with the backend's
own rebuild. Every timestamp counts back from a fixed moment, never from now. On SQLite the
load runs with the journal and syncing off, restored afterwards.

Django must be set up and the schema migrated before calling `seed_trust`.
"""

import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate

FULL = {
    "schools": 50,
    "staff": 10_000,
    "networks": 200,
    "resources": 100_000,
    "threads": 50_000,
    "posts": 1_000_000,
}
# The smallest trust the shape still makes sense for: tests run at about this size.
MINIMUM = {"schools": 2, "staff": 50, "networks": 6, "resources": 60, "threads": 30, "posts": 300}
SIZES = {"tiny": 0.0, "small": 0.1, "full": 1.0}
BATCH = 5_000
# Every timestamp counts back from here, so two runs give identical rows.
MOMENT = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
DOMAIN = "seed.example"

SUBJECTS = [
    "Mathematics", "English", "Science", "History", "Geography", "Computing", "Art and design",
    "Music", "Physical education", "Languages", "Religious education", "Design and technology",
]  # fmt: skip
# Networks without a subject: cross-curricular groups every trust has.
THEMES = ["SEND and inclusion", "Early years", "Wellbeing", "Oracy", "Reading for pleasure",
          "Climate and sustainability", "Careers", "Safeguarding"]  # fmt: skip
TOPICS = {
    "Mathematics": ["fractions", "decimals", "percentages", "algebra", "equations", "ratio",
                    "geometry", "angles", "probability", "statistics", "multiplication",
                    "place value"],
    "English": ["phonics", "poetry", "grammar", "punctuation", "persuasive writing",
                "shakespeare", "comprehension", "spelling", "narrative", "macbeth", "sonnets"],
    "Science": ["photosynthesis", "electricity", "forces", "magnets", "cells", "respiration",
                "evolution", "chemical reactions", "atoms", "habitats", "states of matter"],
    "History": ["romans", "tudors", "victorians", "world war", "normans", "ancient egypt",
                "industrial revolution", "civil rights", "cold war", "vikings"],
    "Geography": ["rivers", "volcanoes", "earthquakes", "climate", "weather", "maps", "coasts",
                  "population", "rainforests", "settlements"],
    "Computing": ["algorithms", "programming", "networks", "binary", "spreadsheets", "e-safety"],
    "Art and design": ["drawing", "printmaking", "sculpture", "colour", "portraits", "textiles"],
    "Music": ["rhythm", "composition", "singing", "notation", "ensemble", "pitch"],
    "Physical education": ["gymnastics", "athletics", "invasion games", "swimming", "dance"],
    "Languages": ["french", "spanish", "vocabulary", "conjugation", "listening", "translation"],
    "Religious education": ["christianity", "islam", "judaism", "hinduism", "pilgrimage"],
    "Design and technology": ["mechanisms", "structures", "cooking", "nutrition", "textiles"],
}  # fmt: skip
THEME_TOPICS = ["adaptive teaching", "vocabulary", "retrieval practice", "oracy", "feedback",
                "behaviour", "transition", "attendance", "reading", "wellbeing"]  # fmt: skip
COMMON = (
    "pupils lesson learning questions practice activity teacher class worksheet example "
    "discussion task group work answers support challenge objective review starter plenary "
    "vocabulary misconceptions modelling scaffold retrieval assessment feedback sequence"
).split()
FILLER = (
    "the and to of a in for with on by each their this that from at as is are be will can "
    "use using read write show explain compare describe find make check complete"
).split()
RARE = ["quokka", "zeugma", "isthmus", "tessellation", "onomatopoeia", "palimpsest",
        "chiaroscuro", "sfumato", "photoperiod", "xylem"]  # fmt: skip
FIRST_NAMES = ["Priya", "Tom", "Aisha", "James", "Chloe", "Mohammed", "Emily", "Daniel",
               "Grace", "Oliver", "Amelia", "Harry", "Sophie", "Kwame", "Hannah", "Liam",
               "Zara", "Jack", "Fatima", "George", "Ellie", "Samuel", "Megan", "Ravi"]  # fmt: skip
LAST_NAMES = ["Patel", "Okafor", "Smith", "Jones", "Khan", "Williams", "Brown", "Taylor",
              "Davies", "Evans", "Wilson", "Thomas", "Roberts", "Hughes", "Ahmed", "Walker",
              "Wright", "Green", "Hall", "Clarke", "Singh", "Begum", "Murphy", "Kaur"]  # fmt: skip
TOWNS = ["Ashford", "Canterbury", "Dover", "Folkestone", "Maidstone", "Margate", "Ramsgate",
         "Sevenoaks", "Tonbridge", "Whitstable", "Deal", "Faversham", "Hythe"]  # fmt: skip
OPENERS = [
    "Has anyone got a good way into {topic} for {year}?",
    "Sharing what worked for {topic} this week.",
    "Question about assessing {topic}.",
    "Retrieval starters for {topic}",
    "Misconceptions in {topic}: what do your pupils say?",
    "Planning {topic} across the key stage",
]
REPLIES = [
    "We tried this with {year} and the {common} made a real difference.",
    "Thanks, this is really helpful. I will adapt it for my class.",
    "Our department uses a {common} first, then a short {common2} on {topic}.",
    "Agree with the above: keep the {common} short and come back to it next lesson.",
    "I have uploaded our {topic} {common} to the network if anyone wants it.",
    "Worth looking at how the primary schools introduce {topic}; it helps transition.",
    "We found pupils confuse {topic} with the previous unit, so we added a {common}.",
    "Could you share the {common2}? Happy to swap for our {topic} sequence.",
]


@dataclass
class Step:
    name: str
    rows: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "step": self.name,
            "rows": self.rows,
            "seconds": round(self.seconds, 2),
            "rows_per_second": round(self.rows / self.seconds) if self.seconds else None,
        }


@dataclass
class Summary:
    size: dict[str, int]
    seed: int
    database: str
    steps: list[Step] = field(default_factory=list)
    # A member of staff pages can be rendered for (an ordinary teacher in several networks).
    sample_person_id: int | None = None
    busiest_thread_id: int | None = None

    def as_dict(self) -> dict:
        total = sum(step.seconds for step in self.steps)
        rows = sum(step.rows for step in self.steps)
        return {
            "size": self.size,
            "seed": self.seed,
            "database": self.database,
            "steps": [step.as_dict() for step in self.steps],
            "total": {
                "rows": rows,
                "seconds": round(total, 2),
                "rows_per_second": round(rows / total) if total else None,
            },
            "sample_person_id": self.sample_person_id,
            "busiest_thread_id": self.busiest_thread_id,
        }


def size_for(size: str | None = None, scale: float | None = None) -> dict[str, int]:
    """The row counts for a named size or a fraction of the full trust (never below MINIMUM)."""
    if scale is None:
        if size not in SIZES:
            raise ValueError(f"Size must be one of {', '.join(SIZES)}, not {size!r}.")
        scale = SIZES[size]
    if not 0 <= scale <= 1:
        raise ValueError(f"Scale must be between 0 and 1, not {scale}.")
    return {key: max(MINIMUM[key], round(full * scale)) for key, full in FULL.items()}


def seed_trust(
    size: str | None = "small",
    seed: int = 1,
    *,
    scale: float | None = None,
    counts: dict[str, int] | None = None,
    progress: Callable[[Step], None] | None = None,
) -> Summary:
    """Generate the trust into the default database; the rows and seconds of each step."""
    from django.db import connection

    wanted = dict(counts) if counts else size_for(size, scale)
    summary = Summary(size=wanted, seed=seed, database=_database_name(connection))
    loader = _Loader(wanted, seed)
    with _bulk_loading(connection):
        for name, run in loader.steps():
            started = time.perf_counter()
            rows = run()
            step = Step(name, rows, time.perf_counter() - started)
            summary.steps.append(step)
            if progress is not None:
                progress(step)
    summary.sample_person_id = loader.sample_person_id
    summary.busiest_thread_id = loader.busiest_thread_id
    return summary


def _database_name(connection) -> str:
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    if connection.vendor == "postgresql":
        version = connection.pg_version
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    return connection.vendor


@contextmanager
def _bulk_loading(connection) -> Iterator[None]:
    """SQLite: no rollback journal and no syncing while loading (a load that fails is thrown
    away, not repaired), restored afterwards. Inside a transaction (tests) SQLite may not
    change its journal, so it is left alone. Then fresh planner statistics, on either
    database, so the first pages read after the load are planned for its size."""
    saved: dict[str, object] = {}
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            for pragma in ("journal_mode", "synchronous"):
                cursor.execute(f"PRAGMA {pragma}")
                saved[pragma] = cursor.fetchone()[0]
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for pragma, value in saved.items():
                cursor.execute(f"PRAGMA {pragma}={value}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _zipf_weights(n: int, exponent: float = 1.1) -> list[float]:
    return list(accumulate(1 / (rank + 1) ** exponent for rank in range(n)))


def _batches(items: Iterable, size: int = BATCH) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def _insert(model, rows: Iterable) -> int:
    done = 0
    for batch in _batches(rows):
        model.objects.bulk_create(batch, batch_size=BATCH)
        done += len(batch)
    return done


class _Loader:
    def __init__(self, counts: dict[str, int], seed: int) -> None:
        self.n = counts
        self.seed = seed
        self.rng = random.Random(seed)
        self.sample_person_id: int | None = None
        self.busiest_thread_id: int | None = None

    def steps(self) -> list[tuple[str, Callable[[], int]]]:
        return [
            ("schools", self.schools),
            ("staff", self.staff),
            ("roles", self.roles),
            ("networks", self.networks),
            ("memberships", self.memberships),
            ("resources", self.resources),
            ("files", self.files),
            ("forums", self.forums),
            ("threads", self.threads),
            ("posts", self.posts),
            ("follows", self.follows),
            ("reactions", self.reactions),
            ("notifications", self.notifications),
            ("sequences", self.sequences),
            ("search_index", self.search_index),
        ]

    def _ago(self, days: float) -> datetime:
        return MOMENT - timedelta(days=days)

    # Schools and staff.

    def schools(self) -> int:
        from people.models import School

        count = self.n["schools"]
        first = _next_id(School)
        self.school_ids = list(range(first, first + count))
        # About 7 primaries to 2 secondaries, and a few all-through and special schools.
        shapes = [("primary", 4, 11, "Primary School")] * 7 + [
            ("secondary", 11, 18, "Academy"),
            ("secondary", 11, 16, "High School"),
        ]
        self.school_phase: dict[int, str] = {}
        rows = []
        for offset, pk in enumerate(self.school_ids):
            if offset % 25 == 12:
                phase, low, high, kind = "all_through", 4, 18, "All-through Academy"
            elif offset % 25 == 24:
                phase, low, high, kind = "special", 3, 19, "Special School"
            else:
                phase, low, high, kind = shapes[self.rng.randrange(len(shapes))]
            town = TOWNS[offset % len(TOWNS)]
            self.school_phase[pk] = phase
            rows.append(
                School(
                    pk=pk,
                    name=f"{town} {kind} {offset + 1}",
                    slug=f"seed-{pk}-{town.lower()}",
                    urn=f"{800000 + pk:06d}",
                    phase=phase,
                    lowest_age=low,
                    highest_age=high,
                    local_authority="Kent",
                    headteacher=f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}",
                )
            )
        return _insert(School, rows)

    def staff(self) -> int:
        from people.models import Person

        count = self.n["staff"]
        first = _next_id(Person)
        self.person_ids = list(range(first, first + count))
        # Schools differ in size: a skewed share of staff each, secondaries larger.
        school_weights = list(
            accumulate(
                (2.5 if self.school_phase[pk] != "primary" else 1.0) for pk in self.school_ids
            )
        )
        self.person_school: dict[int, int | None] = {}
        rows = []
        for offset, pk in enumerate(self.person_ids):
            central = offset < max(2, count // 500)
            school = (
                None
                if central
                else self.rng.choices(self.school_ids, cum_weights=school_weights)[0]
            )
            self.person_school[pk] = school
            first_name, last_name = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            phase = self.school_phase.get(school, "primary")
            phases = ["primary"] if phase == "primary" else ["secondary", "post16"]
            rows.append(
                Person(
                    pk=pk,
                    email=f"{first_name.lower()}.{last_name.lower()}.{pk}@{DOMAIN}",
                    first_name=first_name,
                    last_name=last_name,
                    job_title="Trust central team"
                    if central
                    else self.rng.choice(
                        [
                            "Class teacher",
                            "Teacher",
                            "Teaching assistant",
                            "Head of department",
                            "Subject lead",
                            "SENCO",
                            "Early careers teacher",
                        ]
                    ),
                    school_id=school,
                    phases=phases,
                    password="!",  # unusable: generated staff sign in only through sessions
                    date_joined=self._ago(self.rng.uniform(30, 900)),
                )
            )
        return _insert(Person, rows)

    def roles(self) -> int:
        from django.contrib.auth.models import Group

        from people.models import Person
        from people.roles import Role

        groups = {role: Group.objects.get_or_create(name=role.value)[0].pk for role in Role}
        count = len(self.person_ids)
        admins = max(1, min(5, count // 2000))
        central = max(1, count // 500)
        # The first few people run the trust; leads (~5%) and moderators (~1%) among the rest.
        self.central_ids = self.person_ids[:central]
        self.lead_ids = set(self.person_ids[central : central + max(1, count // 20)])
        moderators = self.person_ids[central + len(self.lead_ids) :][::100] or [self.person_ids[-1]]
        through = Person.groups.through
        rows = [through(person_id=pk, group_id=groups[Role.STAFF]) for pk in self.person_ids]
        rows += [
            through(person_id=pk, group_id=groups[Role.TRUST_ADMIN])
            for pk in self.central_ids[:admins]
        ]
        rows += [
            through(person_id=pk, group_id=groups[Role.CENTRAL_TEAM])
            for pk in self.central_ids[admins:]
        ]
        rows += [
            through(person_id=pk, group_id=groups[Role.NETWORK_LEAD])
            for pk in sorted(self.lead_ids)
        ]
        rows += [through(person_id=pk, group_id=groups[Role.MODERATOR]) for pk in moderators]
        first = _next_id(through)
        for offset, row in enumerate(rows):
            row.pk = first + offset
        return _insert(through, rows)

    # Networks.

    def networks(self) -> int:
        from networks.models import Network, Subject

        subjects = {s.name: s.pk for s in Subject.objects.filter(name__in=SUBJECTS)}
        for name in SUBJECTS:
            if name not in subjects:
                subjects[name] = Subject.objects.create(name=name).pk
        count = self.n["networks"]
        first = _next_id(Network)
        self.network_ids = list(range(first, first + count))
        self.network_subject: dict[int, int | None] = {}
        self.network_topics: dict[int, list[str]] = {}
        self.network_private: dict[int, bool] = {}
        self.network_phases: dict[int, list[str]] = {}
        rows = []
        for offset, pk in enumerate(self.network_ids):
            if offset % 5 == 4:
                theme = THEMES[(offset // 5) % len(THEMES)]
                subject, topics, label = None, THEME_TOPICS, theme
            else:
                label = SUBJECTS[offset % len(SUBJECTS)]
                subject, topics = subjects[label], TOPICS[label]
            phase_pick = self.rng.randrange(4)
            phases = [["primary"], ["secondary", "post16"], ["primary", "secondary"],
                      ["eyfs", "primary", "secondary", "post16"]][phase_pick]  # fmt: skip
            # One in ten private (one at least, in the smallest trust).
            private = offset % 10 == min(9, count - 1)
            self.network_subject[pk] = subject
            self.network_topics[pk] = topics
            self.network_private[pk] = private
            self.network_phases[pk] = phases
            rows.append(
                Network(
                    pk=pk,
                    name=f"{label} network {offset + 1}",
                    slug=f"seed-network-{pk}",
                    subject_id=subject,
                    description=f"Staff from every school sharing {label.lower()} "
                    f"for {', '.join(phases)}.",
                    phases=phases,
                    visibility=Network.Visibility.PRIVATE if private else Network.Visibility.OPEN,
                    created_at=self._ago(1000 - offset),
                )
            )
        # Popularity is skewed: a few networks hold most members, resources and threads.
        self.popular = list(self.network_ids)
        self.rng.shuffle(self.popular)
        self.popularity = _zipf_weights(len(self.popular))
        return _insert(Network, rows)

    def _popular_network(self) -> int:
        return self.rng.choices(self.popular, cum_weights=self.popularity)[0]

    def memberships(self) -> int:
        from networks.models import Membership

        self.members: dict[int, list[int]] = {pk: [] for pk in self.network_ids}
        self.person_networks: dict[int, list[int]] = {}
        rows = []
        pk = _next_id(Membership)
        for person in self.person_ids:
            chosen: set[int] = set()
            target = min(self.rng.randint(2, 8), len(self.network_ids))
            while len(chosen) < target:
                chosen.add(self._popular_network())
            self.person_networks[person] = sorted(chosen)
            for network in sorted(chosen):
                self.members[network].append(person)
                rows.append((network, person))
        # Each network has a lead, from the network leads where possible.
        leads = sorted(self.lead_ids)
        lead_of: dict[int, int] = {}
        for offset, network in enumerate(self.network_ids):
            lead = leads[offset % len(leads)]
            if lead not in self.members[network]:
                self.members[network].append(lead)
                self.person_networks[lead].append(network)
                rows.append((network, lead))
            lead_of[network] = lead
        self.sample_person_id = next(
            p for p in self.person_ids[len(self.central_ids) :] if p not in self.lead_ids
        )
        made = [
            Membership(
                pk=pk + offset,
                network_id=network,
                person_id=person,
                role=Membership.Role.LEAD if lead_of[network] == person else Membership.Role.MEMBER,
                joined_at=self._ago(self.rng.uniform(1, 700)),
            )
            for offset, (network, person) in enumerate(rows)
        ]
        return _insert(Membership, made)

    # Resources with extracted text.

    def _text(self, topics: list[str], topic: str, words: int) -> str:
        rng = self.rng
        chosen = rng.choices(FILLER, k=words * 55 // 100)
        chosen += rng.choices(COMMON, k=words * 30 // 100)
        chosen += topic.split() * 6 + rng.choices(topics, k=words * 10 // 100)
        if rng.random() < 0.01:
            chosen.append(rng.choice(RARE))
        rng.shuffle(chosen)
        return " ".join(chosen)

    def resources(self) -> int:
        from networks.curriculum import YearGroup, year_bits
        from resources.models import Resource

        years_by_phase = {
            "eyfs": ["nursery", "reception"],
            "primary": ["y1", "y2", "y3", "y4", "y5", "y6"],
            "secondary": ["y7", "y8", "y9", "y10", "y11"],
            "post16": ["y12", "y13"],
        }
        types = Resource.Type.values
        count = self.n["resources"]
        first = _next_id(Resource)
        self.resource_ids = list(range(first, first + count))
        self.resource_topic: dict[int, tuple[list[str], str]] = {}
        self.resource_author: dict[int, int] = {}
        self.resource_published: dict[int, datetime] = {}
        rows = []
        # The last resource shared in each network: some later ones adapt it.
        latest_in: dict[int, int] = {}
        for offset, pk in enumerate(self.resource_ids):
            rng = self.rng
            network = self._popular_network()
            topics = self.network_topics[network]
            topic = rng.choice(topics)
            phase = rng.choice(self.network_phases[network])
            span = years_by_phase[phase]
            start = rng.randrange(len(span))
            years = span[start : start + rng.choice((1, 1, 1, 2, 3))]
            years = [y for y in YearGroup.values if y in years]
            kind = rng.choice(types)
            authors = self.members[network]
            author = authors[rng.randrange(len(authors))]
            # 3% drafts and 2% archived: browse and search must leave them out.
            roll = rng.random()
            status = "draft" if roll < 0.03 else "archived" if roll < 0.05 else "published"
            created = self._ago(offset * 700 / count + rng.random())
            label = kind.replace("_", " ")
            self.resource_topic[pk] = (topics, topic)
            self.resource_author[pk] = author
            self.resource_published[pk] = created
            title = f"{topic.capitalize()}: {label} for {YearGroup(years[0]).label}"
            # 4% adapt the network's last published resource. With none, the database's
            # statistics said a source has every row as adaptations, and its plans followed.
            adapts = latest_in.get(network) if rng.random() < 0.04 else None
            if status == "published":
                latest_in[network] = pk
            rows.append(
                Resource(
                    pk=pk,
                    title=title,
                    slug=f"{topic.replace(' ', '-')}-{label.replace(' ', '-')}-{pk}",
                    summary=f"A {label} on {topic} with {rng.choice(COMMON)} and "
                    f"{rng.choice(COMMON)} for {YearGroup(years[0]).label}.",
                    network_id=network,
                    subject_id=self.network_subject[network],
                    year_groups=years,
                    year_bits=year_bits(years),
                    resource_type=kind,
                    link_url="https://www.example.org/lesson" if kind == "link" else "",
                    scope="network" if rng.random() < 0.1 else "trust",
                    author_id=author,
                    school_id=self.person_school[author],
                    status=status,
                    adapted_from_id=adapts,
                    endorsed_at=created + timedelta(days=2) if rng.random() < 0.05 else None,
                    download_count=int(rng.paretovariate(1.2)) - 1,
                    created_at=created,
                    published_at=None if status == "draft" else created,
                )
            )
        done = _insert(Resource, rows)
        # auto_now stamped the load's own time: count from the fixed moment instead.
        Resource.objects.filter(pk__gte=first).update(updated_at=MOMENT)
        return done

    def files(self) -> int:
        """Most resources have a file whose extracted text search finds (rows only: the files
        themselves are not written)."""
        from django.db.models import F

        from resources.models import FileVersion, ResourceFile

        file_pk = _next_id(ResourceFile)
        version_pk = _next_id(FileVersion)
        files: list = []
        versions: list = []
        for pk in self.resource_ids:
            if self.rng.random() < 0.15:
                continue  # a link or notes only
            topics, topic = self.resource_topic[pk]
            text = self._text(topics, topic, self.rng.randint(150, 400))
            digest = f"{self.seed:08x}{pk:056x}"
            name = f"{topic.replace(' ', '-')}-{pk}.pdf"
            files.append(
                ResourceFile(
                    pk=file_pk,
                    resource_id=pk,
                    title=topic.capitalize(),
                    current_id=version_pk,
                    created_at=self.resource_published[pk],
                )
            )
            versions.append(
                FileVersion(
                    pk=version_pk,
                    file_id=file_pk,
                    number=1,
                    blob=f"resources/{digest[:2]}/{digest}/{name}",
                    original_name=name,
                    size=len(text) * 3,
                    sha256=digest,
                    content_type="application/pdf",
                    uploaded_by_id=self.resource_author[pk],
                    uploaded_at=self.resource_published[pk],
                    extracted_text=text,
                    extraction=FileVersion.Extraction.DONE,
                )
            )
            file_pk += 1
            version_pk += 1
        # Files and versions point at each other: files first with no current version,
        # then each file's current version set in one statement (ids run in step).
        for f in files:
            f.current_id = None
        done = _insert(ResourceFile, files)
        done += _insert(FileVersion, versions)
        if files:
            ResourceFile.objects.filter(pk__gte=files[0].pk).update(
                current_id=F("id") + (versions[0].pk - files[0].pk)
            )
        return done

    # Forums.

    def forums(self) -> int:
        """A forum per network, beside the trust-wide forums the migrations make (made here
        only if they are missing)."""
        from forums.models import Forum

        trust_wide = list(Forum.objects.filter(network__isnull=True).order_by("position", "pk"))
        first = _next_id(Forum)
        rows = []
        if not trust_wide:
            rows = [
                Forum(pk=first, name="Announcements", slug=f"seed-announcements-{first}",
                      central_team_starts_threads=True, position=0),
                Forum(pk=first + 1, name="Staff voice", slug=f"seed-staff-voice-{first + 1}",
                      allows_anonymous_posts=True, position=1),
                Forum(pk=first + 2, name="Staff room", slug=f"seed-staff-room-{first + 2}",
                      position=2),
            ]  # fmt: skip
            trust_wide = rows
            first += len(rows)
        # Staff start threads in the forums open to them; the central team's announcements
        # get a few threads of their own.
        self.announcements = [f.pk for f in trust_wide if f.central_team_starts_threads]
        self.trust_forums = [f.pk for f in trust_wide if not f.central_team_starts_threads]
        self.anonymous_forums = {f.pk for f in trust_wide if f.allows_anonymous_posts}
        self.forum_network: dict[int, int | None] = {f.pk: None for f in trust_wide}
        for offset, network in enumerate(self.network_ids):
            pk = first + offset
            self.forum_network[pk] = network
            rows.append(
                Forum(pk=pk, name=f"Forum of network {network}", slug=f"seed-forum-{network}",
                      network_id=network, position=10)
            )  # fmt: skip
        self.forum_of = {network: pk for pk, network in self.forum_network.items() if network}
        return _insert(Forum, rows)

    def _post_counts(self) -> list[int]:
        """Posts per thread: at least one each, a few very long threads (600 posts once there
        are enough posts), and the rest skewed."""
        threads, posts = self.n["threads"], max(self.n["posts"], self.n["threads"])
        counts = [1] * threads
        hot = min(threads, posts // 100_000 or (1 if posts >= 5_000 else 0))
        for index in range(hot):
            counts[index] = 600
        left = posts - sum(counts)
        # Pareto-skewed, clipped so that only the hot threads pass 500 posts (unclipped, one
        # thread took 5% of all posts).
        weights = list(
            accumulate(min(60.0, self.rng.paretovariate(1.3)) for _ in range(threads - hot))
        )
        for index in self.rng.choices(range(hot, threads), cum_weights=weights, k=max(0, left)):
            counts[index] += 1
        return counts

    def threads(self) -> int:
        from forums.models import Thread

        count = self.n["threads"]
        first = _next_id(Thread)
        self.post_counts = self._post_counts()
        self.thread_ids = list(range(first, first + count))
        self.thread_forum: dict[int, int] = {}
        self.thread_start: dict[int, datetime] = {}
        self.thread_topic: dict[int, tuple[str, str]] = {}
        self.thread_author: dict[int, int] = {}
        rows = []
        for offset, pk in enumerate(self.thread_ids):
            rng = self.rng
            if self.announcements and rng.random() < 0.005:
                forum = rng.choice(self.announcements)
                topic, members = rng.choice(THEME_TOPICS), self.central_ids
            elif rng.random() < 0.15:
                forum = rng.choice(self.trust_forums)
                topic, members = rng.choice(THEME_TOPICS), self.person_ids
            else:
                network = self._popular_network()
                forum = self.forum_of[network]
                topic, members = rng.choice(self.network_topics[network]), self.members[network]
            author = members[rng.randrange(len(members))]
            year = f"Year {rng.randint(1, 11)}"
            started = self._ago(rng.uniform(1, 600))
            self.thread_forum[pk] = forum
            self.thread_start[pk] = started
            self.thread_topic[pk] = (topic, year)
            self.thread_author[pk] = author
            rows.append(
                Thread(
                    pk=pk,
                    forum_id=forum,
                    title=rng.choice(OPENERS).format(topic=topic, year=year),
                    author_id=author,
                    created_at=started,
                    last_activity_at=started,
                    reply_count=self.post_counts[offset] - 1,
                    revision=self.post_counts[offset],
                    pinned=offset < 2,
                )
            )
        return _insert(Thread, rows)

    def _bodies(self) -> list[tuple[str, str]]:
        """A pool of post bodies rendered once by the forums' own renderer (rendering a
        million posts one by one would take longer than the rest of the load)."""
        from forums.services import render_post_body

        pool = []
        for _ in range(400):
            topics = self.rng.choice(list(TOPICS.values()))
            sentence = self.rng.choice(REPLIES).format(
                year=f"Year {self.rng.randint(1, 11)}",
                common=self.rng.choice(COMMON),
                common2=self.rng.choice(COMMON),
                topic=self.rng.choice(topics),
            )
            body = sentence + " " + " ".join(self.rng.choice(COMMON) for _ in range(8)) + "."
            pool.append((body, render_post_body(body)))
        return pool

    def posts(self) -> int:
        from forums.models import Post, Thread

        pool = self._bodies()
        first = _next_id(Post)
        self.post_ids_of: dict[int, tuple[int, int]] = {}
        last_activity: dict[int, datetime] = {}
        self.post_author: dict[int, int] = {}

        def made() -> Iterator:
            pk = first
            rng = self.rng
            for offset, thread in enumerate(self.thread_ids):
                forum = self.thread_forum[thread]
                network = self.forum_network[forum]
                members = self.members[network] if network else self.person_ids
                moment = self.thread_start[thread]
                count = self.post_counts[offset]
                self.post_ids_of[thread] = (pk, pk + count - 1)
                step = min(2.0, 300 / count)
                for index in range(count):
                    author = (
                        self.thread_author[thread]
                        if index == 0
                        else members[rng.randrange(len(members))]
                    )
                    if index:
                        moment = moment + timedelta(hours=rng.uniform(0.05, step * 24))
                    body, html = pool[rng.randrange(len(pool))]
                    self.post_author[pk] = author
                    yield Post(
                        pk=pk,
                        thread_id=thread,
                        author_id=author,
                        body=body,
                        body_html=html,
                        is_anonymous=index > 0
                        and forum in self.anonymous_forums
                        and rng.random() < 0.3,
                        created_at=moment,
                        revision=index + 1,
                    )
                    pk += 1
                last_activity[thread] = moment

        done = _insert(Post, made())
        self.busiest_thread_id = self.thread_ids[
            max(range(len(self.thread_ids)), key=self.post_counts.__getitem__)
        ]
        # The threads' denormalised last activity is their last post's time.
        threads = [Thread(pk=pk, last_activity_at=last_activity[pk]) for pk in self.thread_ids]
        for batch in _batches(threads):
            Thread.objects.bulk_update(batch, ["last_activity_at"], batch_size=1_000)
        return done

    # Follows, reactions and notifications, in modest numbers.

    def follows(self) -> int:
        from forums.models import ThreadFollow

        pk = _next_id(ThreadFollow)
        rows = []
        seen: set[tuple[int, int]] = set()
        for thread in self.thread_ids:
            # Authors follow their own threads; a few others follow busy ones.
            pairs = {(self.thread_author[thread], thread)}
            if self.rng.random() < 0.2:
                pairs.add((self.rng.choice(self.person_ids), thread))
            for pair in sorted(pairs - seen):
                seen.add(pair)
                rows.append(
                    ThreadFollow(pk=pk, person_id=pair[0], thread_id=pair[1],
                                 created_at=self.thread_start[thread])
                )  # fmt: skip
                pk += 1
        return _insert(ThreadFollow, rows)

    def reactions(self) -> int:
        from forums.models import Reaction

        kinds = Reaction.Kind.values
        pk = _next_id(Reaction)
        first, last = min(self.post_author), max(self.post_author)
        wanted = self.n["posts"] // 10
        seen: set[tuple[int, int, str]] = set()
        rows = []
        for _ in range(wanted):
            post = self.rng.randint(first, last)
            key = (post, self.rng.choice(self.person_ids), self.rng.choice(kinds))
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                Reaction(pk=pk, post_id=key[0], person_id=key[1], kind=key[2], created_at=MOMENT)
            )
            pk += 1
        return _insert(Reaction, rows)

    def notifications(self) -> int:
        from forums.models import Notification, Post

        pk = _next_id(Notification)
        rows = []
        for thread in self.rng.sample(self.thread_ids, min(len(self.thread_ids), self.n["staff"])):
            first, last = self.post_ids_of[thread]
            if last == first:
                continue
            rows.append(
                Notification(
                    pk=pk,
                    recipient_id=self.thread_author[thread],
                    kind=Notification.Kind.REPLY,
                    actor_id=self.post_author[last],
                    thread_id=thread,
                    post_id=last,
                    text="New replies in a thread you follow.",
                    url=Post(pk=last).get_absolute_url(),
                    count=last - first,
                    created_at=self.thread_start[thread],
                    read_at=None if self.rng.random() < 0.3 else MOMENT,
                )
            )
            pk += 1
        return _insert(Notification, rows)

    # After the load.

    def sequences(self) -> int:
        """Ids were chosen here, so PostgreSQL's sequences must be moved past them."""
        from django.apps import apps
        from django.core.management.color import no_style
        from django.db import connection

        models = [m for m in apps.get_models() if m._meta.app_label in
                  {"people", "auth", "networks", "resources", "forums", "taggit"}]  # fmt: skip
        models.append(apps.get_model("people", "Person").groups.through)
        statements = connection.ops.sequence_reset_sql(no_style(), models)
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        return len(statements)

    def search_index(self) -> int:
        """The database backend's own rebuild, from the rows just written."""
        from search.backends import database_backend
        from search.records import all_records

        return database_backend().rebuild(all_records())

"""Demo staff for the fictional Weald Valley Learning Trust: four schools and about 350 staff.

Deterministic (a seeded random generator and fixed name lists) and idempotent: running it again
changes nothing. Every demo account signs in with DEMO_PASSWORD.
"""

import random
from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.db import transaction

from networks.curriculum import Phase
from people.models import Person, School
from people.roles import Role
from people.staff_import import staff_rows_import

DEMO_PASSWORD = "weald-valley-demo"
DEMO_DOMAIN = "wealdvalley.example"
SEED = 2026

TEACHER_EMAIL = f"hannah.whitlock@{DEMO_DOMAIN}"
EDITOR_EMAIL = f"joe.marsh@{DEMO_DOMAIN}"
ADMIN_EMAIL = f"ravi.kapoor@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class DemoSchool:
    name: str
    urn: str
    phase: str
    lowest_age: int
    highest_age: int
    address: str
    postcode: str
    headteacher: tuple[str, str]
    staff: int


SCHOOLS = [
    DemoSchool(
        "Hopfield Primary School",
        "149801",
        School.Phase.PRIMARY,
        3,
        11,
        "Orchard Lane, Marden, Tonbridge",
        "TN12 9QX",
        ("Helen", "Ashdown"),
        60,
    ),
    DemoSchool(
        "Brambledown Primary Academy",
        "149802",
        School.Phase.PRIMARY,
        4,
        11,
        "Church Road, Headcorn, Maidstone",
        "TN27 9RP",
        ("Marcus", "Fielding"),
        56,
    ),
    DemoSchool(
        "Oastbrook Primary School",
        "149803",
        School.Phase.PRIMARY,
        4,
        11,
        "Kiln Way, Staplehurst, Tonbridge",
        "TN12 0LS",
        ("Grace", "Oduya"),
        58,
    ),
    DemoSchool(
        "Weald Valley Academy",
        "149804",
        School.Phase.SECONDARY,
        11,
        18,
        "Valley Road, Cranbrook",
        "TN17 3HZ",
        ("David", "Penrose"),
        170,
    ),
]

FIRST_NAMES = [
    "Aisha", "Alfie", "Amelia", "Amir", "Anna", "Ben", "Bethany", "Callum", "Chloe", "Daniel",
    "Deborah", "Eleanor", "Elliot", "Emily", "Fatima", "Freya", "George", "Georgia", "Hamza",
    "Harriet", "Isaac", "Isla", "Jack", "James", "Jasmine", "Jessica", "Kai", "Katie", "Laura",
    "Leah", "Liam", "Lucy", "Mariam", "Matthew", "Megan", "Mohammed", "Naomi", "Nathan", "Niamh",
    "Oliver", "Olivia", "Owen", "Patrick", "Phoebe", "Priya", "Rachel", "Rhys", "Rosie", "Ruth",
    "Ryan", "Samuel", "Sarah", "Sophie", "Stephen", "Tariq", "Thomas", "Tom", "Victoria", "Will",
    "Yasmin", "Zara", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Adeyemi", "Ahmed", "Allen", "Bailey", "Baker", "Banerjee", "Bennett", "Brooks", "Campbell",
    "Carter", "Chapman", "Clarke", "Collins", "Cooper", "Davies", "Dawson", "Edwards", "Ellis",
    "Evans", "Fletcher", "Foster", "Gill", "Graham", "Green", "Hall", "Harris", "Hughes", "Hussain",
    "Jackson", "James", "Jones", "Kaur", "Kelly", "Khan", "King", "Lewis", "Lloyd", "Marshall",
    "Mason", "Mills", "Mitchell", "Morgan", "Murphy", "Nowak", "O'Brien", "Owen", "Palmer",
    "Parker", "Patel", "Phillips", "Price", "Reynolds", "Roberts", "Robinson", "Russell", "Shaw",
    "Singh", "Smith", "Stevens", "Taylor", "Thompson", "Turner", "Walker", "Ward", "Watson",
    "White", "Williams", "Wilson", "Wood", "Wright", "Young",
]  # fmt: skip

PRIMARY_SUBJECTS = [
    "Art and design", "Computing", "Design and technology", "Geography", "History",
    "Languages", "Music", "Physical education", "PSHE and RSE", "Religious education", "Science",
]  # fmt: skip
PRIMARY_SUPPORT_ROLES = [
    "Teaching assistant", "Teaching assistant", "Teaching assistant", "Higher level teaching "
    "assistant", "Learning mentor", "School business manager", "Office administrator",
    "Site manager", "Midday supervisor",
]  # fmt: skip
# Secondary departments: (subject for job titles, subjects taught, teachers in the department).
SECONDARY_DEPARTMENTS = [
    ("English", ["English"], 12),
    ("mathematics", ["Mathematics"], 12),
    ("science", ["Science", "Biology", "Chemistry", "Physics"], 13),
    ("history", ["History"], 5),
    ("geography", ["Geography"], 5),
    ("languages", ["Languages"], 6),
    ("computing", ["Computing"], 4),
    ("art and design", ["Art and design"], 3),
    ("design and technology", ["Design and technology"], 4),
    ("music", ["Music"], 2),
    ("drama", ["Drama"], 2),
    ("physical education", ["Physical education"], 6),
    ("religious education", ["Religious education"], 3),
    ("psychology", ["Psychology"], 2),
    ("sociology", ["Sociology"], 2),
    ("economics", ["Economics"], 2),
    ("PSHE and RSE", ["PSHE and RSE", "Citizenship"], 2),
]
SECONDARY_SUPPORT_ROLES = [
    "Teaching assistant", "Teaching assistant", "Cover supervisor", "Exams officer",
    "Science technician", "Librarian", "Attendance officer", "Pastoral manager",
    "Data manager", "Reprographics technician", "Site manager", "Finance officer",
    "Receptionist", "IT technician",
]  # fmt: skip
NETWORK_LEAD_DEPARTMENTS = {"English", "mathematics", "science", "history"}

# The named demo accounts, so a demonstration can sign in as each kind of user.
CENTRAL_TEAM = [
    ("Joe", "Marsh", "Communications lead", [Role.CENTRAL_TEAM]),
    ("Catherine", "Holloway", "Chief executive officer", [Role.CENTRAL_TEAM]),
    ("Simon", "Achebe", "Director of school improvement", [Role.CENTRAL_TEAM]),
    ("Alice", "Fenwick", "Director of curriculum", [Role.CENTRAL_TEAM]),
    ("Nadia", "Rahman", "Director of people", [Role.CENTRAL_TEAM]),
    ("Ravi", "Kapoor", "Trust data manager", [Role.TRUST_ADMIN]),
]


def _row(
    email: str,
    first_name: str,
    last_name: str,
    job_title: str,
    urn: str = "",
    roles: list[Role] | None = None,
    subjects: list[str] | None = None,
    phases: list[str] | None = None,
) -> dict[str, str]:
    return {
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "job_title": job_title,
        "school_urn": urn,
        "roles": ";".join([Role.STAFF, *(roles or [])]),
        "subjects": ";".join(subjects or []),
        "phases": ";".join(phases or []),
    }


class _Names:
    """Unique, deterministic names and emails."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.taken: set[str] = set()

    def email(self, first_name: str, last_name: str) -> str:
        base = f"{first_name}.{last_name}".lower().replace("'", "").replace(" ", "")
        email, number = f"{base}@{DEMO_DOMAIN}", 2
        while email in self.taken:
            email, number = f"{base}{number}@{DEMO_DOMAIN}", number + 1
        self.taken.add(email)
        return email

    def person(self) -> tuple[str, str, str]:
        first_name, last_name = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return self.email(first_name, last_name), first_name, last_name


def _primary_staff(
    school: DemoSchool, names: _Names, *, named_teacher: bool
) -> list[dict[str, str]]:
    rng = names.rng
    first, last = school.headteacher
    rows = [
        _row(names.email(first, last), first, last, "Headteacher", school.urn, phases=["primary"])
    ]
    years = ["Nursery", "Reception"] if school.lowest_age < 4 else ["Reception"]
    years += [f"Year {year}" for year in range(1, 7)]
    # Two or three classes a year; the first Year 4 class of the first school is the named
    # demo teacher's.
    for year in years:
        for index in range(rng.choice([2, 2, 3])):
            if named_teacher and year == "Year 4" and index == 0:
                email, first_name, last_name = TEACHER_EMAIL, "Hannah", "Whitlock"
                names.taken.add(email)
            else:
                email, first_name, last_name = names.person()
            early = year in ("Nursery", "Reception")
            subjects = ["English", "Mathematics", *rng.sample(PRIMARY_SUBJECTS, 2)]
            rows.append(
                _row(
                    email,
                    first_name,
                    last_name,
                    f"{year} teacher",
                    school.urn,
                    subjects=subjects,
                    phases=["eyfs"] if early else ["primary"],
                )
            )
    for title, subjects, roles in [
        ("Deputy headteacher", ["English"], []),
        ("SENCo", [], []),
        ("Designated safeguarding lead", [], [Role.MODERATOR] if named_teacher else []),
        ("Mathematics lead", ["Mathematics"], [Role.NETWORK_LEAD] if named_teacher else []),
    ]:
        email, first_name, last_name = names.person()
        rows.append(
            _row(
                email,
                first_name,
                last_name,
                title,
                school.urn,
                roles=roles,
                subjects=subjects,
                phases=["eyfs", "primary"],
            )
        )
    while len(rows) < school.staff:
        email, first_name, last_name = names.person()
        title = rng.choice(PRIMARY_SUPPORT_ROLES)
        phases = ["eyfs", "primary"] if "assistant" in title else []
        rows.append(_row(email, first_name, last_name, title, school.urn, phases=phases))
    return rows


def _secondary_staff(school: DemoSchool, names: _Names) -> list[dict[str, str]]:
    rng = names.rng
    first, last = school.headteacher
    post16 = [Phase.SECONDARY, Phase.POST_16]
    rows = [_row(names.email(first, last), first, last, "Headteacher", school.urn, phases=post16)]
    for department, subjects, size in SECONDARY_DEPARTMENTS:
        for index in range(size):
            email, first_name, last_name = names.person()
            roles = []
            if index == 0:
                title = f"Head of {department}"
                if department in NETWORK_LEAD_DEPARTMENTS:
                    roles = [Role.NETWORK_LEAD]
            elif index == 1 and size > 4:
                title = f"Second in {department}"
            else:
                title = f"Teacher of {department}"
            taught = subjects if len(subjects) == 1 else [subjects[0], rng.choice(subjects[1:])]
            phases = post16 if index < 2 or rng.random() < 0.5 else [Phase.SECONDARY]
            rows.append(
                _row(
                    email,
                    first_name,
                    last_name,
                    title[0].upper() + title[1:],
                    school.urn,
                    roles=roles,
                    subjects=taught,
                    phases=phases,
                )
            )
    for title, roles in [
        ("Deputy headteacher", []),
        ("Assistant headteacher", []),
        ("Head of sixth form", []),
        ("SENCo", []),
        ("Designated safeguarding lead", [Role.MODERATOR]),
        *((f"Head of year {year}", []) for year in range(7, 12)),
    ]:
        email, first_name, last_name = names.person()
        rows.append(
            _row(email, first_name, last_name, title, school.urn, roles=roles, phases=post16)
        )
    while len(rows) < school.staff:
        email, first_name, last_name = names.person()
        rows.append(
            _row(email, first_name, last_name, rng.choice(SECONDARY_SUPPORT_ROLES), school.urn)
        )
    return rows


def demo_staff_rows() -> list[dict[str, str]]:
    """Every demo account as staff-import rows, the same on every call."""
    names = _Names(random.Random(SEED))
    rows = []
    for first_name, last_name, title, roles in CENTRAL_TEAM:
        email = names.email(first_name, last_name)
        rows.append(_row(email, first_name, last_name, title, roles=roles))
    for index, school in enumerate(SCHOOLS):
        if school.phase == School.Phase.SECONDARY:
            rows += _secondary_staff(school, names)
        else:
            rows += _primary_staff(school, names, named_teacher=index == 0)
    return rows


def _seed_schools() -> int:
    created = 0
    for school in SCHOOLS:
        first, last = school.headteacher
        _, is_new = School.objects.get_or_create(
            urn=school.urn,
            defaults={
                "name": school.name,
                "phase": school.phase,
                "lowest_age": school.lowest_age,
                "highest_age": school.highest_age,
                "local_authority": "Kent",
                "address": school.address,
                "postcode": school.postcode,
                "headteacher": f"{first} {last}",
            },
        )
        created += is_new
    return created


def seed_demo_staff() -> dict:
    """Create (or leave as they are) the demo schools and staff.

    Returns the counts and what a demonstrator needs to sign in: `password`, and the emails
    `teacher_email`, `editor_email` (central team) and `admin_email` (trust admin).
    """
    with transaction.atomic():
        schools_created = _seed_schools()
        rows = demo_staff_rows()
        report = staff_rows_import(rows=enumerate(rows, start=1))
        if not report.ok:
            raise RuntimeError(
                "The demo staff do not fit this database: "
                + "; ".join(str(problem) for problem in report.problems[:5])
            )
        # Accounts the import just made have no password yet; all share one hash, so this
        # costs one slow hash however many there are.
        new_accounts = Person.objects.filter(
            email__in=[row["email"] for row in rows],
            password__startswith=UNUSABLE_PASSWORD_PREFIX,
        )
        if new_accounts.exists():
            new_accounts.update(password=make_password(DEMO_PASSWORD))
    return {
        "password": DEMO_PASSWORD,
        "teacher_email": TEACHER_EMAIL,
        "editor_email": EDITOR_EMAIL,
        "admin_email": ADMIN_EMAIL,
        "schools_created": schools_created,
        "staff_created": report.created,
        "staff_updated": report.updated,
        "staff_unchanged": report.unchanged,
        "staff_total": len(rows),
    }


def demo_accounts_exist() -> bool:
    return Person.objects.filter(email__in=[TEACHER_EMAIL, EDITOR_EMAIL, ADMIN_EMAIL]).exists()

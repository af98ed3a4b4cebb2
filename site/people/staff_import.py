"""Staff import: the staff lists schools send, as CSV, checked in full before anything is
written.

A file with any bad row imports nothing and the report names every bad row. A good file is
written in one transaction, and importing it again changes nothing. People who are not in the
file are left alone: an import never deactivates or deletes anyone.
"""

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from audit.models import AuditEntry
from audit.services import record_role_changes
from networks.curriculum import Phase
from networks.models import Subject
from people.models import Person, School
from people.roles import Role

COLUMNS = [
    "email",
    "first_name",
    "last_name",
    "job_title",
    "school_urn",
    "roles",
    "subjects",
    "phases",
]
EXAMPLE_ROWS = [
    {
        "email": "jo.bloggs@school.example",
        "first_name": "Jo",
        "last_name": "Bloggs",
        "job_title": "Year 3 teacher",
        "school_urn": "123456",
        "roles": "Staff",
        "subjects": "Mathematics;English",
        "phases": "Primary",
    },
    {
        "email": "ade.mensah@school.example",
        "first_name": "Ade",
        "last_name": "Mensah",
        "job_title": "Head of science",
        "school_urn": "123457",
        "roles": "Staff;Network leads",
        "subjects": "Science;Physics",
        "phases": "secondary;post16",
    },
]
EMAIL_MAX_LENGTH = Person._meta.get_field("email").max_length
FIRST_NAME_MAX_LENGTH = Person._meta.get_field("first_name").max_length
LAST_NAME_MAX_LENGTH = Person._meta.get_field("last_name").max_length
JOB_TITLE_MAX_LENGTH = Person._meta.get_field("job_title").max_length
# Larger files should be split: this keeps one import to one quick transaction.
MAX_ROWS = 20_000


@dataclass(frozen=True)
class RowProblem:
    """A bad row (or, with line 0, a problem with the whole file)."""

    line: int
    reasons: list[str]

    def __str__(self) -> str:
        where = f"Line {self.line}" if self.line else "File"
        return f"{where}: {'; '.join(self.reasons)}"


@dataclass
class ImportReport:
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        if not self.ok:
            return (
                f"Nothing was imported: {len(self.problems)} "
                f"problem{'s' if len(self.problems) != 1 else ''} to fix first."
            )
        if self.dry_run:
            return (
                f"The file is good: {self.created} would be added, {self.updated} would be "
                f"updated and {self.unchanged} are already up to date. Nothing has been "
                "imported yet."
            )
        return (
            f"Imported: {self.created} added, {self.updated} updated and {self.unchanged} "
            "already up to date."
        )


@dataclass(frozen=True)
class StaffRow:
    line: int
    email: str
    first_name: str
    last_name: str
    job_title: str
    school_id: int | None
    roles: frozenset[str]
    subject_ids: frozenset[int]
    phases: list[str]


def example_csv() -> str:
    """A template schools can fill in, with two example rows."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(EXAMPLE_ROWS)
    return out.getvalue()


def staff_import(*, csv_file: IO[bytes] | bytes, dry_run: bool = False) -> ImportReport:
    """Check a staff CSV and, if every row is good and this is not a dry run, write it."""
    data = csv_file if isinstance(csv_file, bytes) else csv_file.read()
    if isinstance(data, str):
        data = data.encode()
    report = ImportReport(dry_run=dry_run)

    def file_problem(reason: str) -> ImportReport:
        report.problems.append(RowProblem(0, [reason]))
        return report

    if not data.strip():
        return file_problem("The file is empty.")
    try:
        # utf-8-sig drops the byte order mark Excel puts at the start of "CSV UTF-8".
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return file_problem(
            "The file is not UTF-8 text. In Excel, save it as ‘CSV UTF-8 (Comma delimited)’."
        )
    if "\x00" in text:
        return file_problem("The file is not a CSV text file.")

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return file_problem("The file is empty.")
        header = [name.strip().lower() for name in header]
        if missing := [name for name in COLUMNS if name not in header]:
            return file_problem(
                f"The first line must name the columns {', '.join(COLUMNS)}. "
                f"Missing: {', '.join(missing)}."
            )
        if unknown := [name for name in header if name not in COLUMNS]:
            return file_problem(f"Unknown columns: {', '.join(n or '(blank)' for n in unknown)}.")
        if len(set(header)) != len(header):
            return file_problem("A column is named twice in the first line.")

        rows: list[tuple[int, dict[str, str]]] = []
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(header):
                report.problems.append(
                    RowProblem(
                        line,
                        [f"has {len(values)} values but the header names {len(header)} columns"],
                    )
                )
                continue
            rows.append((line, dict(zip(header, values, strict=True))))
            if len(rows) > MAX_ROWS:
                return file_problem(f"The file has more than {MAX_ROWS:,} rows; split it up.")
    except csv.Error as error:
        return file_problem(f"The file could not be read as CSV (line {reader.line_num}): {error}.")

    if not rows and not report.problems:
        return file_problem("The file has a header but no staff.")
    return staff_rows_import(rows=rows, dry_run=dry_run, report=report)


def staff_rows_import(
    *,
    rows: Iterable[tuple[int, Mapping[str, str]]],
    dry_run: bool = False,
    report: ImportReport | None = None,
) -> ImportReport:
    """Check and write staff given as (line number, {column: value}) pairs."""
    report = report or ImportReport(dry_run=dry_run)
    checked = _check_rows(rows, report)
    if not report.ok:
        return report
    try:
        with transaction.atomic():
            _write(checked, report)
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError:
        # Another import or sign-up added one of these people in the meantime.
        report.created = report.updated = report.unchanged = 0
        report.problems.append(
            RowProblem(0, ["Staff changed while the file was being imported. Try again."])
        )
    return report


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _check_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]], report: ImportReport
) -> list[StaffRow]:
    schools = dict(School.objects.values_list("urn", "pk"))
    subjects = {name.lower(): pk for pk, name in Subject.objects.values_list("pk", "name")}
    roles = {role.value.lower(): role.value for role in Role}
    phases = {value.lower(): value for value in Phase.values}
    phases |= {label.lower(): value for value, label in Phase.choices}

    seen: dict[str, int] = {}
    checked = []
    for line, raw in rows:
        value = {name: (raw.get(name) or "").strip() for name in COLUMNS}
        reasons = []

        email = value["email"].lower()
        if not email:
            reasons.append("email is missing")
        elif len(email) > EMAIL_MAX_LENGTH:
            reasons.append(f"email is longer than {EMAIL_MAX_LENGTH} characters")
        else:
            try:
                validate_email(email)
            except ValidationError:
                reasons.append(f"‘{value['email']}’ is not an email address")
            else:
                if email in seen:
                    reasons.append(f"{email} is also on line {seen[email]}")
                else:
                    seen[email] = line

        for name, limit, label in [
            ("first_name", FIRST_NAME_MAX_LENGTH, "first name"),
            ("last_name", LAST_NAME_MAX_LENGTH, "last name"),
            ("job_title", JOB_TITLE_MAX_LENGTH, "job title"),
        ]:
            if not value[name] and name != "job_title":
                reasons.append(f"{label} is missing")
            elif len(value[name]) > limit:
                reasons.append(f"{label} is longer than {limit} characters")

        school_id = None
        if urn := value["school_urn"]:
            school_id = schools.get(urn)
            if school_id is None:
                reasons.append(f"no school has the URN ‘{urn}’")

        row_roles = {Role.STAFF.value}
        for name in _split(value["roles"]):
            if name.lower() in roles:
                row_roles.add(roles[name.lower()])
            else:
                reasons.append(f"unknown role ‘{name}’")

        subject_ids = set()
        for name in _split(value["subjects"]):
            if name.lower() in subjects:
                subject_ids.add(subjects[name.lower()])
            else:
                reasons.append(f"unknown subject ‘{name}’")

        row_phases = set()
        for name in _split(value["phases"]):
            if name.lower() in phases:
                row_phases.add(phases[name.lower()])
            else:
                reasons.append(f"unknown phase ‘{name}’")

        if reasons:
            report.problems.append(RowProblem(line, reasons))
            continue
        checked.append(
            StaffRow(
                line=line,
                email=email,
                first_name=value["first_name"],
                last_name=value["last_name"],
                job_title=value["job_title"],
                school_id=school_id,
                roles=frozenset(row_roles),
                subject_ids=frozenset(subject_ids),
                phases=[phase for phase in Phase.values if phase in row_phases],
            )
        )
    return checked


SIMPLE_FIELDS = ["first_name", "last_name", "job_title", "school_id", "phases"]


def _write(rows: list[StaffRow], report: ImportReport) -> None:
    groups = {role.value: Group.objects.get_or_create(name=role.value)[0].pk for role in Role}
    role_group_ids = set(groups.values())
    # Matched ignoring case, as the unique constraint on email is.
    existing = {
        person.email.lower(): person
        for person in Person.objects.annotate(email_lower=Lower("email")).filter(
            email_lower__in=[row.email for row in rows]
        )
    }

    Through = Person.subjects_taught.through
    GroupThrough = Person.groups.through
    ids = [person.pk for person in existing.values()]
    subjects_of: dict[int, set[int]] = {pk: set() for pk in ids}
    for person_id, subject_id in Through.objects.filter(person_id__in=ids).values_list(
        "person_id", "subject_id"
    ):
        subjects_of[person_id].add(subject_id)
    groups_of: dict[int, set[int]] = {pk: set() for pk in ids}
    for person_id, group_id in GroupThrough.objects.filter(
        person_id__in=ids, group_id__in=role_group_ids
    ).values_list("person_id", "group_id"):
        groups_of[person_id].add(group_id)

    new_people: list[Person] = []
    changed_people: list[Person] = []
    subject_links: dict[str, set[int]] = {}
    group_links: dict[str, set[int]] = {}
    for row in rows:
        wanted_groups = {groups[role] for role in row.roles}
        person = existing.get(row.email)
        if person is None:
            new_people.append(
                Person(
                    email=row.email,
                    password=make_password(None),
                    **{name: getattr(row, name) for name in SIMPLE_FIELDS},
                )
            )
            subject_links[row.email] = set(row.subject_ids)
            group_links[row.email] = wanted_groups
            report.created += 1
            continue
        differs = False
        for name in SIMPLE_FIELDS:
            if getattr(person, name) != getattr(row, name):
                setattr(person, name, getattr(row, name))
                differs = True
        if differs:
            changed_people.append(person)
        if subjects_of[person.pk] != row.subject_ids:
            subject_links[row.email] = set(row.subject_ids)
            differs = True
        if groups_of[person.pk] != wanted_groups:
            group_links[row.email] = wanted_groups
            differs = True
        if differs:
            report.updated += 1
        else:
            report.unchanged += 1

    Person.objects.bulk_create(new_people, batch_size=500)
    Person.objects.bulk_update(changed_people, SIMPLE_FIELDS, batch_size=500)
    people = {person.email: person.pk for person in new_people} | {
        email: person.pk for email, person in existing.items()
    }
    if None in people.values():  # backends that cannot return ids from bulk_create
        people |= dict(
            Person.objects.filter(email__in=[p.email for p in new_people]).values_list(
                "email", "pk"
            )
        )

    changed_ids = [people[email] for email in subject_links]
    Through.objects.filter(person_id__in=changed_ids).delete()
    Through.objects.bulk_create(
        [
            Through(person_id=people[email], subject_id=subject_id)
            for email, subject_ids in subject_links.items()
            for subject_id in subject_ids
        ],
        batch_size=1000,
    )
    # Only the role groups are managed here; any other group a person is in stays.
    changed_ids = [people[email] for email in group_links]
    GroupThrough.objects.filter(person_id__in=changed_ids, group_id__in=role_group_ids).delete()
    GroupThrough.objects.bulk_create(
        [
            GroupThrough(person_id=people[email], group_id=group_id)
            for email, group_ids in group_links.items()
            for group_id in group_ids
        ],
        batch_size=1000,
    )
    role_names_by_id = {pk: name for name, pk in groups.items()}
    changes = []
    for email, wanted in group_links.items():
        had = groups_of.get(people[email], set())
        changes += [
            (people[email], AuditEntry.Action.ROLE_GRANTED, role_names_by_id[pk])
            for pk in sorted(wanted - had)
        ]
        changes += [
            (people[email], AuditEntry.Action.ROLE_REMOVED, role_names_by_id[pk])
            for pk in sorted(had - wanted)
        ]
    record_role_changes(changes=changes)

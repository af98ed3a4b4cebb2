import pytest
from django.core.management import CommandError, call_command

from people.models import Person
from people.roles import Role
from people.staff_import import COLUMNS, example_csv, staff_import
from tests.factories import PersonFactory, SchoolFactory

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


@pytest.fixture
def schools():
    return (
        SchoolFactory(name="Oakfield Primary", urn="141001"),
        SchoolFactory(name="Riverside Academy", urn="141002", phase="secondary"),
    )


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


GOOD = csv_bytes(
    "ana.silva@oakfield.example,Ana,Silva,Year 2 teacher,141001,Staff,Mathematics;english,Primary",
    "ben.cole@riverside.example,Ben,Cole,Head of physics,141002,"
    "Staff;Network leads,Physics,secondary;Post-16",
    "cat.obi@trust.example,Cat,Obi,Data officer,,Staff,,",
)


def problems(report) -> dict[int, str]:
    return {problem.line: "; ".join(problem.reasons) for problem in report.problems}


def test_a_good_file_creates_every_person_with_school_roles_subjects_and_phases(schools):
    report = staff_import(csv_file=GOOD)

    assert report.ok, report.problems
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    ben = Person.objects.get(email="ben.cole@riverside.example")
    assert ben.school == schools[1]
    assert ben.job_title == "Head of physics"
    assert sorted(ben.groups.values_list("name", flat=True)) == [Role.NETWORK_LEAD, Role.STAFF]
    assert list(ben.subjects_taught.values_list("name", flat=True)) == ["Physics"]
    assert ben.phases == ["secondary", "post16"]
    ana = Person.objects.get(email="ana.silva@oakfield.example")
    assert sorted(ana.subjects_taught.values_list("name", flat=True)) == ["English", "Mathematics"]
    assert Person.objects.get(email="cat.obi@trust.example").school is None


def test_new_people_get_an_unusable_password_so_they_use_password_reset(schools):
    staff_import(csv_file=GOOD)

    assert not any(person.has_usable_password() for person in Person.objects.all())


def test_importing_the_same_file_again_changes_nothing(schools, django_assert_max_num_queries):
    staff_import(csv_file=GOOD)
    before = list(Person.objects.values())

    report = staff_import(csv_file=GOOD)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert list(Person.objects.values()) == before


def test_a_person_is_updated_only_when_something_differs(schools):
    staff_import(csv_file=GOOD)
    changed = csv_bytes(
        "ana.silva@oakfield.example,Ana,Silva,Year 3 teacher,141001,Staff,Mathematics;English,"
        "Primary",
        "BEN.COLE@riverside.example,Ben,Cole,Head of physics,141002,Staff,Physics,secondary;post16",
        "cat.obi@trust.example,Cat,Obi,Data officer,,Staff,,",
    )

    report = staff_import(csv_file=changed)

    assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
    assert Person.objects.get(email="ana.silva@oakfield.example").job_title == "Year 3 teacher"
    ben = Person.objects.get(email="ben.cole@riverside.example")
    assert list(ben.groups.values_list("name", flat=True)) == [Role.STAFF]


def test_an_import_leaves_groups_that_are_not_roles_alone(schools):
    from django.contrib.auth.models import Group

    staff_import(csv_file=GOOD)
    ana = Person.objects.get(email="ana.silva@oakfield.example")
    ana.groups.add(Group.objects.create(name="Governors"))

    staff_import(
        csv_file=csv_bytes(
            "ana.silva@oakfield.example,Ana,Silva,Year 2 teacher,141001,Staff;Moderators,,"
        )
    )

    assert sorted(ana.groups.values_list("name", flat=True)) == [
        "Governors",
        Role.MODERATOR,
        Role.STAFF,
    ]


def test_people_not_in_the_file_are_never_deactivated_or_deleted(schools):
    someone = PersonFactory(school=schools[0])

    staff_import(csv_file=GOOD)

    someone.refresh_from_db()
    assert someone.is_active


def test_a_dry_run_reports_the_counts_but_writes_nothing(schools):
    report = staff_import(csv_file=GOOD, dry_run=True)

    assert report.ok and report.created == 3
    assert "would be added" in report.summary()
    assert not Person.objects.exists()


def test_a_file_with_one_bad_row_imports_nothing_and_names_every_bad_row(schools):
    bad = csv_bytes(
        "ana.silva@oakfield.example,Ana,Silva,Year 2 teacher,141001,Staff,Mathematics,Primary",
        "not-an-email,Ben,Cole,,141002,Staff,,",
        "dan@x.example,,Cole,,999999,Staff;Wizards,Alchemy,Sixth form",
        "ana.silva@oakfield.example,Ana,Silva,,141001,Staff,,",
        "eve@x.example,Eve," + "x" * 101 + "," + "y" * 121 + ",,Staff,,",
        "fay@x.example,Fay,Fox,,141001,Staff",
    )

    report = staff_import(csv_file=bad)

    assert not report.ok
    assert not Person.objects.exists()
    found = problems(report)
    assert set(found) == {3, 4, 5, 6, 7}
    assert "not an email address" in found[3]
    assert "first name is missing" in found[4]
    assert "no school has the URN ‘999999’" in found[4]
    assert "unknown role ‘Wizards’" in found[4]
    assert "unknown subject ‘Alchemy’" in found[4]
    assert "unknown phase ‘Sixth form’" in found[4]
    assert "also on line 2" in found[5]
    assert "last name is longer than 100" in found[6]
    assert "job title is longer than 120" in found[6]
    assert "has 6 values but the header names 8 columns" in found[7]
    assert report.summary().startswith("Nothing was imported: 5 problems")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"  \r\n", "empty"),
        (HEADER.encode() + b"\r\n", "no staff"),
        (b"email,first_name\r\na@b.example,A\r\n", "Missing: last_name"),
        (HEADER.encode() + b",shoe_size\r\n", "Unknown columns: shoe_size"),
        (b"email;first_name\r\n", "Missing"),
        (HEADER.encode("utf-16"), "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
        (b"email\x00,first_name\r\n", "not a CSV"),
    ],
)
def test_a_file_that_is_not_a_staff_list_is_refused_with_a_reason(schools, content, message):
    report = staff_import(csv_file=content)

    assert not report.ok
    assert message in str(report.problems[0])
    assert report.problems[0].line == 0


def test_a_file_saved_by_excel_with_a_byte_order_mark_and_padded_header_imports(schools):
    content = "\ufeff" + " Email , First_Name,last_name,job_title,school_urn,roles,subjects,phases"
    report = staff_import(
        csv_file=(content + "\r\nana@o.example,Ána,Śilva,,141001,Staff,,\r\n").encode("utf-8")
    )

    assert report.ok, report.problems
    assert Person.objects.get(email="ana@o.example").first_name == "Ána"


def test_blank_lines_are_skipped_and_line_numbers_still_match_the_file(schools):
    report = staff_import(csv_file=csv_bytes("", "bad,A,B,,,Staff,,"))

    assert problems(report).keys() == {3}


def test_the_example_template_is_a_valid_header_with_example_rows():
    lines = example_csv().splitlines()

    assert lines[0] == HEADER
    assert len(lines) == 3


def test_the_command_imports_a_file_and_prints_the_counts(schools, tmp_path, capsys):
    path = tmp_path / "staff.csv"
    path.write_bytes(GOOD)

    call_command("import_staff", str(path))

    assert "Imported: 3 added" in capsys.readouterr().out
    assert Person.objects.count() == 3


def test_the_command_with_dry_run_writes_nothing(schools, tmp_path, capsys):
    path = tmp_path / "staff.csv"
    path.write_bytes(GOOD)

    call_command("import_staff", str(path), "--dry-run")

    assert "would be added" in capsys.readouterr().out
    assert not Person.objects.exists()


def test_the_command_fails_with_the_report_when_a_row_is_bad(schools, tmp_path, capsys):
    path = tmp_path / "staff.csv"
    path.write_bytes(csv_bytes("nope,A,B,,,Staff,,"))

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_staff", str(path))

    assert "Line 2: ‘nope’ is not an email address" in capsys.readouterr().err


def test_the_command_fails_clearly_for_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_staff", str(tmp_path / "missing.csv"))


def test_a_clash_with_a_simultaneous_change_is_reported_not_raised(schools, monkeypatch):
    from django.db import IntegrityError

    from people import staff_import as module

    def clash(rows, report):
        raise IntegrityError("duplicate key")

    monkeypatch.setattr(module, "_write", clash)

    report = staff_import(csv_file=GOOD)

    assert not report.ok
    assert "Try again" in str(report.problems[0])
    assert report.created == 0

import time
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from people.demo import SCHOOLS, demo_staff_rows, seed_demo_staff
from people.models import Person, School
from people.roles import Role

pytestmark = pytest.mark.django_db


def role_count(role: Role) -> int:
    return Person.objects.filter(groups__name=role).count()


def test_the_demo_creates_four_kent_schools_and_about_350_staff_quickly():
    started = time.monotonic()

    result = seed_demo_staff()

    assert time.monotonic() - started < 10
    assert result["schools_created"] == 4
    assert School.objects.filter(local_authority="Kent").count() == 4
    assert Counter(School.objects.values_list("phase", flat=True)) == {
        "primary": 3,
        "secondary": 1,
    }
    assert 330 <= Person.objects.count() == result["staff_created"] <= 370
    for school in SCHOOLS:
        assert Person.objects.filter(school__urn=school.urn).count() == school.staff


def test_the_demo_has_the_roles_a_demonstration_needs():
    seed_demo_staff()

    assert role_count(Role.STAFF) == Person.objects.count()
    assert 3 <= role_count(Role.NETWORK_LEAD) <= 8
    assert role_count(Role.MODERATOR) == 2
    assert Person.objects.filter(groups__name=Role.CENTRAL_TEAM, school=None).count() == 5
    assert role_count(Role.TRUST_ADMIN) == 1


def test_staff_have_job_titles_subjects_and_phases_that_fit_their_school():
    seed_demo_staff()

    secondary = Person.objects.filter(school__phase="secondary")
    primary = Person.objects.filter(school__phase="primary")
    assert not any("eyfs" in phases for phases in secondary.values_list("phases", flat=True))
    assert not any(
        {"secondary", "post16"} & set(phases) for phases in primary.values_list("phases", flat=True)
    )
    assert secondary.filter(job_title="Head of mathematics", subjects_taught__name="Mathematics")
    assert primary.filter(job_title="Year 4 teacher").exists()
    assert not primary.filter(subjects_taught__name="Psychology").exists()


def test_the_named_demo_accounts_sign_in_with_the_shared_demo_password():
    result = seed_demo_staff()

    request = RequestFactory().post("/people/sign-in/")
    teacher, editor, admin = (
        authenticate(request, username=result[key], password=result["password"])
        for key in ["teacher_email", "editor_email", "admin_email"]
    )

    assert teacher.school.phase == "primary" and teacher.job_title.endswith("teacher")
    assert editor.groups.filter(name=Role.CENTRAL_TEAM).exists()
    assert admin.has_perm("people.add_person")
    assert not Person.objects.exclude(password=teacher.password).exists()


def test_running_the_demo_twice_changes_nothing():
    seed_demo_staff()
    people = list(Person.objects.values())
    schools = list(School.objects.values())

    result = seed_demo_staff()

    assert result["schools_created"] == result["staff_created"] == result["staff_updated"] == 0
    assert result["staff_unchanged"] == len(people)
    assert list(Person.objects.values()) == people
    assert list(School.objects.values()) == schools


def test_the_demo_staff_are_the_same_on_every_call_with_unique_emails():
    rows = demo_staff_rows()

    assert rows == demo_staff_rows()
    assert len({row["email"] for row in rows}) == len(rows)

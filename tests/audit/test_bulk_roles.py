"""Role changes made from a group's side for many people at once are audited in bulk: the
number of queries stays the same however many people are added, and the entries are those
one change at a time would have written."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from audit.services import Change, record, record_many
from people.models import Person
from people.roles import Role
from tests.factories import PersonFactory, SchoolFactory

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action


def last_entry_id() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def staff(count: int, prefix: str) -> list[Person]:
    """Many colleagues quickly: saved in one go, without passwords or roles."""
    school = SchoolFactory()
    return Person.objects.bulk_create(
        Person(
            email=f"{prefix}{n}@oakfield.example",
            first_name="Sam",
            last_name=f"Teacher {n}",
            school=school,
        )
        for n in range(count)
    )


def queries_to_add(group: Group, people: list) -> int:
    with CaptureQueriesContext(connection) as queries:
        group.user_set.add(*people)
    return len(queries)


def test_adding_many_people_to_a_role_takes_as_many_queries_as_adding_3():
    moderators = Group.objects.get(name=Role.MODERATOR.value)
    leads = Group.objects.get(name=Role.NETWORK_LEAD.value)
    trips = Group.objects.create(name="Trip leaders")
    few = staff(3, "few")
    more = staff(90, "more")
    many = staff(300, "many")
    start = last_entry_id()

    assert queries_to_add(moderators, few) == queries_to_add(leads, more)
    # SQLite splits an INSERT at 999 parameters (about 99 entries); still not one per person.
    assert queries_to_add(trips, many) <= queries_to_add(moderators, more) + 300 // 99

    granted = AuditEntry.objects.filter(pk__gt=start, action=Action.ROLE_GRANTED)
    assert granted.count() == 3 + 90 + 300 + 90
    assert granted.filter(detail__role="Trip leaders").count() == 300


def test_removing_and_clearing_from_the_group_side_is_audited_for_everyone():
    moderators = Group.objects.get(name=Role.MODERATOR.value)
    people = PersonFactory.create_batch(5)
    moderators.user_set.add(*people)
    start = last_entry_id()

    moderators.user_set.remove(*people[:2])
    moderators.user_set.clear()

    removed = list(
        AuditEntry.objects.filter(pk__gt=start, action=Action.ROLE_REMOVED).order_by("pk")
    )
    assert [entry.subject_id for entry in removed] == [person.pk for person in people]
    assert {entry.detail["role"] for entry in removed} == {Role.MODERATOR.value}


def test_a_bulk_entry_is_the_same_as_one_written_alone(trust_admin, primary_teacher):
    alone = record(
        action=Action.ROLE_GRANTED,
        actor=trust_admin,
        subject_id=primary_teacher.pk,
        detail={"role": "Moderator"},
    )
    [bulk] = record_many(
        changes=[
            Change(
                action=Action.ROLE_GRANTED,
                subject_id=primary_teacher.pk,
                detail={"role": "Moderator"},
            )
        ],
        actor=trust_admin,
    )

    def fields(entry: AuditEntry) -> dict:
        row = AuditEntry.objects.filter(pk=entry.pk).values().get()
        return {key: value for key, value in row.items() if key not in {"id", "created_at"}}

    assert fields(bulk) == fields(alone)


def test_recording_nothing_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert record_many(changes=[]) == []

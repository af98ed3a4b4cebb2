import pytest
from django.urls import reverse

from networks.models import Subject
from people.roles import Role
from tests.factories import PersonFactory, SchoolFactory

pytestmark = pytest.mark.django_db

DIRECTORY_URL = reverse("people:directory")


def names_on(response) -> list[str]:
    return [person.name for person in response.context["page"].object_list]


def test_the_directory_lists_active_staff_by_surname(staff_client, secondary_maths_lead):
    PersonFactory(first_name="Left", last_name="Aaron", is_active=False)

    response = staff_client.get(DIRECTORY_URL)

    assert names_on(response) == ["Tom Okafor", "Priya Patel"]


def test_the_directory_finds_people_by_any_part_of_their_name(staff_client, secondary_maths_lead):
    PersonFactory(first_name="Ana", last_name="Okonjo", display_name="Miss O")

    assert names_on(staff_client.get(DIRECTORY_URL, {"name": "oka"})) == ["Tom Okafor"]
    assert names_on(staff_client.get(DIRECTORY_URL, {"name": "tom okafor"})) == ["Tom Okafor"]
    assert names_on(staff_client.get(DIRECTORY_URL, {"name": "miss o"})) == ["Miss O"]


def test_the_directory_filters_by_school_subject_and_role(
    staff_client, primary_teacher, secondary_maths_lead, moderator
):
    riverside = secondary_maths_lead.school
    maths = primary_teacher.subjects_taught.get(name="Mathematics")

    by_school = staff_client.get(DIRECTORY_URL, {"school": riverside.pk})
    by_subject = staff_client.get(DIRECTORY_URL, {"subject": maths.pk})
    by_role = staff_client.get(DIRECTORY_URL, {"role": Role.MODERATOR.value})
    together = staff_client.get(DIRECTORY_URL, {"subject": maths.pk, "role": Role.NETWORK_LEAD})

    assert names_on(by_school) == ["Tom Okafor"]
    assert names_on(by_subject) == ["Tom Okafor", "Priya Patel"]
    assert names_on(by_role) == ["Dee Moss"]
    assert names_on(together) == ["Tom Okafor"]


def test_someone_with_several_subjects_and_roles_is_listed_once(staff_client, moderator):
    PersonFactory(
        first_name="Sam",
        last_name="Adeyemi",
        subjects=["Mathematics", "Science", "Computing"],
        roles=[Role.NETWORK_LEAD, Role.MODERATOR],
    )
    maths = Subject.objects.get(name="Mathematics")

    for filters in ({}, {"subject": maths.pk}, {"role": Role.MODERATOR.value},
                    {"subject": maths.pk, "role": Role.NETWORK_LEAD.value}):  # fmt: skip
        response = staff_client.get(DIRECTORY_URL, filters)
        listed = names_on(response)
        assert listed.count("Sam Adeyemi") == 1, filters
        assert response.context["page"].paginator.count == len(listed), filters


def test_the_directory_says_so_when_no_one_matches(staff_client):
    response = staff_client.get(DIRECTORY_URL, {"name": "Nobody-by-this-name"})

    assert "No one matches those filters" in response.content.decode()


def test_a_nonsense_filter_shows_a_message_and_never_an_error(staff_client):
    response = staff_client.get(DIRECTORY_URL, {"school": "x", "role": "Wizards", "page": "-1"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_the_directory_paginates_and_keeps_the_filters(staff_client):
    school = SchoolFactory()
    PersonFactory.create_batch(35, school=school)

    first = staff_client.get(DIRECTORY_URL, {"school": school.pk})
    second = staff_client.get(DIRECTORY_URL, {"school": school.pk, "page": 2})

    assert len(first.context["page"].object_list) == 30
    assert f"school={school.pk}&amp;page=2" in first.content.decode()
    assert len(second.context["page"].object_list) == 5
    assert "Page 2 of 2" in second.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_the_directory_query_count_does_not_grow_with_the_number_of_people(
    staff_client, django_assert_max_num_queries, count
):
    for index in range(count):
        PersonFactory(
            school=SchoolFactory(),
            subjects=["Mathematics", "Science"],
            roles=[Role.NETWORK_LEAD] if index % 2 else [],
        )

    # About half are the layout's (session, navigation, branding, permissions); the same
    # number whether the page lists 4 people or 31.
    with django_assert_max_num_queries(15):
        response = staff_client.get(DIRECTORY_URL, {"role": Role.STAFF.value})

    assert response.context["page"].paginator.count == count + 1
    assert "Mathematics, Science" in response.content.decode()

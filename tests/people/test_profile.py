import pytest
from django.urls import reverse

from networks.models import Subject
from people.models import Person
from tests.factories import PersonFactory, SchoolFactory

pytestmark = pytest.mark.django_db

EDIT_URL = reverse("people:profile_edit")


def profile_data(**changes) -> dict:
    data = {
        "display_name": "Mrs Patel",
        "job_title": "Year 5 teacher",
        "school": "",
        "subjects_taught": [Subject.objects.get(name="Science").pk],
        "phases": ["primary", "eyfs"],
        "about": "I lead forest school.",
    }
    return data | changes


def test_a_member_of_staff_edits_their_profile_and_sees_it(staff_client, primary_teacher):
    school = SchoolFactory(name="Hopfield Primary")

    response = staff_client.post(EDIT_URL, profile_data(school=school.pk), follow=True)

    page = response.content.decode()
    assert "Your profile has been saved." in page
    assert "Mrs Patel" in page and "Year 5 teacher" in page and "Hopfield Primary" in page
    primary_teacher.refresh_from_db()
    assert primary_teacher.phases == ["eyfs", "primary"]
    assert list(primary_teacher.subjects_taught.values_list("name", flat=True)) == ["Science"]


def test_the_edit_form_starts_with_the_current_profile(staff_client):
    page = staff_client.get(EDIT_URL).content.decode()

    assert 'value="Year 4 teacher"' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("display_name", "x" * 101, "at most 100 characters"),
        ("job_title", "x" * 121, "at most 120 characters"),
        ("about", "x" * 1001, "at most 1000 characters"),
        ("display_name", "<script>alert(1)</script>", "not &lt; or &gt;"),
        ("job_title", "<b>Head</b>", "not &lt; or &gt;"),
        ("display_name", "Mrs\x07Patel", "not &lt; or &gt;"),
        ("display_name", "Mrs\x00Patel", "Null characters are not allowed"),
        ("school", "999999", "Select a valid choice"),
        ("school", "not-a-number", "Select a valid choice"),
        ("subjects_taught", ["999999"], "Select a valid choice"),
        ("phases", ["sixth_form"], "Select a valid choice"),
    ],
)
def test_a_bad_profile_is_rejected_with_a_message_and_nothing_is_saved(
    staff_client, primary_teacher, field, value, message
):
    before = Person.objects.filter(pk=primary_teacher.pk).values().get()
    subjects = set(primary_teacher.subjects_taught.all())

    response = staff_client.post(EDIT_URL, profile_data(**{field: value}))

    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page
    assert Person.objects.filter(pk=primary_teacher.pk).values().get() == before
    assert set(primary_teacher.subjects_taught.all()) == subjects
    # The header still shows the saved name, not the rejected one.
    assert "Priya Patel</a>" in page


def test_hostile_text_about_me_is_stored_as_text_and_shown_escaped(staff_client, primary_teacher):
    hostile = '<script>alert("hi")</script><img src=x onerror=alert(1)> & friends'

    staff_client.post(EDIT_URL, profile_data(about=hostile))
    page = staff_client.get(primary_teacher.get_absolute_url()).content.decode()

    primary_teacher.refresh_from_db()
    assert primary_teacher.about == hostile
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt;" in page


def test_a_profile_shows_school_subjects_phases_and_roles(staff_client, secondary_maths_lead):
    page = staff_client.get(secondary_maths_lead.get_absolute_url()).content.decode()

    for text in ["Tom Okafor", "Head of mathematics", "Riverside Academy", "Mathematics"]:
        assert text in page
    assert "Secondary, Post-16" in page
    assert "Network leads" in page
    assert "Edit your profile" not in page


def test_my_own_profile_offers_to_edit_it(staff_client, primary_teacher):
    response = staff_client.get(reverse("people:my_profile"), follow=True)

    assert "Edit your profile" in response.content.decode()


@pytest.mark.parametrize("pk", [999999, 2**63 + 1])
def test_an_unknown_profile_is_a_friendly_not_found_page(staff_client, pk):
    response = staff_client.get(f"/people/{pk}/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_the_profile_of_someone_who_has_left_is_not_found(staff_client):
    leaver = PersonFactory(is_active=False)

    assert staff_client.get(leaver.get_absolute_url()).status_code == 404

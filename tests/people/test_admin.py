import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from people.models import Person, School
from people.staff_import import COLUMNS
from tests.factories import SchoolFactory, sign_in_with_identity_provider

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/staff-import/"
GOOD = (
    ",".join(COLUMNS) + "\r\nana.silva@oakfield.example,Ana,Silva,Year 2 teacher,141001,Staff,"
    "Mathematics,Primary\r\n"
).encode()


@pytest.fixture
def admin_client(client, trust_admin):
    SchoolFactory(name="Oakfield Primary", urn="141001")
    sign_in_with_identity_provider(client, trust_admin)
    return client


def upload(client, content: bytes, *, dry_run: bool = False, name: str = "staff.csv"):
    data = {"csv_file": SimpleUploadedFile(name, content, content_type="text/csv")}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(IMPORT_URL, data)


def test_a_trust_admin_sees_the_staff_import_page_with_the_template_link(admin_client):
    response = admin_client.get(IMPORT_URL)

    assert response.status_code == 200
    assert reverse("people_staff_import_template") in response.content.decode()


def test_the_staff_import_menu_item_is_under_settings_for_trust_admins(admin_client):
    response = admin_client.get("/admin/")

    assert IMPORT_URL in response.content.decode()


def test_a_trust_admin_checks_a_file_then_imports_it(admin_client):
    response = upload(admin_client, GOOD, dry_run=True)

    assert response.status_code == 200
    assert "1 would be added" in response.content.decode()
    assert not Person.objects.filter(email="ana.silva@oakfield.example").exists()

    response = upload(admin_client, GOOD)

    assert "Imported: 1 added" in response.content.decode()
    assert Person.objects.filter(email="ana.silva@oakfield.example").exists()


def test_a_file_with_bad_rows_shows_every_problem_and_imports_nothing(admin_client):
    content = GOOD + b"not-an-email,A,B,,141001,Staff,,\r\nc@d.example,,B,,000000,Staff,,\r\n"

    response = upload(admin_client, content)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was imported" in page
    assert "‘not-an-email’ is not an email address" in page
    assert "no school has the URN ‘000000’" in page
    assert not Person.objects.filter(email="ana.silva@oakfield.example").exists()


def test_a_file_over_five_megabytes_is_refused_with_a_clear_message(admin_client):
    response = upload(admin_client, GOOD + b"x" * (5 * 1024 * 1024))

    assert response.status_code == 400
    assert "larger than 5 MB" in response.content.decode()
    assert not Person.objects.filter(email="ana.silva@oakfield.example").exists()


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00garbage\xff\xfe", b'"unclosed,quote\r\n', b"<script>x</script>"],
)
def test_garbage_is_refused_with_a_message_and_never_a_server_error(admin_client, content):
    response = upload(admin_client, content, name="evil.csv")

    assert response.status_code == 400
    assert "cannot be imported" in response.content.decode()


def test_posting_without_a_file_asks_for_one(admin_client):
    response = admin_client.post(IMPORT_URL, {})

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_the_example_template_downloads_as_a_csv(admin_client):
    response = admin_client.get(reverse("people_staff_import_template"))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode("utf-8-sig").startswith(",".join(COLUMNS))


def test_a_central_team_editor_without_the_add_person_permission_cannot_import(
    client, central_team_editor
):
    sign_in_with_identity_provider(client, central_team_editor)

    response = upload(client, GOOD)

    assert response.status_code in (302, 403)
    assert not Person.objects.filter(email="ana.silva@oakfield.example").exists()
    assert IMPORT_URL not in client.get("/admin/").content.decode()


def test_a_teacher_cannot_reach_the_staff_import_page(staff_client):
    assert staff_client.get(IMPORT_URL).status_code in (302, 403)
    assert staff_client.get(reverse("people_staff_import_template")).status_code in (302, 403)


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/people/sign-in/?next=")


def test_a_trust_admin_lists_and_searches_schools_in_the_wagtail_admin(admin_client):
    SchoolFactory(name="Riverside Academy", urn="145001", phase="secondary")

    listing = admin_client.get("/admin/snippets/people/school/")
    search = admin_client.get("/admin/snippets/people/school/", {"q": "145001"})

    assert listing.status_code == 200
    assert "Oakfield Primary" in listing.content.decode()
    assert "Local authority" in listing.content.decode()
    assert "Riverside Academy" in search.content.decode()
    assert "Oakfield Primary" not in search.content.decode()


def test_a_trust_admin_adds_a_school_in_the_wagtail_admin(admin_client):
    response = admin_client.post(
        "/admin/snippets/people/school/add/",
        {
            "name": "Hopfield Primary",
            "urn": "146123",
            "phase": "primary",
            "lowest_age": "4",
            "highest_age": "11",
            "local_authority": "Kent",
            "headteacher": "Mr B. Lee",
            "address": "",
            "postcode": "",
            "website": "",
        },
    )

    assert response.status_code == 302
    school = School.objects.get(urn="146123")
    assert school.slug == "hopfield-primary"


def test_a_teacher_cannot_manage_schools(staff_client):
    response = staff_client.get("/admin/snippets/people/school/")

    assert response.status_code in (302, 403)

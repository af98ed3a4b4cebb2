import re
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse

from people.models import Person
from people.staff_import import COLUMNS, staff_import
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SIGN_IN_URL = reverse("people:sign_in")


def sign_in(client, email: str, password: str, **extra):
    return client.post(SIGN_IN_URL, {"username": email, "password": password}, **extra)


def test_a_member_of_staff_signs_in_with_their_email_in_any_case(client, primary_teacher):
    response = sign_in(client, "Priya.Patel@Oakfield.example", PASSWORD)

    assert response.status_code == 302
    assert client.get(reverse("people:directory")).status_code == 200


def test_wrong_details_give_a_clear_message(client, primary_teacher):
    response = sign_in(client, primary_teacher.email, "not my password")

    assert response.status_code == 200
    assert "That email address and password do not match" in response.content.decode()


def test_signing_in_only_returns_to_pages_on_this_site(client, primary_teacher):
    response = client.post(
        f"{SIGN_IN_URL}?next=https://evil.example/",
        {"username": primary_teacher.email, "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/people/",
        "/people/me/",
        "/people/me/edit/",
        "/people/1/",
        "/people/?name=Patel",
    ],
)
def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(client, url):
    response = client.get(url)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/people/sign-in/"
    assert parse_qs(location.query)["next"] == [url]


@pytest.mark.parametrize(
    "url",
    ["/people/sign-in/", "/people/password-reset/", "/people/password-reset/sent/", "/healthz"],
)
def test_sign_in_password_reset_and_the_health_check_are_open_to_everyone(client, url):
    assert client.get(url).status_code == 200


def test_signing_out_is_a_post_only(staff_client):
    assert staff_client.get(reverse("people:sign_out")).status_code == 405
    assert staff_client.get(reverse("people:directory")).status_code == 200

    response = staff_client.post(reverse("people:sign_out"))

    assert response.status_code == 302
    assert staff_client.get(reverse("people:directory")).status_code == 302


def test_the_sixth_wrong_password_locks_that_account_from_any_address(
    client, primary_teacher, secondary_maths_lead
):
    for _ in range(4):
        wrong = sign_in(client, primary_teacher.email, "wrong", REMOTE_ADDR="10.0.0.7")
        assert "do not match" in wrong.content.decode()
    # The fifth failure reaches the limit, so axes already answers it with the locked-out page.
    fifth = sign_in(client, primary_teacher.email, "wrong", REMOTE_ADDR="10.0.0.7")
    assert fifth.status_code == 429

    locked = sign_in(client, primary_teacher.email, PASSWORD, REMOTE_ADDR="10.0.0.7")

    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username=primary_teacher.email)
    assert attempt.ip_address == "10.0.0.7"
    assert attempt.failures_since_start >= 5

    other_account = sign_in(client, secondary_maths_lead.email, PASSWORD, REMOTE_ADDR="10.0.0.7")
    assert other_account.status_code == 302
    client.logout()
    # Per account, not per address (tests/people/test_sign_in_hardening.py).
    other_address = sign_in(client, primary_teacher.email, PASSWORD, REMOTE_ADDR="10.0.0.8")
    assert other_address.status_code == 429


def reset_link(email: str) -> str:
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [email]
    assert message.subject == "Reset your Staffroom password"
    return re.search(r"https?://[^/]+(/people/password-reset/\S+/)", message.body).group(1)


def test_the_password_reset_email_has_a_link_that_sets_a_new_password(client, primary_teacher):
    response = client.post(
        reverse("people:password_reset"), {"email": "PRIYA.patel@oakfield.example"}
    )
    assert response["Location"] == reverse("people:password_reset_sent")

    form_page = client.get(reset_link(primary_teacher.email), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    saved = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )

    assert saved["Location"] == reverse("people:password_reset_complete")
    assert sign_in(client, primary_teacher.email, PASSWORD).status_code == 200
    assert sign_in(client, primary_teacher.email, "a brand new passphrase").status_code == 302


def test_a_used_reset_link_says_it_has_expired(client, primary_teacher):
    client.post(reverse("people:password_reset"), {"email": primary_teacher.email})
    link = reset_link(primary_teacher.email)
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )

    again = client.get(link, follow=True)

    assert "This link has expired" in again.content.decode()


def test_someone_imported_without_a_password_chooses_one_through_password_reset(client):
    csv = ",".join(COLUMNS) + "\r\nnew.starter@trust.example,New,Starter,,,Staff,,\r\n"
    staff_import(csv_file=csv.encode())

    client.post(reverse("people:password_reset"), {"email": "new.starter@trust.example"})

    form_page = client.get(reset_link("new.starter@trust.example"), follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "my first passphrase", "new_password2": "my first passphrase"},
    )
    assert Person.objects.get(email="new.starter@trust.example").has_usable_password()
    assert sign_in(client, "new.starter@trust.example", "my first passphrase").status_code == 302


def test_a_reset_for_an_unknown_or_switched_off_address_sends_nothing_and_says_the_same(
    client, primary_teacher
):
    primary_teacher.is_active = False
    primary_teacher.save()

    for email in ["nobody@nowhere.example", primary_teacher.email]:
        response = client.post(reverse("people:password_reset"), {"email": email})
        assert response["Location"] == reverse("people:password_reset_sent")

    assert mail.outbox == []

"""Sign-in hardening: the sixth attempt at an account within 30 minutes of five failures is
blocked, from any address, even with the right password, and it is logged; the lock lifts
after 30 minutes. Password resets are capped per account and per client address without
revealing which addresses have accounts. The sign-in pages let password managers and paste
do their work."""

import logging
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from people.forms import TwoStepCodeForm
from people.views import RESETS_PER_CLIENT, RESETS_PER_EMAIL
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SIGN_IN_URL = reverse("people:sign_in")
RESET_URL = reverse("people:password_reset")


def sign_in(client, email: str, password: str, address: str = "10.0.0.7"):
    return client.post(SIGN_IN_URL, {"username": email, "password": password}, REMOTE_ADDR=address)


def fail_five_times(client, email: str, addresses: list[str]) -> list[int]:
    return [
        sign_in(client, email, "wrong", addresses[n % len(addresses)]).status_code for n in range(5)
    ]


def test_the_sixth_attempt_is_blocked_even_with_the_right_password_and_is_logged(
    client, primary_teacher, caplog
):
    with caplog.at_level(logging.WARNING, logger="people.signals"):
        statuses = fail_five_times(client, primary_teacher.email, ["10.0.0.7"])

    assert statuses == [200, 200, 200, 200, 429]
    lockouts = AuditEntry.objects.filter(action=AuditEntry.Action.LOCKED_OUT)
    [locked] = lockouts
    assert locked.subject == primary_teacher and locked.address == "10.0.0.7"

    sixth = sign_in(client, primary_teacher.email, PASSWORD)

    assert sixth.status_code == 429
    assert "Too many sign-in attempts" in sixth.content.decode()
    assert "_auth_user_id" not in client.session
    # The blocked attempt is logged too.
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOCKED_OUT).count() == 2
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SIGN_IN_FAILED).count() >= 5
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.SIGN_IN).exists()
    assert any(
        f"locked for account {primary_teacher.pk}" in record.getMessage()
        for record in caplog.records
    )
    assert primary_teacher.email not in caplog.text


def test_spreading_the_attempts_over_many_addresses_does_not_avoid_the_lock(
    client, primary_teacher
):
    addresses = [f"198.51.100.{n}" for n in range(1, 6)]

    fail_five_times(client, primary_teacher.email, addresses)

    assert sign_in(client, primary_teacher.email, PASSWORD, "203.0.113.9").status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_one_account_only(client, primary_teacher, secondary_maths_lead):
    fail_five_times(client, primary_teacher.email, ["10.0.0.7"])

    assert sign_in(client, secondary_maths_lead.email, PASSWORD).status_code == 302


def test_four_failures_do_not_lock(client, primary_teacher):
    for _ in range(4):
        sign_in(client, primary_teacher.email, "wrong")

    assert sign_in(client, primary_teacher.email, PASSWORD).status_code == 302
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.LOCKED_OUT).exists()


def test_the_lock_lifts_after_thirty_minutes_and_is_not_extended_by_more_tries(
    client, primary_teacher
):
    fail_five_times(client, primary_teacher.email, ["10.0.0.7"])
    assert sign_in(client, primary_teacher.email, "still wrong").status_code == 429
    assert sign_in(client, primary_teacher.email, PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))

    assert sign_in(client, primary_teacher.email, PASSWORD).status_code == 302


# Password reset.


def ask_for_reset(client, email: str, address: str = "10.0.0.7"):
    return client.post(RESET_URL, {"email": email}, REMOTE_ADDR=address)


def test_resets_for_one_account_are_capped_each_hour_without_saying_so(client, primary_teacher):
    answers = [
        ask_for_reset(client, primary_teacher.email, f"10.0.1.{n}")
        for n in range(RESETS_PER_EMAIL + 2)
    ]

    assert len(mail.outbox) == RESETS_PER_EMAIL
    # Every answer is the same "check your email" page, sent or not.
    assert {answer.status_code for answer in answers} == {302}
    assert {answer["Location"] for answer in answers} == {reverse("people:password_reset_sent")}
    requested = AuditEntry.objects.filter(action=AuditEntry.Action.PASSWORD_RESET_REQUESTED)
    assert requested.count() == RESETS_PER_EMAIL
    assert {entry.subject for entry in requested} == {primary_teacher}


def test_the_cap_is_per_hour(client, primary_teacher):
    old = timezone.now() - timedelta(minutes=61)
    for _ in range(RESETS_PER_EMAIL):
        AuditEntry.objects.create(
            action=AuditEntry.Action.PASSWORD_RESET_REQUESTED,
            subject=primary_teacher,
            created_at=old,
        )

    ask_for_reset(client, primary_teacher.email)

    assert len(mail.outbox) == 1


def test_an_unknown_address_gets_the_same_answer_and_keeps_no_trace_of_itself(client):
    answer = ask_for_reset(client, "nobody.here@trust.example")

    assert answer.status_code == 302
    assert answer["Location"] == reverse("people:password_reset_sent")
    assert not mail.outbox
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PASSWORD_RESET_REQUESTED)
    assert entry.subject_id is None
    assert "nobody" not in repr([entry.reason, entry.detail])


def test_resets_from_one_client_address_are_capped_with_a_clear_message(client, primary_teacher):
    for n in range(RESETS_PER_CLIENT):
        ask_for_reset(client, f"someone.{n}@trust.example", "192.0.2.50")

    refused = ask_for_reset(client, primary_teacher.email, "192.0.2.50")

    assert refused.status_code == 429
    assert "Too many password resets" in refused.content.decode()
    assert not mail.outbox
    assert ask_for_reset(client, primary_teacher.email, "192.0.2.51").status_code == 302
    assert len(mail.outbox) == 1


# Password managers and paste.


def fields(html: str) -> dict[str, str]:
    """Each input's name and its whole tag."""
    return {
        re.search(r'name="([^"]+)"', tag).group(1): tag
        for tag in re.findall(r"<input\b[^>]*>", html)
        if 'name="' in tag
    }


def no_paste_blocking(html: str) -> None:
    lowered = html.lower()
    for blocker in ("onpaste", "oncopy", "oncut", "ondrop", 'autocomplete="off"'):
        assert blocker not in lowered, blocker


def test_the_sign_in_form_names_its_fields_for_password_managers(client):
    html = client.get(SIGN_IN_URL).content.decode()

    inputs = fields(html)
    assert 'autocomplete="username"' in inputs["username"]
    assert 'type="email"' in inputs["username"]
    assert 'autocomplete="current-password"' in inputs["password"]
    assert 'type="password"' in inputs["password"]
    no_paste_blocking(html)


def test_the_reset_pages_name_their_fields_for_password_managers(client, primary_teacher):
    reset = client.get(RESET_URL).content.decode()
    assert 'autocomplete="email"' in fields(reset)["email"]
    no_paste_blocking(reset)

    ask_for_reset(client, primary_teacher.email)
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    choose = client.get(client.get(link).url).content.decode()

    inputs = fields(choose)
    assert 'autocomplete="new-password"' in inputs["new_password1"]
    assert 'autocomplete="new-password"' in inputs["new_password2"]
    no_paste_blocking(choose)


def test_the_one_time_code_field_takes_codes_from_the_keyboard_or_a_paste():
    html = str(TwoStepCodeForm()["code"])

    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html
    no_paste_blocking(html)
    # A pasted code with spaces or a dash still counts.
    form = TwoStepCodeForm({"code": " 123-456 "})
    assert form.is_valid() and form.cleaned_data["code"] == "123456"

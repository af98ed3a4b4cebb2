"""The audit trail of sign-ins through the identity providers and of refusals, as trust admins
read it in the Wagtail admin. (The events themselves are written by the end-to-end sign-ins in
test_oidc_sign_in.py.)"""

from django.test import RequestFactory

from people.models import SignInEvent
from people.services import sign_in_event_record
from tests.factories import sign_in_with_identity_provider


def test_a_refusal_is_listed_for_trust_admins_newest_first(client, trust_admin, primary_teacher):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")
    sign_in_event_record(
        outcome=SignInEvent.Outcome.SIGNED_IN,
        request=request,
        provider="entra",
        email=primary_teacher.email,
        person=primary_teacher,
    )
    sign_in_event_record(
        outcome=SignInEvent.Outcome.REFUSED,
        request=request,
        reason="other_organisation",
        provider="entra",
        email="j.smith@another-trust.org.uk",
        detail="tenant 0b9e is not the trust's",
    )
    sign_in_with_identity_provider(client, trust_admin)

    page = client.get("/admin/sign-in-events/")

    assert page.status_code == 200
    text = page.content.decode()
    assert text.index("j.smith@another-trust.org.uk") < text.index(primary_teacher.email)
    assert "other_organisation" in text and "203.0.113.9" in text


def test_an_address_that_is_not_one_is_left_out_rather_than_failing(db):
    request = RequestFactory().get("/", REMOTE_ADDR="not an address")
    event = sign_in_event_record(
        outcome=SignInEvent.Outcome.REFUSED, request=request, reason="failed", detail="x" * 900
    )
    event.refresh_from_db()
    assert event.address is None
    assert len(event.detail) == 500


def test_only_trust_admins_read_the_sign_in_events(client, central_team_editor):
    sign_in_with_identity_provider(client, central_team_editor)
    assert client.get("/admin/sign-in-events/").status_code == 302

"""The one-time code that admins who sign in with a password give next: setting up an
authenticator app, codes at later sign-ins, wrong, reused and too many codes, who is not asked,
and websockets before the step. Codes are computed here from the device's own secret, as an
authenticator app does."""

import re
import time
from base64 import b32decode
from io import StringIO

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.asgi import application
from people.backends import IDENTITY_PROVIDER_BACKEND
from people.two_step import MAX_WRONG_CODES, has_admin_rights
from tests.factories import PASSWORD, PersonFactory

SIGN_IN = "/people/sign-in/"
SET_UP = "/people/sign-in/authenticator-app/"
CODE = "/people/sign-in/code/"


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """What an authenticator app holding the device's secret shows now (or a step later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def a_wrong_code(device: TOTPDevice) -> str:
    # Not any code the device would accept around now.
    accepted = {code_for(device, steps_ahead=step) for step in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1, 10) if f"{n:06d}" not in accepted)


def sign_in_with_password(client, person, next_url: str = "/"):
    return client.post(SIGN_IN, {"username": person.email, "password": PASSWORD, "next": next_url})


def set_up_app(client, person) -> TOTPDevice:
    page = client.get(SET_UP)
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    response = client.post(SET_UP, {"code": code_for(device)})
    assert response.status_code == 302, response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert page.status_code == 200
    return device


def errors(response) -> str:
    return " ".join(re.findall(r'class="field-error"[^>]*>(.*?)</p>', response.content.decode()))


def test_an_admin_who_signs_in_with_a_password_sets_up_an_app_then_reaches_the_admin(
    client, trust_admin
):
    signed_in = sign_in_with_password(client, trust_admin, next_url="/admin/")
    assert signed_in.status_code == 302

    sent = client.get("/admin/")
    assert sent.status_code == 302
    assert sent.headers["Location"] == f"{SET_UP}?next=%2Fadmin%2F"
    for elsewhere in ["/", "/people/", "/forums/", "/django-admin/"]:
        assert client.get(elsewhere).headers["Location"].startswith(SET_UP), elsewhere

    page = client.get(sent.headers["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "QR code for your authenticator app" in html
    device = TOTPDevice.objects.get(user=trust_admin, confirmed=False)
    typed = re.search(r"data-secret>([A-Z2-7 ]+)<", html).group(1)
    assert b32decode(typed.replace(" ", "")) == device.bin_key
    assert "otpauth://" not in html  # the setup link is only inside the QR code

    confirmed = client.post(sent.headers["Location"], {"code": code_for(device), "next": "/admin/"})

    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/people/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_the_next_password_sign_in_asks_for_a_code_from_the_app_set_up(client, trust_admin):
    sign_in_with_password(client, trust_admin)
    device = set_up_app(client, trust_admin)
    client.post("/people/sign-out/")

    sign_in_with_password(client, trust_admin, next_url="/admin/")
    sent = client.get("/admin/")
    assert sent.headers["Location"] == f"{CODE}?next=%2Fadmin%2F"
    # With an app set up, setting up another is not offered: only a code lets the session in.
    assert client.get(SET_UP).headers["Location"].startswith(CODE)
    assert TOTPDevice.objects.filter(user=trust_admin).count() == 1

    page = client.get(sent.headers["Location"])
    assert "Enter the code from your authenticator app" in page.content.decode()
    # The code the app shows a step later (the one set-up took is used up).
    accepted = client.post(CODE, {"code": code_for(device, steps_ahead=1), "next": "/admin/"})

    assert accepted.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused_with_a_clear_message(client, central_team_editor):
    sign_in_with_password(client, central_team_editor)
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=central_team_editor)

    refused = client.post(SET_UP, {"code": a_wrong_code(device)})
    not_digits = client.post(SET_UP, {"code": "12ab56"})

    assert refused.status_code == 400
    assert "That code is not right" in errors(refused)
    assert "using numbers only" in errors(not_digits)
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/admin/").headers["Location"].startswith(SET_UP)


def test_a_code_already_used_is_refused(client, trust_admin):
    sign_in_with_password(client, trust_admin)
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=trust_admin)
    used = code_for(device)
    assert client.post(SET_UP, {"code": used}).status_code == 302
    client.post("/people/sign-out/")
    sign_in_with_password(client, trust_admin)

    refused = client.post(CODE, {"code": used})

    assert refused.status_code == 400
    assert "That code has already been used" in errors(refused)
    assert client.get("/admin/").headers["Location"].startswith(CODE)


def test_after_five_wrong_codes_even_the_right_one_waits(client, trust_admin):
    sign_in_with_password(client, trust_admin)
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=trust_admin)
    for _ in range(MAX_WRONG_CODES - 1):
        assert "not right" in errors(client.post(SET_UP, {"code": a_wrong_code(device)}))

    fifth = client.post(SET_UP, {"code": a_wrong_code(device)})
    right_but_paused = client.post(SET_UP, {"code": code_for(device)})

    assert "Too many wrong codes" in errors(fifth)
    assert right_but_paused.status_code == 400
    assert "Too many wrong codes" in errors(right_but_paused)
    device.refresh_from_db()
    assert not device.confirmed


def test_staff_without_admin_rights_are_not_asked(client, primary_teacher, moderator):
    for person in [primary_teacher, moderator]:
        sign_in_with_password(client, person)
        assert client.get("/people/").status_code == 200
        client.post("/people/sign-out/")
    assert not TOTPDevice.objects.exists()


def test_an_admin_signed_in_through_the_identity_provider_is_not_asked(client, trust_admin):
    # The session the identity-provider sign-in opens (people.adapters names this backend;
    # tests/people/test_oidc_sign_in.py drives the whole flow to the Wagtail admin).
    client.force_login(trust_admin, backend=IDENTITY_PROVIDER_BACKEND)

    assert client.get("/admin/").status_code == 200
    assert not TOTPDevice.objects.exists()


def test_any_session_not_named_as_the_identity_providers_is_asked(client, trust_admin):
    client.force_login(trust_admin)  # no backend named: Django picks the password one

    assert client.get("/admin/").headers["Location"].startswith(SET_UP)


def test_the_django_admin_sign_in_form_leads_to_the_step_too(client, db):
    superuser = PersonFactory(is_superuser=True, is_staff=True)

    client.post("/django-admin/login/", {"username": superuser.email, "password": PASSWORD})

    assert client.get("/django-admin/").headers["Location"].startswith(SET_UP)


@pytest.mark.parametrize(
    "who, rights",
    [
        ("primary_teacher", False),
        ("moderator", False),
        ("secondary_maths_lead", False),
        ("central_team_editor", True),
        ("trust_admin", True),
    ],
)
def test_admin_rights_are_the_admin_sites_doors(request, who, rights):
    assert has_admin_rights(request.getfixturevalue(who)) is rights


def test_admin_rights_also_come_from_a_permission_given_directly_or_django_admin(db):
    given = PersonFactory()
    given.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )

    assert has_admin_rights(given)
    assert has_admin_rights(PersonFactory(is_staff=True))
    assert has_admin_rights(PersonFactory(is_superuser=True))
    assert not has_admin_rights(PersonFactory(is_superuser=True, is_active=False))


def test_signing_out_stays_open_before_the_step(client, trust_admin):
    sign_in_with_password(client, trust_admin)

    signed_out = client.post("/people/sign-out/")

    assert signed_out.status_code == 302
    assert client.get("/people/").headers["Location"].startswith(SIGN_IN)


def test_the_step_pages_send_everyone_else_on(client, primary_teacher):
    sign_in_with_password(client, primary_teacher)

    assert client.get(f"{SET_UP}?next=/forums/").headers["Location"] == "/forums/"
    assert client.get(f"{CODE}?next=https://elsewhere.example/").headers["Location"] == "/"


def _socket(cookie: bytes) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)]
    return WebsocketCommunicator(application, "/ws/ping/", headers=headers)


def _cookie(client) -> bytes:
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


# Committing, as the consumers need; the set-up page needs the migrations' Wagtail site back.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("from_migrations")
async def test_a_websocket_is_refused_until_the_step_is_passed(client):
    admin = await sync_to_async(PersonFactory)(is_staff=True)
    await sync_to_async(sign_in_with_password)(client, admin)

    before = _socket(_cookie(client))
    connected, _ = await before.connect()
    # Accepted and closed at once, so browsers see the code and stop retrying.
    assert connected
    assert (await before.receive_output())["code"] == 4401

    await sync_to_async(set_up_app)(client, admin)
    after = _socket(_cookie(client))
    connected, _ = await after.connect()
    assert connected
    await after.send_json_to({"type": "ping"})
    assert await after.receive_json_from() == {"type": "pong"}
    await after.disconnect()


def test_a_trust_admin_resets_another_admins_app_who_then_sets_up_a_new_one(
    client, trust_admin, central_team_editor
):
    sign_in_with_password(client, central_team_editor)
    old = set_up_app(client, central_team_editor)
    client.post("/people/sign-out/")
    client.force_login(trust_admin, backend=IDENTITY_PROVIDER_BACKEND)

    listed = client.get("/admin/authenticator-apps/")
    reset = client.post("/admin/authenticator-apps/", {"person": central_team_editor.pk})
    own = client.post("/admin/authenticator-apps/", {"person": trust_admin.pk})
    garbage = client.post("/admin/authenticator-apps/", {"person": "9" * 40})

    assert central_team_editor.email in listed.content.decode()
    assert reset.status_code == 302
    assert own.status_code == 302
    assert garbage.status_code == 302
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    client.post("/people/sign-out/")
    sign_in_with_password(client, central_team_editor)
    assert client.get("/admin/").headers["Location"].startswith(SET_UP)


def test_only_trust_admins_reset_authenticator_apps(client, central_team_editor):
    client.force_login(central_team_editor, backend=IDENTITY_PROVIDER_BACKEND)

    assert client.get("/admin/authenticator-apps/").status_code == 302


def test_the_development_command_prints_the_code_an_app_would_show(settings, client, trust_admin):
    sign_in_with_password(client, trust_admin)
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=trust_admin)
    with pytest.raises(CommandError, match="Only in development"):
        call_command("two_step_code", trust_admin.email)

    settings.DEBUG = True
    out = StringIO()
    call_command("two_step_code", trust_admin.email, stdout=out)

    assert client.post(SET_UP, {"code": out.getvalue().strip()}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed

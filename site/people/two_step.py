"""The second step after a password: a time-based one-time code (TOTP, RFC 6238) from an
authenticator app, for everyone with admin rights who signed in with a password.

Who is asked: an active person with admin rights, that is a superuser, anyone Django's admin
lets in (`is_staff`), or anyone holding Wagtail's `wagtailadmin.access_admin` (the central team
and trust admins through their roles, or anyone given it directly), whose session was not opened
by the trust's identity provider. People who signed in with Microsoft or Google are not asked:
their identity provider does multi-factor. A session counts as the identity provider's only when
its authentication backend is `people.backends.IdentityProviderBackend`, which only the
identity-provider sign-in sets (people.adapters); every other session (a password through any
sign-in form, or one made some other way) is asked, so a new way in fails closed.

Until the step is passed the session is not signed in for anything but the step itself and
signing out: pages redirect to it (TwoStepMiddleware) and websockets see nobody
(people.sockets). Codes are checked by django-otp's TOTP devices, which refuse a code
already used (each must come from a later time step than the last one accepted); wrong codes are
counted on the device, and after MAX_WRONG_CODES in a row no code is tried for WRONG_CODE_PAUSE.
"""

import logging
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from people.backends import IDENTITY_PROVIDER_BACKEND
from people.models import Person

logger = logging.getLogger("people.sign_in")

MAX_WRONG_CODES = 5
WRONG_CODE_PAUSE = timedelta(minutes=15)
DEVICE_NAME = "Authenticator app"


def has_admin_rights(person: Person) -> bool:
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return False
    # has_perm reads the permission cache every page's header fills anyway (its Publish link),
    # so asking here costs no extra query on a page.
    return person.is_staff or person.has_perm("wagtailadmin.access_admin")


def signed_in_through_identity_provider(session: SessionBase) -> bool:
    return session.get(BACKEND_SESSION_KEY) == IDENTITY_PROVIDER_BACKEND


def verified_device(person: Person, session: SessionBase) -> TOTPDevice | None:
    """The confirmed device of this person that this session passed the step with, if any."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return None
    device = Device.from_persistent_id(persistent_id)
    if device is None or device.user_id != person.pk or not device.confirmed:
        return None
    return device


def step_outstanding(person: Person, session: SessionBase) -> bool:
    """Whether this signed-in session still has to pass the step before it counts."""
    if not getattr(person, "is_authenticated", False):
        return False
    if signed_in_through_identity_provider(session):
        return False
    if verified_device(person, session) is not None:
        return False
    return has_admin_rights(person)


def confirmed_device(person: Person) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=person, confirmed=True).order_by("pk").first()


def device_to_set_up(person: Person) -> TOTPDevice:
    """The person's unconfirmed device, made once so that reloading keeps the same secret."""
    device = TOTPDevice.objects.filter(user=person, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=person, name=DEVICE_NAME, confirmed=False)
    return device


def device_confirm(*, device: TOTPDevice) -> TOTPDevice:
    """The device that passed set-up becomes the person's; any other half-set-up one goes."""
    with transaction.atomic():
        device.refresh_from_db()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user_id=device.user_id, confirmed=False).delete()
    logger.info("Two-step device set up person=%s", device.user_id)
    return device


def people_with_authenticator_apps() -> list[Person]:
    return list(Person.objects.filter(totpdevice__confirmed=True).distinct().order_by("email"))


def authenticator_reset(*, person_id: str, by: Person) -> Person | None:
    """Remove a person's authenticator apps, so their next password sign-in sets up a new one
    and sessions that passed the step with the old one are asked again. Never one's own: a
    trust admin who lost theirs asks another."""
    person_id = str(person_id)
    if not person_id.isdigit() or len(person_id) > 18:  # beyond any id: never a database error
        return None
    person = Person.objects.filter(pk=int(person_id)).first()
    if person is None or person.pk == by.pk:
        return None
    deleted, _ = TOTPDevice.objects.filter(user=person).delete()
    if not deleted:
        return None
    logger.warning("Two-step device reset person=%s by=%s", person.pk, by.pk)
    return person


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it when typed: base 32, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, light="#fff", title="QR code for your authenticator app"
    )


def paused_until(device: TOTPDevice) -> datetime | None:
    if device.throttling_failure_count < MAX_WRONG_CODES or not device.throttling_failure_timestamp:
        return None
    until = device.throttling_failure_timestamp + WRONG_CODE_PAUSE
    return until if until > timezone.now() else None


@dataclass(frozen=True)
class CodeCheck:
    accepted: bool
    message: str = ""


WRONG_CODE = "That code is not right. Enter the 6-digit code your authenticator app shows now."
USED_CODE = (
    "That code has already been used. Wait for your authenticator app to show a new code, "
    "then enter that one."
)
PAUSED = (
    "Too many wrong codes. To keep your account safe, codes cannot be tried again until {time}."
)


def _was_used_before(device: TOTPDevice, code: int) -> bool:
    """Whether a refused code is one the device already accepted: right for now, but not from a
    time step later than the last one used."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return totp.verify(code, device.tolerance)


def check_code(device: TOTPDevice, code: str, *, address: str = "-") -> CodeCheck:
    """Try a code against a device, counting wrong ones and pausing after too many."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if until := paused_until(device):
            return CodeCheck(False, PAUSED.format(time=timezone.localtime(until).strftime("%H:%M")))
        if device.verify_token(code):
            return CodeCheck(True)
    reused = _was_used_before(device, int(code))
    logger.warning(
        "Two-step code refused (%s) person=%s address=%s failures=%s",
        "reused" if reused else "wrong",
        device.user_id,
        address,
        device.throttling_failure_count,
    )
    if until := paused_until(device):
        return CodeCheck(False, PAUSED.format(time=timezone.localtime(until).strftime("%H:%M")))
    return CodeCheck(False, USED_CODE if reused else WRONG_CODE)


def pass_step(request: HttpRequest, device: TOTPDevice) -> None:
    """Mark the session as having passed the step, under a new session key."""
    request.session.cycle_key()
    otp_login(request, device)
    logger.info("Two-step code accepted person=%s", device.user_id)


def step_url(person: Person, next_url: str = "") -> str:
    name = "people:two_step_code" if confirmed_device(person) else "people:two_step_set_up"
    url = reverse(name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def two_step_exempt(view: Callable) -> Callable:
    """The step's own pages and signing out, reachable before the step is passed."""
    view.two_step_exempt = True
    return view


class TwoStepMiddleware:
    """Sends a session that still owes the step to it from every page that needs sign-in.
    After AuthenticationMiddleware; pages open to everyone (`login_not_required`) stay open."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs):
        if getattr(view_func, "two_step_exempt", False):
            return None
        if not getattr(view_func, "login_required", True):
            return None
        if not step_outstanding(request.user, request.session):
            return None
        return redirect(step_url(request.user, request.get_full_path()))

"""Signing in with the trust's Microsoft Entra ID or Google Workspace accounts, through
allauth's generic OpenID Connect provider: who may, which staff record they become, and what a
refusal looks like.

Only the trust's own organisations get in: Entra ID tokens must carry one of the trust's tenant
ids (`tid`) and that tenant's issuer, Google tokens one of its hosted domains (`hd`), both read
from the ID token (Microsoft's userinfo has no `tid`; Google's `hd` request parameter is only a
hint to its account picker). Every sign-in and every refusal is a SignInEvent, the audit trail
trust admins read in the Wagtail admin (Settings, "Sign-in events"), and is logged on the
`people.sign_in` logger.
"""

import logging
from enum import StrEnum

import jwt
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount, SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.base.constants import AuthError
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from requests import RequestException

from people.backends import IDENTITY_PROVIDER_BACKEND
from people.models import Person, School, SignInEvent
from people.roles import Role
from people.services import sign_in_event_record

logger = logging.getLogger("people.sign_in")

ENTRA_ISSUER = "https://login.microsoftonline.com/{tid}/v2.0"


class Refusal(StrEnum):
    OTHER_ORGANISATION = "other_organisation"
    NO_EMAIL = "no_email"
    ALREADY_LINKED = "already_linked"
    INACTIVE = "inactive"
    NOT_OFFERED = "not_offered"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"
    CANCELLED = "cancelled"


REFUSALS: dict[Refusal, tuple[int, str, str]] = {
    Refusal.OTHER_ORGANISATION: (
        403,
        "This account isn't from one of the trust's organisations",
        "This account isn't from one of the trust's organisations, so it cannot be used to "
        "sign in to Staffroom. Sign in with the {provider} account your school gave you.",
    ),
    Refusal.NO_EMAIL: (
        403,
        "Your email address was not shared",
        "{provider} did not share your email address, so Staffroom cannot tell who you are. "
        "Ask your trust admin for help.",
    ),
    Refusal.ALREADY_LINKED: (
        403,
        "That email address is already in use",
        "Another member of staff's Staffroom account already uses that email address with a "
        "different {provider} account. Nothing has been changed. Ask your trust admin for help.",
    ),
    Refusal.INACTIVE: (
        403,
        "This account has been switched off",
        "This account has been switched off. Ask your trust admin for help.",
    ),
    Refusal.NOT_OFFERED: (
        400,
        "That cannot be done here",
        "Staffroom only signs you in with {provider}; it cannot link accounts this way.",
    ),
    Refusal.FAILED: (
        400,
        "Signing in did not work",
        "Signing in with {provider} could not be checked: the sign-in may have expired, been "
        "used already or been started in another window. Nothing has been changed. "
        "Start again from the sign-in page.",
    ),
    Refusal.UNAVAILABLE: (
        503,
        "We could not reach {provider}",
        "Staffroom could not reach {provider} just now. Try again in a few minutes; if it keeps "
        "happening, tell your trust admin.",
    ),
    Refusal.CANCELLED: (
        200,
        "Signing in was cancelled",
        "You cancelled signing in with {provider}. Nothing has been changed.",
    ),
}


def refusal_response(
    request: HttpRequest,
    refusal: Refusal,
    *,
    provider_name: str = "your identity provider",
    provider_id: str = "",
    email: str = "",
    detail: str = "",
) -> HttpResponse:
    """Log the refusal and render the page that explains it."""
    logger.warning(
        "Sign-in refused (%s) provider=%s email=%s address=%s detail=%s",
        refusal.value,
        provider_id or "-",
        email or "-",
        request.META.get("REMOTE_ADDR", "-"),
        detail or "-",
        extra={"refusal": refusal.value, "provider": provider_id, "email": email},
    )
    sign_in_event_record(
        outcome=SignInEvent.Outcome.REFUSED,
        request=request,
        reason=refusal.value,
        provider=provider_id,
        email=email,
        detail=detail,
    )
    status, title, message = REFUSALS[refusal]
    context = {
        "title": title.format(provider=provider_name),
        "message": message.format(provider=provider_name),
        "refusal": refusal.value,
    }
    return render(request, "people/sign_in_refused.html", context, status=status)


def _provider_label(app) -> str:
    return getattr(app, "name", "") or "your identity provider"


def _entra_issuers(server_url: str, tenant_ids: list[str]) -> set[str]:
    """The issuer each trust tenant signs with: the configured server URL with the tenant id in
    it swapped for each of the trust's tenants (all lower case)."""
    base = server_url.removesuffix("/.well-known/openid-configuration").rstrip("/").lower()
    template = ENTRA_ISSUER
    for tenant in tenant_ids:
        if f"/{tenant}/" in f"{base}/":
            template = base.replace(tenant, "{tid}")
            break
    return {template.format(tid=tenant) for tenant in tenant_ids}


def organisation_refusal(app_settings: dict, claims: dict) -> str | None:
    """Why an ID token's claims are not from one of the trust's organisations, or None."""
    kind = app_settings.get("kind")
    if kind == "entra":
        tenants = [str(tenant).lower() for tenant in app_settings.get("tenant_ids", [])]
        tid = str(claims.get("tid", "")).lower()
        if not tid or tid not in tenants:
            return f"tenant {tid or 'missing'} is not the trust's"
        issuers = _entra_issuers(app_settings.get("server_url", ""), tenants)
        if str(claims.get("iss", "")).rstrip("/").lower() not in issuers:
            return f"issuer {claims.get('iss')} is not the tenant's"
        return None
    if kind == "google":
        domains = [str(domain).lower() for domain in app_settings.get("hosted_domains", [])]
        hd = str(claims.get("hd", "")).lower()
        if not hd or hd not in domains:
            return f"hosted domain {hd or 'missing'} is not the trust's"
        return None
    # An app without the trust's organisations named cannot let anyone in.
    return f"the app's kind {kind!r} names none of the trust's organisations"


def _names(claims: dict, userinfo: dict) -> tuple[str, str]:
    given = claims.get("given_name") or userinfo.get("given_name") or ""
    family = claims.get("family_name") or userinfo.get("family_name") or ""
    if not (given or family):
        full = (claims.get("name") or userinfo.get("name") or "").strip()
        given, _, family = full.partition(" ")
    return given.strip()[:100], family.strip()[:100]


def school_for_email(email: str) -> School | None:
    """The home school the trust maps this email's domain to, if any."""
    domain = email.rpartition("@")[2].lower()
    mapping = {key.lower(): value for key, value in settings.STAFFROOM_SCHOOL_EMAIL_DOMAINS.items()}
    urn = mapping.get(domain)
    return School.objects.filter(urn=urn).first() if urn else None


class StaffSocialAccountAdapter(DefaultSocialAccountAdapter):
    def _refuse(self, request: HttpRequest, sociallogin: SocialLogin, refusal: Refusal, **kw):
        app = sociallogin.account.get_provider(request).app
        raise ImmediateHttpResponse(
            refusal_response(
                request,
                refusal,
                provider_name=_provider_label(app),
                provider_id=sociallogin.account.provider,
                **kw,
            )
        )

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        app = sociallogin.account.get_provider(request).app
        claims = sociallogin.account.extra_data.get("id_token") or {}
        userinfo = sociallogin.account.extra_data.get("userinfo") or {}
        email = str(claims.get("email") or userinfo.get("email") or "").strip().lower()

        if sociallogin.state.get("process", AuthProcess.LOGIN) != AuthProcess.LOGIN:
            self._refuse(request, sociallogin, Refusal.NOT_OFFERED, email=email)
        if reason := organisation_refusal(app.settings, claims):
            self._refuse(
                request, sociallogin, Refusal.OTHER_ORGANISATION, email=email, detail=reason
            )
        if not email or "@" not in email:
            self._refuse(request, sociallogin, Refusal.NO_EMAIL)
        # Entra ID never says an email is verified; the trust's own tenant or domain vouches.
        for address in sociallogin.email_addresses:
            address.verified = True
        first_name, last_name = _names(claims, userinfo)

        if sociallogin.is_existing:
            person = sociallogin.user
        else:
            person = Person.objects.filter(email__iexact=email).first()
            if person is None:
                sociallogin.user.backend = IDENTITY_PROVIDER_BACKEND
                return  # allauth signs them up: see populate_user and save_user
            provider_id = sociallogin.account.provider
            if SocialAccount.objects.filter(user=person, provider=provider_id).exists():
                self._refuse(
                    request,
                    sociallogin,
                    Refusal.ALREADY_LINKED,
                    email=email,
                    detail=f"person {person.pk} is linked to another account",
                )
        if not person.is_active:
            self._refuse(request, sociallogin, Refusal.INACTIVE, email=email)
        clash = Person.objects.filter(email__iexact=email).exclude(pk=person.pk)
        if clash.exists():
            self._refuse(
                request,
                sociallogin,
                Refusal.ALREADY_LINKED,
                email=email,
                detail=f"person {person.pk} would take another person's email",
            )
        with transaction.atomic():
            self._keep_in_step(person, email=email, first_name=first_name, last_name=last_name)
            if not sociallogin.is_existing:
                sociallogin.connect(request, person)
        # Names the session as the identity provider's, which does multi-factor itself, so
        # admins are not asked for a code as well (people.two_step).
        sociallogin.user.backend = IDENTITY_PROVIDER_BACKEND
        logger.info("Signed in person=%s provider=%s", person.pk, sociallogin.account.provider)
        sign_in_event_record(
            outcome=SignInEvent.Outcome.SIGNED_IN,
            request=request,
            provider=sociallogin.account.provider,
            email=email,
            person=person,
        )

    def _keep_in_step(self, person: Person, *, email: str, first_name: str, last_name: str):
        """Name and email follow the identity provider on every sign-in."""
        wanted = {"email": email, "first_name": first_name, "last_name": last_name}
        changed = [
            field for field, value in wanted.items() if value and getattr(person, field) != value
        ]
        for field in changed:
            setattr(person, field, wanted[field])
        if changed:
            person.save(update_fields=changed)

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict) -> Person:
        claims = sociallogin.account.extra_data.get("id_token") or {}
        userinfo = sociallogin.account.extra_data.get("userinfo") or {}
        person = sociallogin.user
        person.email = str(claims.get("email") or userinfo.get("email") or "").strip().lower()
        person.first_name, person.last_name = _names(claims, userinfo)
        return person

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form=None) -> Person:
        person = sociallogin.user
        person.set_unusable_password()
        person.school = school_for_email(person.email)
        person = super().save_user(request, sociallogin, form)
        person.groups.add(Group.objects.get_or_create(name=Role.STAFF.value)[0])
        if person.school is None:
            # Asked once, straight after this first sign-in, then on to where they were going.
            wanted = sociallogin.state.get("next") or "/"
            query = urlencode({"next": wanted})
            sociallogin.state["next"] = f"{reverse('people:choose_school')}?{query}"
        logger.info("Signed up person=%s provider=%s", person.pk, sociallogin.account.provider)
        sign_in_event_record(
            outcome=SignInEvent.Outcome.SIGNED_UP,
            request=request,
            provider=sociallogin.account.provider,
            email=person.email,
            person=person,
        )
        return person

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider,
        error=None,
        exception=None,
        extra_context=None,
    ) -> None:
        refusal, detail = Refusal.FAILED, str(error or "")
        if error == AuthError.CANCELLED:
            refusal = Refusal.CANCELLED
        elif isinstance(exception, OAuth2Error) and isinstance(
            exception.__cause__, jwt.InvalidIssuerError
        ):
            # A token from another Entra tenant names that tenant as its issuer, so allauth's
            # issuer check refuses it before pre_social_login could look at its tid.
            refusal, detail = Refusal.OTHER_ORGANISATION, "issuer is not the trust's tenant"
        elif isinstance(exception, RequestException):
            refusal = Refusal.UNAVAILABLE
        if exception is not None:
            detail = f"{detail} {type(exception).__name__}: {exception}".strip()
        raise ImmediateHttpResponse(
            refusal_response(
                request,
                refusal,
                provider_name=_provider_label(getattr(provider, "app", None)),
                provider_id=getattr(getattr(provider, "app", None), "provider_id", ""),
                detail=detail,
            )
        )

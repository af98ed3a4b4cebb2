import logging
from datetime import timedelta

from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from requests import RequestException

from audit import selectors as audit_selectors
from audit.context import client_address
from audit.models import AuditEntry
from audit.services import record as audit_record
from config.files import file_response
from people import selectors, services, subject_access, two_step
from people.adapters import Refusal, refusal_response
from people.forms import (
    DirectoryFilterForm,
    HomeSchoolForm,
    ProfileForm,
    SignInForm,
    TwoStepCodeForm,
)
from people.models import Person
from people.two_step import two_step_exempt

logger = logging.getLogger("people.sign_in")

DIRECTORY_PAGE_SIZE = 30


def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    people = selectors.staff_directory(
        name=filters.get("name", ""),
        school_id=filters["school"].pk if filters.get("school") else None,
        subject_id=filters["subject"].pk if filters.get("subject") else None,
        role=filters.get("role", ""),
    )
    page = Paginator(people, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "people/directory.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def profile(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        person = selectors.person_profile(pk=pk)
    except Person.DoesNotExist as missing:
        raise Http404("No member of staff has that number.") from missing
    return render(
        request,
        "people/profile.html",
        {"person": person, "is_me": person.pk == request.user.pk},
    )


def my_profile(request: HttpRequest) -> HttpResponse:
    return redirect("people:profile", pk=request.user.pk)


def profile_edit(request: HttpRequest) -> HttpResponse:
    # A copy of the signed-in person, so a rejected form never shows in the page's header.
    me = selectors.person_for_edit(pk=request.user.pk)
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=me)
        if form.is_valid():
            services.profile_update(
                person=me, **{name: form.cleaned_data[name] for name in ProfileForm.Meta.fields}
            )
            messages.success(request, "Your profile has been saved.")
            return redirect("people:my_profile")
    else:
        form = ProfileForm(instance=me)
    return render(
        request, "people/profile_edit.html", {"form": form}, status=400 if form.errors else 200
    )


# Signing in.


def identity_providers(request: HttpRequest) -> list[dict[str, str]]:
    """The trust's identity providers, as sign-in buttons: Microsoft first, then Google."""
    apps = get_social_adapter().list_apps(request, provider="openid_connect")
    order = {"entra": 0, "google": 1}
    apps = sorted(apps, key=lambda app: (order.get(app.settings.get("kind"), 2), app.name))
    return [
        {
            "name": app.name,
            "url": reverse("openid_connect_login", kwargs={"provider_id": app.provider_id}),
        }
        for app in apps
    ]


class SignInView(auth_views.LoginView):
    template_name = "people/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["identity_providers"] = identity_providers(self.request)
        context["local_sign_in"] = settings.STAFFROOM_LOCAL_SIGN_IN
        return context


def _provider_name(request: HttpRequest, provider_id: str) -> str:
    apps = get_social_adapter().list_apps(request, provider="openid_connect")
    return next((app.name for app in apps if app.provider_id == provider_id), "")


def _unreachable(request: HttpRequest, provider_id: str, error: Exception) -> HttpResponse:
    return refusal_response(
        request,
        Refusal.UNAVAILABLE,
        provider_name=_provider_name(request, provider_id) or "your identity provider",
        provider_id=provider_id,
        detail=f"{type(error).__name__}: {error}",
    )


# What reading the provider's discovery document raises when the provider is down or answers
# garbage; allauth reads it outside its own error handling.
DISCOVERY_ERRORS = (RequestException, ValueError, KeyError, TypeError)


@login_not_required
def identity_provider_sign_in(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        return oidc_views.login(request, provider_id)
    except DISCOVERY_ERRORS as error:
        return _unreachable(request, provider_id, error)


@login_not_required
def identity_provider_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        return oidc_views.callback(request, provider_id)
    except DISCOVERY_ERRORS as error:
        return _unreachable(request, provider_id, error)


@login_not_required
def identity_provider_failed(request: HttpRequest) -> HttpResponse:
    """Where allauth sends a sign-in it could not finish (a cancelled one, or one it would
    have asked more questions about): we ask none, so each is a plain refusal."""
    cancelled = request.resolver_match.url_name == "socialaccount_login_cancelled"
    return refusal_response(request, Refusal.CANCELLED if cancelled else Refusal.FAILED)


def choose_school(request: HttpRequest) -> HttpResponse:
    """Asked once, after a first sign-in whose email domain maps to no school."""
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    # Only a path on this site: redirect() takes any other word for the name of a view.
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}
    ):
        next_url = "/"
    if request.method == "POST":
        form = HomeSchoolForm(request.POST)
        if form.is_valid():
            me = Person.objects.get(pk=request.user.pk)
            me.school = form.cleaned_data["school"]
            me.save(update_fields=["school"])
            return redirect(next_url)
    else:
        form = HomeSchoolForm(initial={"school": request.user.school})
    return render(
        request,
        "people/choose_school.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )


# The second step for admins who signed in with a password (people.two_step).


def _safe_next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return settings.LOGIN_REDIRECT_URL


def _check(request: HttpRequest, form: TwoStepCodeForm, device) -> bool:
    if not form.is_valid():
        return False
    result = two_step.check_code(
        device, form.cleaned_data["code"], address=request.META.get("REMOTE_ADDR", "-")
    )
    if not result.accepted:
        form.add_error("code", result.message)
    return result.accepted


@two_step_exempt
def two_step_set_up(request: HttpRequest) -> HttpResponse:
    """An admin with no authenticator app set up yet adds one: the secret is shown as a QR code
    and as text, and a code from the app confirms it."""
    next_url = _safe_next(request)
    if not two_step.step_outstanding(request.user, request.session):
        return redirect(next_url)
    if two_step.confirmed_device(request.user) is not None:
        # Only a code from the app already set up lets a session in; a trust admin can reset it.
        return redirect(two_step.step_url(request.user, next_url))
    device = two_step.device_to_set_up(request.user)
    form = TwoStepCodeForm(request.POST or None)
    if request.method == "POST" and _check(request, form, device):
        device = two_step.device_confirm(device=device)
        two_step.pass_step(request, device)
        messages.success(
            request,
            "Your authenticator app is set up. Keep it with you: "
            "you will need a code from it each time you sign in with a password.",
        )
        return redirect(next_url)
    context = {
        "form": form,
        "next": next_url,
        "secret": two_step.secret_for_typing(device),
        "qr_code": two_step.qr_code_svg(device),
        "two_step_outstanding": True,
    }
    return render(
        request, "people/two_step_set_up.html", context, status=400 if form.errors else 200
    )


@two_step_exempt
def two_step_code(request: HttpRequest) -> HttpResponse:
    """An admin who signed in with a password gives the code their authenticator app shows."""
    next_url = _safe_next(request)
    if not two_step.step_outstanding(request.user, request.session):
        return redirect(next_url)
    device = two_step.confirmed_device(request.user)
    if device is None:
        return redirect(two_step.step_url(request.user, next_url))
    form = TwoStepCodeForm(request.POST or None)
    if request.method == "POST" and _check(request, form, device):
        two_step.pass_step(request, device)
        return redirect(next_url)
    context = {"form": form, "next": next_url, "two_step_outstanding": True}
    return render(request, "people/two_step_code.html", context, status=400 if form.errors else 200)


# Password reset, capped so that nobody can flood a colleague's inbox or probe many addresses.

RESET_WINDOW = timedelta(hours=1)
RESETS_PER_EMAIL = 3
RESETS_PER_CLIENT = 10

reset_logger = logging.getLogger("people.password_reset")


class StaffPasswordResetView(auth_views.PasswordResetView):
    """Django's reset, counted in the audit log: at most RESETS_PER_EMAIL links an hour to one
    account (more requests get the same "check your email" page, so it reveals nothing), and
    at most RESETS_PER_CLIENT requests an hour from one client address."""

    def form_valid(self, form) -> HttpResponse:
        address = client_address(self.request)
        if (
            address
            and audit_selectors.count_recent(
                action=AuditEntry.Action.PASSWORD_RESET_REQUESTED,
                within=RESET_WINDOW,
                address=address,
            )
            >= RESETS_PER_CLIENT
        ):
            reset_logger.warning("Password reset refused: too many from %s", address)
            form.add_error(
                None,
                "Too many password resets have been asked for from your network in the last "
                "hour. Wait an hour and try again, or ask your trust admin for help.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        person = form.get_users(form.cleaned_data["email"]).first()
        if (
            person is not None
            and audit_selectors.count_recent(
                action=AuditEntry.Action.PASSWORD_RESET_REQUESTED,
                within=RESET_WINDOW,
                subject_id=person.pk,
            )
            >= RESETS_PER_EMAIL
        ):
            reset_logger.warning("Password reset refused: too many for account %s", person.pk)
            return redirect(self.get_success_url())
        audit_record(
            action=AuditEntry.Action.PASSWORD_RESET_REQUESTED, subject=person, request=self.request
        )
        return super().form_valid(form)


# Data protection: a person's own subject access download.


def my_data(request: HttpRequest) -> HttpResponse:
    """ "Download my data": the page explains what comes; a POST builds the archive and sends it."""
    if request.method == "POST":
        return subject_access_response(request, person=request.user)
    return render(request, "people/my_data.html")


def subject_access_response(request: HttpRequest, *, person: Person) -> FileResponse:
    """The zip of everything about `person`, made for (and audited as by) the request's user."""
    archive = subject_access.subject_access_build(person=person, by=request.user)
    # Streamed in blocks; closing the temporary file at the end deletes it.
    return file_response(
        request,
        archive,
        as_attachment=True,
        filename=subject_access.download_name(person),
        content_type="application/zip",
    )

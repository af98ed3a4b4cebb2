"""Signing in with Microsoft Entra ID and Google Workspace, end to end and without a browser:
Django's live server, then a real OpenID provider on 127.0.0.1 that sends people back to its
exact callback URL, and a requests session playing the browser between them."""

import logging
import os
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import Group

from people.adapters import organisation_refusal
from people.models import Person, SignInEvent
from people.roles import Role
from people.staff_import import COLUMNS, staff_import
from tests.factories import PASSWORD, PersonFactory, SchoolFactory
from tests.oidc.provider import OIDCProvider, ProviderUser, oidc_provider, sign_in
from tests.services import free_port

pytestmark = pytest.mark.oidc
# The live server answers from another thread, so tests commit; the migrations' data (Wagtail's
# site, the roles) is put back before each (not by serialized_rollback: it clashes with the
# roles the previous test's flush has already put back).
live = pytest.mark.usefixtures("from_migrations")

TRUST_TENANT = "6f1c2a4e-1b7d-4c55-9a0e-3d2f8b7c1e90"
OTHER_TENANT = "0b9e7d3c-5a41-4f2e-8c6d-1e2f3a4b5c6d"
TRUST_DOMAIN = "oakfield-trust.org.uk"
OTHER_ORGANISATION = "This account isn't from one of the trust's organisations"

trust_teacher = ProviderUser(f"a.khan@{TRUST_DOMAIN}", "Aisha Khan")
trust_lead = ProviderUser(f"s.jones@{TRUST_DOMAIN}", "Sam Jones")
switched_off_teacher = ProviderUser(f"d.wood@{TRUST_DOMAIN}", "Dan Wood")
other_tenant_teacher = ProviderUser(
    "j.smith@another-trust.org.uk", "John Smith", tenant_id=OTHER_TENANT
)
workspace_teacher = ProviderUser(f"r.patel@{TRUST_DOMAIN}", "Ravi Patel", hd=TRUST_DOMAIN)
unmapped_workspace_teacher = ProviderUser(
    "m.ali@central.oakfield-trust.org.uk", "Mina Ali", hd=TRUST_DOMAIN
)
gmail_user = ProviderUser("ravi.patel.home@gmail.com", "Ravi Patel")


TRUST_ISSUER = f"https://login.microsoftonline.com/{TRUST_TENANT}/v2.0"
ENTRA = {"kind": "entra", "server_url": TRUST_ISSUER, "tenant_ids": [TRUST_TENANT]}
GOOGLE = {
    "kind": "google",
    "server_url": "https://accounts.google.com",
    "hosted_domains": [TRUST_DOMAIN],
}


def callback_url(live_server, provider_id: str) -> str:
    return f"{base_url(live_server)}/accounts/oidc/{provider_id}/login/callback/"


def base_url(live_server) -> str:
    # The providers and the callback use 127.0.0.1 everywhere, never "localhost".
    return live_server.url.replace("localhost", "127.0.0.1")


@pytest.fixture(scope="module")
def entra(live_server) -> Iterator[OIDCProvider]:
    users = [trust_teacher, trust_lead, switched_off_teacher, other_tenant_teacher]
    redirect = callback_url(live_server, "entra")
    with oidc_provider("entra", [redirect], users, tenant_id=TRUST_TENANT) as provider:
        yield provider


@pytest.fixture(scope="module")
def google(live_server) -> Iterator[OIDCProvider]:
    users = [workspace_teacher, unmapped_workspace_teacher, gmail_user]
    with oidc_provider("google", [callback_url(live_server, "google")], users) as provider:
        yield provider


def app(provider_id: str, name: str, provider: OIDCProvider, **extra) -> dict:
    return {
        "provider_id": provider_id,
        "name": name,
        "client_id": provider.client_id,
        "secret": provider.client_secret,
        "settings": {
            "server_url": provider.server_url,
            "token_auth_method": provider.token_auth_method,
            "oauth_pkce_enabled": True,
            **extra,
        },
    }


@pytest.fixture
def trust_apps(settings, entra: OIDCProvider, google: OIDCProvider):
    """The trust's Microsoft tenant and Google Workspace domain, as the environment sets them."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                app("entra", "Microsoft", entra, kind="entra", tenant_ids=[TRUST_TENANT]),
                app("google", "Google", google, kind="google", hosted_domains=[TRUST_DOMAIN]),
            ]
        }
    }
    settings.STAFFROOM_SCHOOL_EMAIL_DOMAINS = {TRUST_DOMAIN: "141001"}
    return settings


@pytest.fixture
def schools():
    return (
        SchoolFactory(name="Oakfield Primary", urn="141001"),
        SchoolFactory(name="Riverside Academy", urn="141002", phase="secondary"),
    )


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._in_button = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"action": values.get("action", ""), "fields": {}, "button": ""})
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1]["fields"][values["name"]] = values.get("value", "")
        elif tag == "button" and self.forms:
            self._in_button = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._in_button = False

    def handle_data(self, data: str) -> None:
        if self._in_button:
            self.forms[-1]["button"] += data.strip()


class Browser:
    """A requests session that clicks the sign-in page's buttons and follows the provider."""

    def __init__(self, live_server) -> None:
        self.base = base_url(live_server)
        self.session = requests.Session()

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(urljoin(self.base, path), timeout=10, **kwargs)

    def click_provider_button(self, button: str, *, next_url: str = "") -> requests.Response:
        query = f"?{urlencode({'next': next_url})}" if next_url else ""
        page = self.get(f"/people/sign-in/{query}")
        assert page.status_code == 200
        parser = _Forms()
        parser.feed(page.text)
        form = next((form for form in parser.forms if form["button"] == button), None)
        assert form is not None, f"No {button!r} button on the sign-in page"
        return self.session.post(
            urljoin(page.url, form["action"]),
            data=form["fields"],
            allow_redirects=False,
            timeout=10,
        )

    def sign_in_with(
        self, button: str, provider_id: str, user: ProviderUser, *, next_url: str = ""
    ) -> requests.Response:
        """Press the button, sign in at the provider, come back: the callback's answer."""
        started = self.click_provider_button(button, next_url=next_url)
        assert started.status_code == 302, started.text[:2000]
        callback = f"{self.base}/accounts/oidc/{provider_id}/login/callback/"
        returned = sign_in(self.session, started.headers["Location"], callback, user)
        self.last_callback = returned
        return self.session.get(returned, allow_redirects=False, timeout=10)

    def is_signed_in(self) -> bool:
        # The staff directory is for signed-in staff only.
        return self.get("/people/", allow_redirects=False).status_code == 200


def import_staff(*rows: str) -> None:
    csv = ("\r\n".join([",".join(COLUMNS), *rows]) + "\r\n").encode()
    report = staff_import(csv_file=csv)
    assert report.ok, report.problems


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The refusals logged, which must also be the refusals in the audit trail."""
    logged = [
        record.refusal
        for record in caplog.records
        if record.name == "people.sign_in" and hasattr(record, "refusal")
    ]
    recorded = SignInEvent.objects.filter(outcome=SignInEvent.Outcome.REFUSED).order_by("pk")
    assert [event.reason for event in recorded] == logged
    return logged


@live
def test_the_sign_in_page_offers_microsoft_and_google_beside_the_password(trust_apps, live_server):
    page = Browser(live_server).get("/people/sign-in/")

    parser = _Forms()
    parser.feed(page.text)
    assert [form["button"] for form in parser.forms] == [
        "Sign in with Microsoft",
        "Sign in with Google",
        "Sign in",
    ]
    assert all("csrfmiddlewaretoken" in form["fields"] for form in parser.forms)


@live
def test_a_trust_teacher_signs_in_with_microsoft_as_their_imported_staff_record(
    trust_apps, schools, live_server
):
    import_staff(f"A.Khan@{TRUST_DOMAIN},Ayesha,Khan,Year 5 teacher,141002,Staff,,Primary")
    imported = Person.objects.get(email=trust_teacher.email)
    browser = Browser(live_server)

    response = browser.sign_in_with("Sign in with Microsoft", "entra", trust_teacher)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    assert browser.is_signed_in()
    assert Person.objects.count() == 1
    person = Person.objects.get()
    assert person.pk == imported.pk
    # Name in step with Microsoft; the school from the staff list stays.
    assert (person.first_name, person.last_name) == ("Aisha", "Khan")
    assert person.school.urn == "141002"
    assert not person.has_usable_password()
    account = SocialAccount.objects.get()
    assert (account.user_id, account.provider) == (person.pk, "entra")
    assert account.extra_data["id_token"]["tid"] == TRUST_TENANT
    event = SignInEvent.objects.get()
    assert (event.outcome, event.person, event.provider) == ("signed_in", person, "entra")
    assert (event.email, event.address) == (trust_teacher.email.lower(), "127.0.0.1")


@live
def test_signing_in_again_finds_the_same_person_and_keeps_their_name_in_step(
    trust_apps, schools, live_server
):
    Browser(live_server).sign_in_with("Sign in with Microsoft", "entra", trust_lead)
    Person.objects.filter(email=trust_lead.email).update(first_name="Old", last_name="Name")

    browser = Browser(live_server)
    response = browser.sign_in_with("Sign in with Microsoft", "entra", trust_lead)

    assert response.status_code == 302
    assert browser.is_signed_in()
    person = Person.objects.get()
    assert (person.first_name, person.last_name) == ("Sam", "Jones")
    assert SocialAccount.objects.count() == 1


@live
def test_a_teacher_from_another_tenant_is_refused_and_no_account_is_made(
    trust_apps, live_server, caplog
):
    caplog.set_level(logging.INFO, logger="people.sign_in")
    browser = Browser(live_server)

    response = browser.sign_in_with("Sign in with Microsoft", "entra", other_tenant_teacher)

    assert response.status_code == 403
    assert OTHER_ORGANISATION in response.text.replace("&#x27;", "'")
    assert not browser.is_signed_in()
    assert not Person.objects.exists()
    assert not SocialAccount.objects.exists()
    assert refusals(caplog) == ["other_organisation"]


@live
def test_a_trust_token_for_a_tenant_not_listed_is_refused_on_its_tid(
    settings, entra, live_server, caplog
):
    # The issuer is right (the app points at that tenant) but the trust lists another tenant.
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [app("entra", "Microsoft", entra, kind="entra", tenant_ids=[OTHER_TENANT])]
        }
    }
    caplog.set_level(logging.INFO, logger="people.sign_in")

    response = Browser(live_server).sign_in_with("Sign in with Microsoft", "entra", trust_teacher)

    assert response.status_code == 403
    assert not Person.objects.exists()
    assert refusals(caplog) == ["other_organisation"]


@live
def test_a_workspace_teacher_signs_in_with_google_and_gets_the_school_of_their_domain(
    trust_apps, schools, live_server
):
    browser = Browser(live_server)

    response = browser.sign_in_with("Sign in with Google", "google", workspace_teacher)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    assert browser.is_signed_in()
    person = Person.objects.get()
    assert person.email == workspace_teacher.email
    assert (person.first_name, person.last_name) == ("Ravi", "Patel")
    assert person.school.urn == "141001"
    assert person.groups.filter(name=Role.STAFF.value).exists()


@live
def test_a_new_teacher_whose_domain_maps_to_no_school_is_asked_once(
    trust_apps, schools, live_server
):
    browser = Browser(live_server)

    response = browser.sign_in_with(
        "Sign in with Google", "google", unmapped_workspace_teacher, next_url="/people/"
    )

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/people/sign-in/home-school/"
    page = browser.get(response.headers["Location"])
    assert "Which is your home school?" in page.text
    parser = _Forms()
    parser.feed(page.text)
    form = next(form for form in parser.forms if form["button"] == "Save and continue")
    chosen = browser.session.post(
        page.url,
        data={**form["fields"], "school": str(schools[1].pk)},
        allow_redirects=False,
        timeout=10,
    )
    assert chosen.status_code == 302
    assert chosen.headers["Location"] == "/people/"
    assert Person.objects.get().school == schools[1]


@live
def test_a_consumer_gmail_account_is_refused(trust_apps, live_server, caplog):
    caplog.set_level(logging.INFO, logger="people.sign_in")
    browser = Browser(live_server)

    response = browser.sign_in_with("Sign in with Google", "google", gmail_user)

    assert response.status_code == 403
    assert OTHER_ORGANISATION in response.text.replace("&#x27;", "'")
    assert not browser.is_signed_in()
    assert not Person.objects.exists()
    assert refusals(caplog) == ["other_organisation"]


@live
def test_a_replayed_code_gives_a_clear_message_and_changes_nothing(
    trust_apps, schools, live_server, caplog
):
    browser = Browser(live_server)
    assert browser.sign_in_with("Sign in with Google", "google", workspace_teacher).is_redirect
    before = list(Person.objects.values_list("pk", "email", "first_name"))
    used = parse_qs(urlsplit(browser.last_callback).query)
    caplog.set_level(logging.INFO, logger="people.sign_in")

    # The same callback again, in the first browser and in another one.
    again = browser.session.get(browser.last_callback, timeout=10)
    elsewhere = Browser(live_server).session.get(browser.last_callback, timeout=10)
    # And the used code with a fresh, genuine state of another browser's own sign-in.
    other = Browser(live_server)
    started = other.click_provider_button("Sign in with Google")
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]
    replayed_code = other.session.get(
        callback_url(live_server, "google")
        + "?"
        + urlencode({"code": used["code"][0], "state": state}),
        timeout=10,
    )

    for response in (again, elsewhere, replayed_code):
        assert response.status_code == 400
        assert "Signing in did not work" in response.text
    assert not other.is_signed_in()
    assert list(Person.objects.values_list("pk", "email", "first_name")) == before
    assert SocialAccount.objects.count() == 1
    assert refusals(caplog) == ["failed", "failed", "failed"]


@live
def test_a_mismatched_state_gives_a_clear_message_and_no_account(trust_apps, live_server, caplog):
    caplog.set_level(logging.INFO, logger="people.sign_in")
    browser = Browser(live_server)
    started = browser.click_provider_button("Sign in with Microsoft")
    callback = callback_url(live_server, "entra")
    returned = sign_in(browser.session, started.headers["Location"], callback, trust_teacher)
    query = urlsplit(returned).query.replace("state=", "state=tampered")

    response = browser.session.get(f"{callback}?{query}", timeout=10)

    assert response.status_code == 400
    assert "Signing in did not work" in response.text
    assert not browser.is_signed_in()
    assert not Person.objects.exists()
    assert refusals(caplog) == ["failed"]


@live
def test_a_provider_that_is_down_gives_a_clear_message_not_an_error(settings, live_server):
    closed = f"http://127.0.0.1:{free_port()}"
    down = {
        "server_url": f"{closed}/{TRUST_TENANT}/v2.0",
        "token_auth_method": "client_secret_post",
    }
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "entra",
                    "name": "Microsoft",
                    "client_id": "staffroom",
                    "secret": "secret",
                    "settings": {"kind": "entra", "tenant_ids": [TRUST_TENANT], **down},
                }
            ]
        }
    }

    response = Browser(live_server).click_provider_button("Sign in with Microsoft")

    assert response.status_code == 503
    assert "Staffroom could not reach Microsoft just now" in response.text
    assert not Person.objects.exists()


@live
def test_a_provider_that_goes_down_before_the_person_comes_back_gives_a_clear_message(
    settings, live_server
):
    browser = Browser(live_server)
    redirect = callback_url(live_server, "entra")
    with oidc_provider("entra", [redirect], [trust_teacher], tenant_id=TRUST_TENANT) as entra:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "APPS": [app("entra", "Microsoft", entra, kind="entra", tenant_ids=[TRUST_TENANT])]
            }
        }
        started = browser.click_provider_button("Sign in with Microsoft")
        returned = sign_in(browser.session, started.headers["Location"], redirect, trust_teacher)

    response = browser.session.get(returned, timeout=10)

    assert response.status_code == 503
    assert "Staffroom could not reach Microsoft just now" in response.text
    assert not browser.is_signed_in()
    assert not Person.objects.exists()


@live
def test_switched_off_staff_are_refused(trust_apps, live_server):
    PersonFactory(email=switched_off_teacher.email, is_active=False)

    response = Browser(live_server).sign_in_with(
        "Sign in with Microsoft", "entra", switched_off_teacher
    )

    assert response.status_code == 403
    assert "This account has been switched off" in response.text
    assert not SocialAccount.objects.exists()


@live
def test_an_email_already_linked_to_another_persons_account_is_refused_and_nothing_changes(
    trust_apps, live_server, caplog
):
    person = PersonFactory(email=trust_teacher.email, first_name="Aisha", last_name="Khan")
    SocialAccount.objects.create(user=person, provider="entra", uid="someone-else", extra_data={})
    caplog.set_level(logging.INFO, logger="people.sign_in")

    response = Browser(live_server).sign_in_with("Sign in with Microsoft", "entra", trust_teacher)

    assert response.status_code == 403
    assert "That email address is already in use" in response.text
    assert list(SocialAccount.objects.values_list("user_id", "uid")) == [
        (person.pk, "someone-else")
    ]
    assert refusals(caplog) == ["already_linked"]


@live
def test_the_wagtail_admin_signs_in_through_the_same_route(trust_apps, live_server):
    lead = PersonFactory(email=trust_lead.email, roles=[Role.CENTRAL_TEAM])
    assert lead.groups.filter(name=Role.CENTRAL_TEAM.value).exists()
    browser = Browser(live_server)
    admin = browser.get("/admin/", allow_redirects=False)
    assert urlsplit(admin.headers["Location"]).path == "/people/sign-in/"

    response = browser.sign_in_with(
        "Sign in with Microsoft", "entra", trust_lead, next_url="/admin/"
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert browser.get("/admin/", allow_redirects=False).status_code == 200
    assert Group.objects.get(name=Role.CENTRAL_TEAM.value).user_set.get() == lead


@live
def test_password_sign_in_can_be_kept_for_named_trust_admins_only(settings, client):
    admin = PersonFactory(email="it.admin@oakfield.example", roles=[Role.TRUST_ADMIN])
    teacher = PersonFactory(email="priya.patel@oakfield.example")
    settings.STAFFROOM_LOCAL_SIGN_IN = "admins-only"
    settings.STAFFROOM_LOCAL_SIGN_IN_ADMINS = [admin.email]

    refused = client.post("/people/sign-in/", {"username": teacher.email, "password": PASSWORD})
    signed_in = client.post("/people/sign-in/", {"username": admin.email, "password": PASSWORD})

    assert refused.status_code == 200
    assert "only named trust admins may sign in with a password" in refused.content.decode()
    assert "Trust admins: sign in with a password" in refused.content.decode()
    assert signed_in.status_code == 302
    # A trust admin's password is followed by a one-time code (tests/people/test_two_step.py).
    assert (
        client.get("/people/").headers["Location"].startswith("/people/sign-in/authenticator-app/")
    )


@live
@pytest.mark.parametrize("form", ["/admin/login/", "/django-admin/login/"])
def test_the_admin_sign_in_forms_obey_the_switch_too(settings, client, form):
    teacher = PersonFactory(email="priya.patel@oakfield.example", is_superuser=True, is_staff=True)
    settings.STAFFROOM_LOCAL_SIGN_IN = "admins-only"
    settings.STAFFROOM_LOCAL_SIGN_IN_ADMINS = ["it.admin@oakfield.example"]

    response = client.post(form, {"username": teacher.email, "password": PASSWORD})

    assert response.status_code == 200
    assert client.get("/people/", follow=False).status_code == 302


@live
def test_with_no_identity_provider_configured_the_page_offers_the_password_only(settings, client):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}

    page = client.get("/people/sign-in/").content.decode()

    assert "Sign in with Microsoft" not in page
    assert "Use the email address your school gave you." in page


@pytest.mark.parametrize(
    ("app_settings", "claims", "refused"),
    [
        (ENTRA, {"tid": TRUST_TENANT, "iss": TRUST_ISSUER}, False),
        (ENTRA, {"tid": TRUST_TENANT.upper(), "iss": TRUST_ISSUER + "/"}, False),
        (ENTRA, {"tid": OTHER_TENANT, "iss": TRUST_ISSUER}, True),
        (
            ENTRA,
            {"tid": TRUST_TENANT, "iss": TRUST_ISSUER.replace(TRUST_TENANT, OTHER_TENANT)},
            True,
        ),
        (ENTRA, {"iss": TRUST_ISSUER}, True),
        ({**ENTRA, "kind": ""}, {"tid": TRUST_TENANT, "iss": TRUST_ISSUER}, True),
        (GOOGLE, {"hd": TRUST_DOMAIN.upper()}, False),
        (GOOGLE, {"hd": "another-trust.org.uk"}, True),
        (GOOGLE, {}, True),
    ],
)
def test_only_the_trusts_tenants_and_domains_are_let_in(app_settings, claims, refused):
    assert (organisation_refusal(app_settings, claims) is not None) is refused


def test_the_apps_come_from_the_environment(monkeypatch):
    from config.settings.base import _oidc_apps

    for name in [name for name in os.environ if name.startswith("STAFFROOM_OIDC_")]:
        monkeypatch.delenv(name)
    assert _oidc_apps() == []
    monkeypatch.setenv("STAFFROOM_OIDC_ENTRA_CLIENT_ID", "entra-client")
    monkeypatch.setenv("STAFFROOM_OIDC_ENTRA_CLIENT_SECRET", "entra-secret")
    monkeypatch.setenv("STAFFROOM_OIDC_ENTRA_TENANT_IDS", TRUST_TENANT)
    monkeypatch.setenv("STAFFROOM_OIDC_GOOGLE_CLIENT_ID", "google-client")
    monkeypatch.setenv("STAFFROOM_OIDC_GOOGLE_HOSTED_DOMAINS", TRUST_DOMAIN)

    entra, google = _oidc_apps()

    assert (entra["provider_id"], entra["name"], entra["client_id"]) == (
        "entra",
        "Microsoft",
        "entra-client",
    )
    assert entra["settings"]["server_url"] == TRUST_ISSUER
    assert entra["settings"]["oauth_pkce_enabled"] is True
    assert (
        organisation_refusal(entra["settings"], {"tid": TRUST_TENANT, "iss": TRUST_ISSUER}) is None
    )
    assert (google["provider_id"], google["settings"]["hosted_domains"]) == (
        "google",
        [TRUST_DOMAIN],
    )
    assert google["settings"]["token_auth_method"] == "client_secret_post"

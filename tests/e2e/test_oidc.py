"""Signing in with Microsoft and Google in a real browser: the trust's tenant lands on the home
page, another tenant and a consumer Gmail account are refused, and the central team reaches the
Wagtail admin through the same route. The providers are emulate's Entra ID and Google services
on 127.0.0.1, configured as SocialApp rows (as a trust admin would), since the server runs in
another process."""

import re
from collections.abc import Iterator

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from playwright.sync_api import Page, expect

from people.models import Person
from people.roles import Role
from tests.e2e.conftest import assert_axe_clean
from tests.factories import PersonFactory
from tests.oidc.provider import OIDCProvider, ProviderUser, oidc_provider

pytestmark = pytest.mark.django_db(transaction=True)

TRUST_TENANT = "6f1c2a4e-1b7d-4c55-9a0e-3d2f8b7c1e90"
OTHER_TENANT = "0b9e7d3c-5a41-4f2e-8c6d-1e2f3a4b5c6d"

trust_teacher = ProviderUser("a.khan@oakfield-trust.org.uk", "Aisha Khan")
other_tenant_teacher = ProviderUser(
    "j.smith@another-trust.org.uk", "John Smith", tenant_id=OTHER_TENANT
)
central_team_editor = ProviderUser("sam.reid@oakfield-trust.org.uk", "Sam Reid")
TRUST_DOMAIN = "oakfield-trust.org.uk"
gmail_user = ProviderUser("ravi.patel.home@gmail.com", "Ravi Patel")


@pytest.fixture(scope="module")
def entra(asgi_server: str) -> Iterator[OIDCProvider]:
    callback = f"{asgi_server}/accounts/oidc/entra/login/callback/"
    users = [trust_teacher, other_tenant_teacher, central_team_editor]
    with oidc_provider("entra", [callback], users, tenant_id=TRUST_TENANT) as provider:
        yield provider


@pytest.fixture
def microsoft(live_url: str, entra: OIDCProvider) -> SocialApp:
    return SocialApp.objects.create(
        provider="openid_connect",
        provider_id="entra",
        name="Microsoft",
        client_id=entra.client_id,
        secret=entra.client_secret,
        settings={
            "kind": "entra",
            "server_url": entra.server_url,
            "tenant_ids": [TRUST_TENANT],
            "token_auth_method": entra.token_auth_method,
            "oauth_pkce_enabled": True,
        },
    )


@pytest.fixture(scope="module")
def google_provider(asgi_server: str) -> Iterator[OIDCProvider]:
    callback = f"{asgi_server}/accounts/oidc/google/login/callback/"
    with oidc_provider("google", [callback], [gmail_user]) as provider:
        yield provider


@pytest.fixture
def google(live_url: str, google_provider: OIDCProvider) -> SocialApp:
    return SocialApp.objects.create(
        provider="openid_connect",
        provider_id="google",
        name="Google",
        client_id=google_provider.client_id,
        secret=google_provider.client_secret,
        settings={
            "kind": "google",
            "server_url": google_provider.server_url,
            "hosted_domains": [TRUST_DOMAIN],
            "token_auth_method": google_provider.token_auth_method,
            "oauth_pkce_enabled": True,
        },
    )


def sign_in_with_microsoft(page: Page, user: ProviderUser, start: str = "/") -> None:
    page.goto(start)
    page.get_by_role("button", name="Sign in with Microsoft").click()
    # emulate's account picker also lists a default account: choose ours by its email.
    page.get_by_role("button", name=user.email).click()


def test_a_trust_teacher_signs_in_with_microsoft_and_lands_on_the_home_page(
    page: Page, microsoft: SocialApp
) -> None:
    teacher = PersonFactory(email=trust_teacher.email, first_name="Aisha", last_name="Khan")

    sign_in_with_microsoft(page, trust_teacher)

    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/$"))
    page.goto("/people/")
    expect(page.get_by_role("navigation", name="Your account")).to_contain_text("Aisha Khan")
    assert SocialAccount.objects.get().user_id == teacher.pk


def test_a_teacher_from_another_tenant_is_refused(page: Page, microsoft: SocialApp) -> None:
    page.goto("/people/sign-in/")
    assert_axe_clean(page)

    sign_in_with_microsoft(page, other_tenant_teacher)

    expect(
        page.get_by_role("heading", name="This account isn't from one of the trust's organisations")
    ).to_be_visible()
    assert_axe_clean(page)
    assert not Person.objects.exists()
    page.get_by_role("link", name="Back to the sign-in page").click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()


def test_a_consumer_gmail_account_is_refused(page: Page, google: SocialApp) -> None:
    page.goto("/")
    page.get_by_role("button", name="Sign in with Google").click()
    page.get_by_role("button", name=gmail_user.email).click()

    expect(
        page.get_by_role("heading", name="This account isn't from one of the trust's organisations")
    ).to_be_visible()
    assert not Person.objects.exists()


def test_the_central_team_reaches_the_wagtail_admin_through_the_same_route(
    page: Page, microsoft: SocialApp
) -> None:
    PersonFactory(
        email=central_team_editor.email,
        first_name="Sam",
        last_name="Reid",
        school=None,
        roles=[Role.CENTRAL_TEAM],
    )

    sign_in_with_microsoft(page, central_team_editor, start="/admin/")

    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/admin/$"))
    # Wagtail's dashboard (its own heading style), not a sign-in page or a code step.
    expect(page.locator("h1.w-h1")).to_contain_text("Staffroom")

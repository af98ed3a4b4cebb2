"""Signing in with Microsoft in a real browser: the trust's tenant lands on the home page,
another tenant is refused. The provider is emulate's Entra ID service on 127.0.0.1, configured
as a SocialApp row (as a trust admin would in the Django admin), since the server runs in
another process."""

import re
from collections.abc import Iterator

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from playwright.sync_api import Page, expect

from people.models import Person
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


@pytest.fixture(scope="module")
def entra(asgi_server: str) -> Iterator[OIDCProvider]:
    callback = f"{asgi_server}/accounts/oidc/entra/login/callback/"
    users = [trust_teacher, other_tenant_teacher]
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


def sign_in_with_microsoft(page: Page, user: ProviderUser) -> None:
    page.goto("/")
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

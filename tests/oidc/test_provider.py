"""The local OpenID providers behave like real ones: the harness the sign-in tests stand on."""

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.oidc.provider import OIDCProvider, ProviderUser, oidc_provider, sign_in
from tests.services import free_port

TRUST_TENANT = "6f1c2a4e-1b7d-4c55-9a0e-3d2f8b7c1e90"
OTHER_TENANT = "0b9e7d3c-5a41-4f2e-8c6d-1e2f3a4b5c6d"
REDIRECT_URI = f"http://127.0.0.1:{free_port()}/accounts/oidc/staff/login/callback/"

trust_teacher = ProviderUser("a.khan@oakfield-trust.org.uk", "Aisha Khan")
other_tenant_teacher = ProviderUser(
    "j.smith@another-trust.org.uk", "John Smith", tenant_id=OTHER_TENANT
)
workspace_teacher = ProviderUser(
    "r.patel@oakfield-trust.org.uk", "Ravi Patel", hd="oakfield-trust.org.uk"
)
gmail_user = ProviderUser("ravi.patel.home@gmail.com", "Ravi Patel")
generic_teacher = ProviderUser(
    "l.evans@oakfield-trust.org.uk", "Lucy Evans", claims={"tid": TRUST_TENANT}
)


@pytest.fixture(scope="module")
def entra() -> Iterator[OIDCProvider]:
    users = [trust_teacher, other_tenant_teacher]
    with oidc_provider("entra", [REDIRECT_URI], users, tenant_id=TRUST_TENANT) as provider:
        yield provider


@pytest.fixture(scope="module")
def google() -> Iterator[OIDCProvider]:
    with oidc_provider("google", [REDIRECT_URI], [workspace_teacher, gmail_user]) as provider:
        yield provider


@pytest.fixture(scope="module")
def generic() -> Iterator[OIDCProvider]:
    with oidc_provider("generic", [REDIRECT_URI], [generic_teacher]) as provider:
        yield provider


@pytest.fixture(params=["entra", "google", "generic"])
def any_provider(request: pytest.FixtureRequest) -> OIDCProvider:
    return request.getfixturevalue(request.param)


class Authorisation:
    """One authorisation-code request with PKCE, state and nonce, as a relying party makes it."""

    def __init__(self, provider: OIDCProvider) -> None:
        self.provider = provider
        self.config = provider.configuration()
        self.state = secrets.token_urlsafe(16)
        self.nonce = secrets.token_urlsafe(16)
        self.verifier = secrets.token_urlsafe(48)
        self.session = requests.Session()

    def url(self) -> str:
        challenge = _b64url(hashlib.sha256(self.verifier.encode()).digest())
        query = {
            "response_type": "code",
            "client_id": self.provider.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid email profile",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.config['authorization_endpoint']}?{urlencode(query)}"

    def code_for(self, user: ProviderUser) -> str:
        callback = sign_in(self.session, self.url(), REDIRECT_URI, user)
        assert callback.startswith(REDIRECT_URI)
        query = parse_qs(urlsplit(callback).query)
        assert query["state"] == [self.state]
        return query["code"][0]

    def exchange(self, code: str, verifier: str | None = None) -> requests.Response:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier or self.verifier,
        }
        auth = None
        if self.provider.token_auth_method == "client_secret_post":
            data |= {
                "client_id": self.provider.client_id,
                "client_secret": self.provider.client_secret,
            }
        else:
            auth = (self.provider.client_id, self.provider.client_secret)
        return requests.post(self.config["token_endpoint"], data=data, auth=auth, timeout=10)

    def id_token_for(self, user: ProviderUser) -> dict:
        response = self.exchange(self.code_for(user))
        assert response.status_code == 200, response.text
        claims = verified_claims(response.json()["id_token"], self.provider, self.config)
        assert claims["nonce"] == self.nonce
        return claims


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verified_claims(token: str, provider: OIDCProvider, config: dict) -> dict:
    """Check an RS256 ID token against the provider's JWKS, audience and expiry.

    Hand-rolled because PyJWT is not installed yet; django-allauth brings it (pyjwt[crypto]).
    """
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(_b64url_decode(header_b64))
    assert header["alg"] == "RS256"
    keys = requests.get(config["jwks_uri"], timeout=5).json()["keys"]
    jwk = next(key for key in keys if key["kid"] == header["kid"])
    public_key = rsa.RSAPublicNumbers(
        int.from_bytes(_b64url_decode(jwk["e"])), int.from_bytes(_b64url_decode(jwk["n"]))
    ).public_key()
    # Raises InvalidSignature if the token was not signed by the provider's key.
    public_key.verify(
        _b64url_decode(signature_b64),
        f"{header_b64}.{payload_b64}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    claims = json.loads(_b64url_decode(payload_b64))
    assert claims["aud"] in (provider.client_id, [provider.client_id])
    assert claims["exp"] > time.time()
    return claims


def test_each_provider_publishes_a_discovery_document_with_pkce(any_provider: OIDCProvider):
    config = any_provider.configuration()

    assert config["issuer"] == any_provider.issuer
    assert any_provider.issuer.startswith("http://127.0.0.1:")
    assert "S256" in config["code_challenge_methods_supported"]
    assert "RS256" in config["id_token_signing_alg_values_supported"]
    assert requests.get(config["jwks_uri"], timeout=5).json()["keys"]


def test_the_entra_issuer_names_the_trusts_tenant(entra: OIDCProvider):
    assert entra.issuer.endswith(f"/{TRUST_TENANT}/v2.0")
    assert entra.discovery_url == f"{entra.issuer}/.well-known/openid-configuration"


def test_entra_signs_in_a_trust_teacher_with_tenant_claims_in_the_id_token(entra: OIDCProvider):
    authorisation = Authorisation(entra)

    claims = authorisation.id_token_for(trust_teacher)

    assert claims["iss"] == entra.issuer
    assert claims["tid"] == TRUST_TENANT
    assert claims["oid"]
    assert claims["email"] == claims["preferred_username"] == trust_teacher.email
    assert claims["name"] == trust_teacher.name


def test_entra_keeps_tid_and_oid_out_of_userinfo(entra: OIDCProvider):
    authorisation = Authorisation(entra)
    tokens = authorisation.exchange(authorisation.code_for(trust_teacher)).json()

    userinfo = requests.get(
        authorisation.config["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    ).json()

    assert userinfo["email"] == trust_teacher.email
    assert "tid" not in userinfo
    assert "oid" not in userinfo


def test_a_teacher_from_another_tenant_gets_that_tenants_issuer_and_tid(entra: OIDCProvider):
    claims = Authorisation(entra).id_token_for(other_tenant_teacher)

    assert claims["tid"] == OTHER_TENANT
    assert claims["iss"] == entra.issuer.replace(TRUST_TENANT, OTHER_TENANT)


def test_google_gives_a_workspace_teacher_the_hosted_domain(google: OIDCProvider):
    claims = Authorisation(google).id_token_for(workspace_teacher)

    assert claims["iss"] == google.issuer
    assert claims["hd"] == "oakfield-trust.org.uk"
    assert claims["email"] == workspace_teacher.email
    assert claims["email_verified"] is True


def test_google_gives_a_gmail_account_no_hosted_domain(google: OIDCProvider):
    claims = Authorisation(google).id_token_for(gmail_user)

    assert claims["email"] == gmail_user.email
    assert "hd" not in claims


def test_the_generic_provider_signs_in_through_its_login_and_consent_forms(
    generic: OIDCProvider,
):
    claims = Authorisation(generic).id_token_for(generic_teacher)

    assert claims["iss"] == generic.issuer
    assert claims["sub"] == claims["email"] == generic_teacher.email
    assert claims["tid"] == TRUST_TENANT


def test_an_authorisation_code_cannot_be_used_twice(any_provider: OIDCProvider):
    authorisation = Authorisation(any_provider)
    code = authorisation.code_for(any_provider.users[0])

    assert authorisation.exchange(code).status_code == 200
    replay = authorisation.exchange(code)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_a_code_is_refused_without_the_matching_pkce_verifier(any_provider: OIDCProvider):
    authorisation = Authorisation(any_provider)
    code = authorisation.code_for(any_provider.users[0])

    response = authorisation.exchange(code, verifier=secrets.token_urlsafe(48))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_an_unregistered_redirect_uri_is_refused(any_provider: OIDCProvider):
    authorisation = Authorisation(any_provider)
    url = authorisation.url().replace(
        urlencode({"redirect_uri": REDIRECT_URI}),
        urlencode({"redirect_uri": "http://127.0.0.1:9/elsewhere/"}),
    )

    response = authorisation.session.get(url, allow_redirects=False, timeout=5)

    assert response.status_code == 400


def test_the_provider_process_is_stopped_afterwards():
    with oidc_provider("google", [REDIRECT_URI], [gmail_user]) as provider:
        assert provider.process.poll() is None

    assert provider.process.poll() is not None
    with pytest.raises(requests.ConnectionError):
        requests.get(provider.discovery_url, timeout=2)

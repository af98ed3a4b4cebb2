"""A real OpenID Connect provider on 127.0.0.1 for the sign-in tests, run from Node.

`oidc_provider("entra" | "google" | "generic", redirect_uris, users)` starts
tests/oidc/provider.mjs on a free port, waits until its discovery document answers, and stops
it afterwards. "entra" and "google" are emulate's Microsoft and Google services (tenant issuer,
`tid`/`oid`, `hd`); "generic" is panva's oidc-provider with its own login and consent forms.
`sign_in` plays the browser: it follows redirects and fills in the provider's forms until the
provider sends the person back to the redirect URI.
"""

import json
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin

import requests

from tests.services import free_port, missing

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("provider.mjs")
STARTUP_SECONDS = 30

Kind = Literal["entra", "google", "generic"]


@dataclass(frozen=True)
class ProviderUser:
    """A person the provider can sign in.

    `tenant_id` (entra) defaults to the provider's tenant; `hd` (google) is sent as given, so a
    consumer account keeps None; `claims` (generic) are added to its ID token only.
    """

    email: str
    name: str
    tenant_id: str | None = None
    hd: str | None = None
    password: str = "correct horse battery staple"
    claims: dict[str, str] = field(default_factory=dict)


@dataclass
class OIDCProvider:
    kind: Kind
    issuer: str
    discovery_url: str
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    users: list[ProviderUser]
    process: subprocess.Popen

    @property
    def server_url(self) -> str:
        """What allauth's `openid_connect` provider wants as `server_url`."""
        return self.issuer

    @property
    def token_auth_method(self) -> str:
        """How the client must authenticate at the token endpoint.

        emulate's Google service reads the secret from the form body only, although its
        discovery document also lists client_secret_basic; oidc-provider holds the client to
        its registered method (client_secret_basic); emulate's Entra service takes either.
        """
        return "client_secret_post" if self.kind == "google" else "client_secret_basic"

    def configuration(self) -> dict:
        response = requests.get(self.discovery_url, timeout=5)
        response.raise_for_status()
        return response.json()

    def user(self, email: str) -> ProviderUser:
        return next(user for user in self.users if user.email == email)


def _require_node() -> str:
    node = shutil.which("node")
    if node is None:
        missing("Node.js", "install Node 20 or newer")
    for package in ("emulate", "oidc-provider"):
        if not (ROOT / "node_modules" / package / "package.json").exists():
            missing(f"The npm package {package}", "run `npm ci` in the repository root")
    return node


def _output(log: Path) -> str:
    return log.read_text(errors="replace").strip()[-2000:]


def _wait_for_discovery(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"The OpenID provider exited with code {process.returncode}:\n{_output(log)}"
            )
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"The OpenID provider did not answer {url} in time:\n{_output(log)}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextmanager
def oidc_provider(
    kind: Kind,
    redirect_uris: list[str],
    users: list[ProviderUser],
    *,
    tenant_id: str | None = None,
    client_id: str = "staffroom-tests",
    client_secret: str | None = None,
) -> Iterator[OIDCProvider]:
    if kind == "entra" and not tenant_id:
        raise ValueError("An Entra provider needs the trust's tenant_id.")
    node = _require_node()
    port = free_port()
    client_secret = client_secret or secrets.token_urlsafe(24)
    config = {
        "kind": kind,
        "port": port,
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uris": redirect_uris,
        "tenant_id": tenant_id,
        "users": [asdict(user) for user in users],
    }
    with tempfile.TemporaryDirectory(prefix="staffroom-oidc-") as directory:
        # A file, not a pipe, so a chatty provider can never block on a full pipe.
        log = Path(directory) / "provider.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [node, str(SCRIPT), json.dumps(config)],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            base = f"http://127.0.0.1:{port}"
            issuer = f"{base}/{tenant_id}/v2.0" if kind == "entra" else base
            discovery_url = f"{issuer}/.well-known/openid-configuration"
            _wait_for_discovery(discovery_url, process, log)
            yield OIDCProvider(
                kind=kind,
                issuer=issuer,
                discovery_url=discovery_url,
                client_id=client_id,
                client_secret=client_secret,
                redirect_uris=redirect_uris,
                users=users,
                process=process,
            )
        finally:
            _stop(process)


@dataclass
class _Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(_Form(values.get("action", ""), values.get("method", "get").lower()))
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1].fields[values["name"]] = values.get("value", "")


def _choose_form(html: str, user: ProviderUser) -> _Form:
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        # emulate's account picker: one form per seeded account.
        if form.fields.get("email") == user.email:
            return form
        # oidc-provider's login form, then its consent form.
        if form.fields.get("prompt") == "login":
            form.fields.update(login=user.email, password=user.password)
            return form
        if form.fields.get("prompt") == "consent":
            return form
    raise AssertionError(f"No sign-in form for {user.email} on the provider's page:\n{html[:2000]}")


def sign_in(
    session: requests.Session, url: str, redirect_uri: str, user: ProviderUser, max_steps: int = 10
) -> str:
    """Follow the provider's redirects and forms as `user`; return the URL it sends back to.

    Stops before requesting the redirect URI, so nothing needs to listen there.
    """
    response = session.get(url, allow_redirects=False, timeout=10)
    for _ in range(max_steps):
        if response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(redirect_uri):
                return location
            response = session.get(location, allow_redirects=False, timeout=10)
            continue
        if response.status_code != 200:
            raise AssertionError(
                f"The provider answered {response.status_code}:\n{response.text[:2000]}"
            )
        form = _choose_form(response.text, user)
        response = session.request(
            form.method,
            urljoin(response.url, form.action),
            data=form.fields,
            allow_redirects=False,
            timeout=10,
        )
    raise AssertionError(f"The provider did not send {user.email} back within {max_steps} steps.")

"""Every response carries the security headers with their exact values: the
Content-Security-Policy (the admins' looser one under their prefixes), Permissions-Policy,
nosniff, Referrer-Policy, Cross-Origin-Opener-Policy, and HSTS in production. No template
holds a script, event handler, javascript: URL or inline style the policy would block."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.socialaccount.models import SocialApp
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from config.security import ContentSecurityPolicyMiddleware, PermissionsPolicyMiddleware
from tests.factories import PersonFactory, sign_in_with_identity_provider
from tests.networks.factories import NetworkFactory

pytestmark = pytest.mark.django_db

REPOSITORY = Path(__file__).resolve().parents[2]

SITE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "media-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self' ws://testserver",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
DJANGO_ADMIN_POLICY = {
    **SITE_POLICY,
    "img-src": "'self' data:",
    "frame-src": "'self'",
    "frame-ancestors": "'self'",
}
WAGTAIL_ADMIN_POLICY = {
    **DJANGO_ADMIN_POLICY,
    "script-src": "'self' 'unsafe-inline'",
    "style-src": "'self' 'unsafe-inline'",
}
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), browsing-topics=(), camera=(), "
    "display-capture=(), geolocation=(), gyroscope=(), hid=(), idle-detection=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), "
    "screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=()"
)
OTHER_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def directives(header: str) -> dict[str, str]:
    """A policy as {directive: sources}; django-csp does not keep the directives' order."""
    parsed = {}
    for part in header.split(";"):
        name, _, sources = part.strip().partition(" ")
        assert name not in parsed, f"{name} given twice in {header!r}"
        parsed[name] = sources
    return parsed


def assert_site_headers(response, policy: dict[str, str] = SITE_POLICY) -> None:
    assert directives(response["Content-Security-Policy"]) == policy
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    for header, value in OTHER_HEADERS.items():
        assert response[header] == value, header


@pytest.fixture
def signed_in(client, primary_teacher):
    sign_in_with_identity_provider(client, primary_teacher)
    return client


# Staffroom's own pages.


def test_the_home_page_served_by_wagtail_carries_every_header(signed_in) -> None:
    response = signed_in.get("/")

    assert response.status_code == 200
    assert_site_headers(response)


def test_a_network_page_carries_every_header(signed_in) -> None:
    network = NetworkFactory(name="Primary maths")

    response = signed_in.get(reverse("networks:detail", kwargs={"slug": network.slug}))

    assert response.status_code == 200
    assert_site_headers(response)


def test_the_sign_in_page_carries_every_header(client) -> None:
    response = client.get(reverse("people:sign_in"))

    assert response.status_code == 200
    assert_site_headers(response)


def test_a_page_that_is_not_found_carries_every_header(signed_in) -> None:
    response = signed_in.get("/no-such-page/")

    assert response.status_code == 404
    assert_site_headers(response)


def test_a_json_endpoint_carries_every_header(signed_in) -> None:
    response = signed_in.get(reverse("search:suggest"), {"q": "fractions"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert_site_headers(response)


def test_the_redirect_to_sign_in_carries_every_header(client) -> None:
    response = client.get(reverse("networks:index"))

    assert response.status_code == 302
    assert_site_headers(response)


def test_a_secure_request_names_the_secure_websocket_origin(signed_in) -> None:
    response = signed_in.get("/", secure=True)

    assert directives(response["Content-Security-Policy"])["connect-src"] == (
        "'self' wss://testserver"
    )


# The sign-in buttons post to us and are redirected to the identity provider; Chromium holds
# that redirect to form-action too.


def test_the_sign_in_page_lets_its_buttons_reach_the_identity_providers(client) -> None:
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="entra",
        name="Microsoft",
        client_id="staffroom",
        settings={"server_url": "https://login.microsoftonline.com/6f1c2a4e/v2.0"},
    )

    response = client.get(reverse("people:sign_in"))

    assert "Sign in with Microsoft" in response.content.decode()
    assert directives(response["Content-Security-Policy"])["form-action"] == (
        "'self' https://login.microsoftonline.com"
    )


def test_other_pages_post_forms_to_staffroom_alone(signed_in) -> None:
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="entra",
        name="Microsoft",
        client_id="staffroom",
        settings={"server_url": "https://login.microsoftonline.com/6f1c2a4e/v2.0"},
    )

    response = signed_in.get("/")

    assert directives(response["Content-Security-Policy"])["form-action"] == "'self'"


# The admins.


def test_the_wagtail_admin_gets_the_admin_policy(client, trust_admin) -> None:
    sign_in_with_identity_provider(client, trust_admin)

    response = client.get(reverse("wagtailadmin_home"))

    assert response.status_code == 200
    assert_site_headers(response, WAGTAIL_ADMIN_POLICY)


def test_the_django_admin_gets_the_admin_policy(client) -> None:
    sign_in_with_identity_provider(client, PersonFactory(is_staff=True, is_superuser=True))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert_site_headers(response, DJANGO_ADMIN_POLICY)


def test_a_page_whose_path_only_starts_like_the_admin_gets_the_site_policy(signed_in) -> None:
    response = signed_in.get("/administration/")

    assert directives(response["Content-Security-Policy"]) == SITE_POLICY


# Responses that set their own headers keep them.


def test_a_response_with_its_own_policy_keeps_it() -> None:
    def sandboxed(request) -> HttpResponse:
        response = HttpResponse(b"%PDF-1.7", content_type="application/pdf")
        response["Content-Security-Policy"] = "sandbox"
        response["Permissions-Policy"] = "fullscreen=()"
        return response

    request = RequestFactory().get("/resources/files/1/preview/")
    response = PermissionsPolicyMiddleware(ContentSecurityPolicyMiddleware(sandboxed))(request)

    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Permissions-Policy"] == "fullscreen=()"


# Production.

PRODUCTION_HEADERS = """
import json, django
django.setup()
from django.test import Client
response = Client().get("/networks/", secure=True)
http = Client().get("/networks/")
print(json.dumps({"secure": dict(response.headers), "http": dict(http.headers),
                  "http_status": http.status_code}))
"""


def test_production_sends_hsts_for_a_year_with_subdomains_and_preload(tmp_path) -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "SECURE_HSTS_SECONDS"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        PYTHONPATH=os.pathsep.join([str(REPOSITORY / "site"), str(REPOSITORY)]),
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_HEADERS],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    headers = json.loads(result.stdout.strip().splitlines()[-1])

    secure = headers["secure"]
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert directives(secure["Content-Security-Policy"]) == {
        **SITE_POLICY,
        "connect-src": "'self' wss://testserver",
    }
    assert secure["Permissions-Policy"] == PERMISSIONS_POLICY
    for header, value in OTHER_HEADERS.items():
        assert secure[header] == value, header
    # Plain HTTP is sent to HTTPS, and never told HSTS (browsers ignore it there).
    assert headers["http_status"] == 301
    assert headers["http"]["Location"] == "https://testserver/networks/"
    assert "Strict-Transport-Security" not in headers["http"]


# No template holds anything the policy would block, so the rule holds for new templates.

TEMPLATE_ROOTS = [REPOSITORY / "templates"] + [
    folder
    for app in ("site", "networks", "resources", "forums", "search")
    for folder in (REPOSITORY / app).rglob("templates")
    if folder.is_dir()
]
STATIC_SCRIPTS = REPOSITORY / "templates" / "static" / "js"

TAG = re.compile(r"<([a-zA-Z][\w-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.DOTALL)
ATTRIBUTE = re.compile(r"""[\s"'}]([\w:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


def blocked_in_template(source: str) -> list[str]:
    """What in a template's source the site's policy would block or that would run inline."""
    problems = []
    for match in TAG.finditer(source):
        name, attributes = match.group(1).lower(), match.group(2)
        found = {key.lower(): value.strip("\"'") for key, value in ATTRIBUTE.findall(attributes)}
        if name == "script" and "src" not in found and found.get("type") not in DATA_SCRIPT_TYPES:
            problems.append(f"inline <script>: {match.group(0)[:80]}")
        if name == "style":
            problems.append("inline <style> block")
        for key in found:
            if key.startswith("on"):
                problems.append(f"event handler {key}= on <{name}>")
            if key == "style":
                problems.append(f"style= attribute on <{name}>")
    if re.search(r"(java|vb)script\s*:", source, re.IGNORECASE):
        problems.append("javascript: URL")
    return problems


def blocked_in_script(source: str) -> list[str]:
    """What in a static script 'unsafe-eval' or 'unsafe-inline' would be needed for."""
    patterns = {
        "eval()": r"\beval\s*\(",
        "new Function()": r"\bnew\s+Function\s*\(",
        "a string given to setTimeout/setInterval": r"\bset(Timeout|Interval)\s*\(\s*[\"'`]",
        "an inline handler set as an attribute": r"setAttribute\s*\(\s*[\"']on",
        "a style attribute": r"setAttribute\s*\(\s*[\"']style",
    }
    return [name for name, pattern in patterns.items() if re.search(pattern, source)]


def test_no_template_holds_inline_script_handlers_javascript_urls_or_inline_styles() -> None:
    templates = [path for root in TEMPLATE_ROOTS for path in root.rglob("*.html")]
    assert len(templates) > 50, "the template folders were not found"
    problems = {
        str(path.relative_to(REPOSITORY)): found
        for path in templates
        if (found := blocked_in_template(path.read_text()))
    }
    assert not problems, json.dumps(problems, indent=2)


def test_no_static_script_needs_eval_or_inline_code() -> None:
    scripts = sorted(STATIC_SCRIPTS.glob("*.js"))
    assert scripts, "the static scripts were not found"
    problems = {
        path.name: found for path in scripts if (found := blocked_in_script(path.read_text()))
    }
    assert not problems, problems


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="text/javascript">\nstart();\n</script>',
        "<script type=module>import './a.js'</script>",
        '<button type="button" onclick="go()">Go</button>',
        "<img src=x ONERROR=alert(1)>",
        '<body {% if a %}class="a"{% endif %} onload="start()">',
        '<a href="javascript:void(0)">Menu</a>',
        '<a href="JavaScript :alert(1)">Menu</a>',
        '<div style="display: none">hidden</div>',
        "<style>.a { color: red }</style>",
    ],
)
def test_the_template_scan_catches_what_the_policy_blocks(snippet: str) -> None:
    assert blocked_in_template(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script src=\"{% static 'js/search.js' %}\" defer></script>",
        '<script type="application/json" id="data">{"a": 1}</script>',
        '<input data-typeahead="/search/suggest/" data-on="x">',
        '<a href="{% url \'people:sign_in\' %}" class="onward">Sign in</a>',
        "<p>Send your notes on Monday.</p>",
    ],
)
def test_the_template_scan_lets_external_scripts_and_data_through(snippet: str) -> None:
    assert blocked_in_template(snippet) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "eval(text)",
        "const run = new Function('a', text);",
        'setTimeout("refresh()", 100)',
        "button.setAttribute('onclick', code)",
        'node.setAttribute("style", "color: red")',
    ],
)
def test_the_script_scan_catches_what_the_policy_blocks(snippet: str) -> None:
    assert blocked_in_script(snippet)

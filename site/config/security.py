"""Security headers on every HTTP response: the Content-Security-Policy (through django-csp,
with a looser policy for the two admins) and the Permissions-Policy, which Django has no
setting for. Django's SecurityMiddleware sends the rest (nosniff, Referrer-Policy,
Cross-Origin-Opener-Policy, HSTS in production)."""

from urllib.parse import urlsplit

from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import BadRequest, DisallowedHost
from django.http import HttpRequest, HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

PERMISSIONS_POLICY = "Permissions-Policy"


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def identity_provider_origins(request: HttpRequest) -> list[str]:
    """Where the sign-in buttons' posts are redirected: the origin of each configured OpenID
    Connect provider (settings or SocialApp rows), plus any an operator names."""
    origins = list(settings.STAFFROOM_CSP_IDENTITY_PROVIDER_ORIGINS)
    for app in get_social_adapter().list_apps(request, provider="openid_connect"):
        origin = _origin((app.settings or {}).get("server_url", ""))
        if origin and origin not in origins:
            origins.append(origin)
    return origins


def socket_origins(request: HttpRequest) -> list[str]:
    """This host's websocket origin. CSP3 browsers already match same-origin ws(s) with
    'self'; older Safari did not, so the socket's origin is also named."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return []
    return [f"{'wss' if request.is_secure() else 'ws'}://{host}"]


def admin_policy(path: str) -> dict | None:
    """The policy of the admin this path is in, if any."""
    for prefix, directives in settings.STAFFROOM_ADMIN_CSP.items():
        if path.startswith(prefix):
            return directives
    return None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (which leaves a response's own Content-Security-Policy alone,
    as file downloads' sandbox policy), choosing the admin policy under the admin prefixes and
    adding what is only known per request."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        if parts.config is None:
            parts.config = admin_policy(request.path_info)
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", []), *socket_origins(request)]
        match = getattr(request, "resolver_match", None)
        if match and match.view_name in settings.STAFFROOM_CSP_SIGN_IN_VIEWS:
            # Chromium applies form-action to the redirect after a form's post too, and the
            # sign-in buttons post here and are redirected to the provider.
            update["form-action"] = [
                *update.get("form-action", []),
                *identity_provider_origins(request),
            ]
        parts.update = update
        return parts


def permissions_policy() -> str:
    return ", ".join(f"{feature}=()" for feature in settings.STAFFROOM_PERMISSIONS_POLICY_OFF)


class PermissionsPolicyMiddleware(MiddlewareMixin):
    """Turns off the browser features Staffroom never uses, so an injected script or a framed
    page cannot ask for them either."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if PERMISSIONS_POLICY not in response:
            response[PERMISSIONS_POLICY] = permissions_policy()
        return response


class RefuseNulInPathMiddleware(MiddlewareMixin):
    """No address of ours holds a NUL character, and PostgreSQL refuses one in any text it is
    asked to compare (SQLite does not), so a path like /accounts/oidc/%00/login/ would reach a
    view's or the redirects' lookup and fail there. Refused as a bad request before anything
    reads it."""

    def process_request(self, request: HttpRequest) -> None:
        if "\x00" in request.path_info:
            raise BadRequest("The address holds a NUL character.")

"""Serving uploaded files from a separate user-content origin, when one is configured.

A file that a browser could be talked into running (a PDF's scripts, an image that is also a
page) then runs on an origin with no session cookie and no Staffroom pages, so it can read
nothing of the person's. The main origin checks the person's access as ever and answers with
a redirect to a link on the user-content origin that is signed, names the person and the
version, and lasts a minute; the same app serves that link after checking the signature and
the person's access again. Links on pages keep pointing at the main origin, so they never
go stale.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import reverse

SALT = "resources.user-content"
LINK_SECONDS = 60
CONTENT_PATH_PREFIX = "/resources/files/content/"


def user_content_origin() -> str:
    return (getattr(settings, "STAFFROOM_USER_CONTENT_ORIGIN", "") or "").strip().rstrip("/")


def user_content_host() -> str:
    origin = user_content_origin()
    return urlsplit(origin).netloc.lower() if origin else ""


def on_user_content_host(request: HttpRequest) -> bool:
    host = user_content_host()
    return bool(host) and request.get_host().lower() == host


def signed_link(*, version_pk: int, person_pk: int, inline: bool) -> str:
    token = signing.dumps({"v": version_pk, "p": person_pk, "i": inline}, salt=SALT)
    return user_content_origin() + reverse("resources:file_content", kwargs={"token": token})


def read_link(token: str) -> tuple[int, int, bool]:
    """The version, person and inline flag a link was signed for; Http404 if it was not, or
    if it has expired (the page to go back to is the resource's, not this one)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_SECONDS)
        return int(data["v"]), int(data["p"]), bool(data["i"])
    except signing.SignatureExpired as expired:
        raise Http404(
            "This download link has expired. Go back to the resource and choose the file again."
        ) from expired
    except (signing.BadSignature, KeyError, TypeError, ValueError) as bad:
        raise Http404("This download link is not valid.") from bad


class UserContentHostMiddleware:
    """On the user-content host, answer signed file links and nothing else: no pages, no
    sign-in, no admin, so nothing there can ever hold a session."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if on_user_content_host(request) and not request.path.startswith(CONTENT_PATH_PREFIX):
            response = HttpResponseNotFound(
                "This address only serves Staffroom's files.", content_type="text/plain"
            )
            response["X-Content-Type-Options"] = "nosniff"
            return response
        return self.get_response(request)

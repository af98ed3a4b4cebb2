"""Resource cards: a post linking to a resource page shows the resource under its text.

Cards are rendered when the post is saved and shown to every reader, so a card is only made
for a resource every member of staff may see; any other link stays a plain link."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

from forums.mentions import walk_html
from networks.models import Network
from resources.markdown import markdown_html
from resources.models import Resource

MAX_CARDS = 3
BARE_URL = re.compile(r"(?:https?://[^\s<>()\"']+)?/resources/\d+/[\w-]+/?", re.IGNORECASE)


def _our_host(host: str) -> bool:
    """A link to this site: relative, or to one of the hosts it answers on."""
    if not host:
        return True
    hosts = {h.lower() for h in settings.ALLOWED_HOSTS if h and h != "*"}
    hosts.add((urlsplit(getattr(settings, "WAGTAILADMIN_BASE_URL", "")).hostname or "").lower())
    host = host.lower()
    return any(
        host == allowed or (allowed.startswith(".") and host.endswith(allowed))
        for allowed in hosts
        if allowed
    )


def resource_id_from_url(url: str) -> int | None:
    """The resource a link points at, when it is a resource page of this site."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("", "http", "https") or not _our_host(parts.hostname or ""):
        return None
    try:
        match = resolve(parts.path or "/")
    except Resolver404:
        return None
    if match.view_name != "resources:detail":
        return None
    return int(match.kwargs["pk"])


def resource_ids_in(body: str) -> list[int]:
    """Resources the body links to (links and bare addresses, not code), first seen first."""
    found: list[str] = []

    def collect(text: str) -> str:
        found.extend(match.group(0) for match in BARE_URL.finditer(text))
        return ""

    _, hrefs = walk_html(markdown_html(body), collect)
    ids: list[int] = []
    for url in [*hrefs, *found]:
        pk = resource_id_from_url(url)
        if pk is not None and pk not in ids:
            ids.append(pk)
    return ids


def resources_for_everyone() -> QuerySet[Resource]:
    """Resources every member of staff may open: published, trust-wide, in an open network."""
    return Resource.objects.filter(
        status=Resource.Status.PUBLISHED,
        scope=Resource.Scope.TRUST,
        network__visibility=Network.Visibility.OPEN,
    )


def resource_cards_html(body: str) -> str:
    """The cards for the resources the body links to, in one query; empty when none."""
    ids = resource_ids_in(body)[: MAX_CARDS * 3]
    if not ids:
        return ""
    found = {
        resource.pk: resource
        for resource in resources_for_everyone().filter(pk__in=ids).select_related("network")
    }
    resources = [found[pk] for pk in ids if pk in found][:MAX_CARDS]
    return "".join(
        render_to_string("forums/_resource_card.html", {"resource": resource})
        for resource in resources
    )

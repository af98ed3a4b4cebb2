"""What every page's layout needs: the main navigation, marked with where the reader is."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


# Sections later apps add are listed by URL name and shown once their app is installed.
SECTIONS: list[tuple[str, str]] = [
    ("Home", "/"),
    ("Networks", "networks:index"),
    ("Resources", "resources:index"),
    ("Forums", "forums:index"),
    ("News", "cms:news"),
    ("Principles", "cms:principles"),
    ("Search", "search:search"),
]


def _section_url(target: str) -> str | None:
    if target.startswith("/"):
        return target
    if target.startswith("cms:"):
        from cms.navigation import section_url

        return section_url(target.removeprefix("cms:"))
    try:
        return reverse(target)
    except NoReverseMatch:
        return None


def navigation(request: HttpRequest) -> dict[str, list[NavItem]]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_items": []}
    items = []
    for label, target in SECTIONS:
        url = _section_url(target)
        if url is None:
            continue
        current = request.path == url if url == "/" else request.path.startswith(url)
        items.append(NavItem(label, url, current))
    return {"nav_items": items}

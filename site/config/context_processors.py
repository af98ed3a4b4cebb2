"""What every page's layout needs: the main navigation, marked with where the reader is."""

from dataclasses import dataclass

from django.http import HttpRequest

from cms.navigation import section_urls, url_or_none


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


def navigation(request: HttpRequest) -> dict[str, list[NavItem]]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_items": []}
    pages = section_urls()
    items = []
    for label, target in SECTIONS:
        if target.startswith("/"):
            url = target
        elif target.startswith("cms:"):
            url = pages.get(target.removeprefix("cms:"))
        else:
            url = url_or_none(target)
        if url is None:
            continue
        current = request.path == url if url == "/" else request.path.startswith(url)
        items.append(NavItem(label, url, current))
    return {"nav_items": items}

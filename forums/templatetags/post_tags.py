"""`{% post_url 'forums:post_edit' post.pk as edit_url %}` and `{% post_links post.pk as links %}`:
a post's addresses without asking Django's URL resolver each time. A thread page links every
post seven ways, and resolving them was a quarter of the page's rendering; each route is
resolved once, then filled in."""

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

register = template.Library()

# Stands for the post's number in a resolved address; no real post has it.
_SENTINEL = 918273645546372819


@lru_cache(maxsize=64)
def _pattern(name: str, urlconf: str | None, prefix: str) -> tuple[str, str] | None:
    try:
        address = reverse(name, kwargs={"pk": _SENTINEL})
    except NoReverseMatch:
        return None
    before, after = address.split(str(_SENTINEL))
    return before, after


def _resolving() -> tuple[str, str]:
    """The URL configuration and script prefix in force: a request or task may set its own."""
    return get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()


def _filled(name: str, pk: int, urlconf: str, prefix: str) -> str:
    pattern = _pattern(name, urlconf, prefix)
    if pattern is None:
        return ""
    return f"{pattern[0]}{int(pk)}{pattern[1]}"


@register.simple_tag
def post_url(name: str, pk: int) -> str:
    """The address of the named route for this post, or "" where the route is not there."""
    return _filled(name, pk, *_resolving())


@lru_cache(maxsize=16)
def _address(name: str, urlconf: str | None, prefix: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


# A post's actions, each the name of its route (forums:post_<action>).
ACTIONS = ("edit", "delete", "report", "hide", "restore", "reveal")


@register.simple_tag
def post_links(pk: int) -> dict[str, str]:
    """The addresses of a post's actions by name, and "concern" for raising a safeguarding
    concern about it; "" where a route is not there. One tag for every link of a post: a tag
    apiece cost about 4 ms of the 35 a thread page's fifty posts took to render."""
    # Read once for all seven: each read of the two is a context-local lookup.
    urlconf, prefix = _resolving()
    links = {action: _filled(f"forums:post_{action}", pk, urlconf, prefix) for action in ACTIONS}
    concern = _address("safeguarding:concern_new", urlconf, prefix)
    links["concern"] = f"{concern}?post={int(pk)}" if concern else ""
    return links

"""Where the trust's sections live, for the main navigation, the home page's cards and the
breadcrumbs: read from Wagtail's page tree once and kept in the cache, since every page asks."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from wagtail.models import Page

SECTION_PAGE_MODELS = {"newsindexpage": "news", "principleindexpage": "principles"}

# Django's memory cache is each worker's own: the worker that publishes a change forgets its
# copy at once (cms.apps connects forget_site_structure), the others within this time.
CACHE_SECONDS = 60
_GENERATION_KEY = "cms:site-structure"

T = TypeVar("T")


@dataclass(frozen=True)
class Crumb:
    label: str
    url: str


def url_or_none(name: str) -> str | None:
    """The URL of a named route, or None while the app that provides it is not there yet."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def section_urls() -> dict[str, str]:
    """The URLs of the first live news and principles index pages."""
    return _remembered("sections", _read_section_urls)


def breadcrumbs(page: Page) -> list[Crumb]:
    """The way down to this page from the home page, the home page named "Home"."""
    if page.pk is None:  # a new page's preview: nothing to file it under
        return _read_breadcrumbs(page)
    return _remembered(f"crumbs:{page.pk}", lambda: _read_breadcrumbs(page))


def forget_site_structure(**kwargs) -> None:
    """Receives Wagtail's page signals: a page was published, unpublished, moved or deleted."""
    cache.delete(_GENERATION_KEY)


def _remembered(name: str, read: Callable[[], T]) -> T:
    # Every entry is filed under the current generation, so forgetting the generation
    # forgets them all at once; a new one starts from the clock, never an old number.
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        generation = time.time_ns()
        cache.set(_GENERATION_KEY, generation, CACHE_SECONDS)
    key = f"cms:{generation}:{name}"
    found = cache.get(key)
    if found is None:
        found = read()
        cache.set(key, found, CACHE_SECONDS)
    return found


def _read_section_urls() -> dict[str, str]:
    pages = (
        Page.objects.live()
        .filter(content_type__app_label="cms", content_type__model__in=SECTION_PAGE_MODELS)
        .select_related("content_type")
        .order_by("path")
    )
    urls: dict[str, str] = {}
    for page in pages:
        urls.setdefault(SECTION_PAGE_MODELS[page.content_type.model], page.url)
    return urls


def _read_breadcrumbs(page: Page) -> list[Crumb]:
    return [
        Crumb("Home" if ancestor.depth == 2 else ancestor.title, ancestor.get_url())
        for ancestor in page.get_ancestors().filter(depth__gt=1)
    ]

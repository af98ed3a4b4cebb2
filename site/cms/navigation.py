"""Where the trust's sections live, for the main navigation and the home page's cards."""

from django.urls import NoReverseMatch, reverse
from wagtail.models import Page

SECTION_PAGE_MODELS = {"newsindexpage": "news", "principleindexpage": "principles"}


def url_or_none(name: str) -> str | None:
    """The URL of a named route, or None while the app that provides it is not there yet."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def section_urls() -> dict[str, str]:
    """The URLs of the first live news and principles index pages, in one query."""
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

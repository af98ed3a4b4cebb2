"""Reads the trust's pages share, each with what it needs to list without N+1 queries."""

from dataclasses import dataclass

from django.db.models import QuerySet
from wagtail.models import Page

from cms.models import NewsCategory, NewsPage, PrinciplePage, SharedFocusPage
from cms.navigation import url_or_none
from people.models import School


@dataclass(frozen=True)
class SectionLink:
    title: str
    url: str
    description: str


# Sections other apps provide, by URL name; each shows once its app is installed.
SECTIONS: list[tuple[str, str, str]] = [
    (
        "Networks",
        "networks:index",
        "Subject networks that share and shape the curriculum from EYFS to post-16.",
    ),
    (
        "Resources",
        "resources:index",
        "Lesson plans, slides and worksheets from every school, to use and adapt.",
    ),
    ("Forums", "forums:index", "Live discussion with colleagues across the trust's schools."),
]


def section_links() -> list[SectionLink]:
    return [
        SectionLink(title, url, description)
        for title, name, description in SECTIONS
        if (url := url_or_none(name)) is not None
    ]


def home_sections(*, home: Page) -> dict[str, Page]:
    """The home page's live section pages (news, principles, schools), by model name."""
    sections: dict[str, Page] = {}
    for page in home.get_children().live().select_related("content_type").order_by("path"):
        sections.setdefault(page.content_type.model, page)
    return sections


def principles(*, within: Page) -> QuerySet[PrinciplePage]:
    """The live principles of a principles index, in the editors' order."""
    return PrinciplePage.objects.live().child_of(within).defer("body", "examples").order_by("path")


def _news() -> QuerySet[NewsPage]:
    return (
        NewsPage.objects.live()
        .select_related("category")
        .prefetch_related("schools")
        .defer("body")
        .order_by("-date", "-first_published_at", "-pk")
    )


def latest_news(*, limit: int = 3) -> list[NewsPage]:
    return list(_news()[:limit])


def news_listing(
    *, index: Page, school: School | None = None, category: NewsCategory | None = None
) -> QuerySet[NewsPage]:
    news = _news().child_of(index)
    if school is not None:
        news = news.filter(schools=school)
    if category is not None:
        news = news.filter(category=category)
    return news


def news_feed(*, index: Page, limit: int) -> list[NewsPage]:
    return list(_news().child_of(index)[:limit])


def current_shared_focus() -> SharedFocusPage | None:
    """The shared focus of the latest academic year that has one."""
    return SharedFocusPage.objects.live().order_by("-academic_year").first()


def schools() -> QuerySet[School]:
    return School.objects.order_by("name")


def news_categories() -> QuerySet[NewsCategory]:
    return NewsCategory.objects.order_by("name")

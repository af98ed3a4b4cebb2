"""Factories for the trust's pages, built under the default Site's root (the HomePage)."""

import datetime

import factory
import wagtail_factories
from wagtail.models import Site
from wagtail.rich_text import RichText

from cms.models import (
    HomePage,
    NewsCategory,
    NewsIndexPage,
    NewsPage,
    PrincipleIndexPage,
    PrinciplePage,
    SchoolIndexPage,
    SharedFocusPage,
)


def home_page() -> HomePage:
    return Site.objects.get(is_default_site=True).root_page.specific


class NewsCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NewsCategory
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda category: category.name.lower().replace(" ", "-"))


class PrincipleIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = PrincipleIndexPage

    title = "Our principles"
    slug = "principles"
    parent = factory.LazyFunction(home_page)


class PrinciplePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = PrinciplePage

    title = factory.Sequence(lambda n: f"Principle {n}")
    summary = "What we believe, in a sentence."
    body = factory.LazyFunction(
        lambda: [("paragraph", RichText("<p>Why it matters to our pupils.</p>"))]
    )
    examples = factory.LazyFunction(
        lambda: [
            (
                "example",
                {"title": "In the classroom", "school": None, "description": "What staff do."},
            )
        ]
    )


class NewsIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = NewsIndexPage

    title = "News"
    slug = "news"
    parent = factory.LazyFunction(home_page)


class NewsPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = NewsPage
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"News item {n}")
    date = factory.Sequence(lambda n: datetime.date(2026, 11, 20) - datetime.timedelta(days=n))
    intro = "Something happened across the trust."
    body = factory.LazyFunction(lambda: [("paragraph", RichText("<p>The whole story.</p>"))])

    @factory.post_generation
    def schools(self, create: bool, extracted: list | None, **kwargs) -> None:
        if extracted:
            self.schools.set(extracted)
            self.save()


class SchoolIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = SchoolIndexPage

    title = "Our schools"
    slug = "schools"
    parent = factory.LazyFunction(home_page)


class SharedFocusPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = SharedFocusPage

    title = "Climate and sustainability"
    academic_year = "2026/27"
    summary = "This year every school teaches and lives sustainability."
    parent = factory.LazyFunction(home_page)

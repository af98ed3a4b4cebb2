from urllib.parse import urlencode

from django import forms
from django.core.cache import cache
from django.core.paginator import Paginator
from django.core.validators import RegexValidator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.blocks import BodyBlock, PracticeExampleBlock
from cms.navigation import CACHE_SECONDS

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Give a colour as # and six hex digits.")
academic_year_format = RegexValidator(
    r"^\d{4}/\d{2}$", "Give the academic year as, for example, 2026/27."
)


@register_setting(icon="site")
class TrustBranding(BaseGenericSetting):
    """The trust's name, logo and colours: each trust sees its own brand."""

    trust_name = models.CharField(max_length=120, default="Our Trust")
    short_name = models.CharField(
        max_length=40, blank=True, help_text="Shown on small screens, for example ‘OLT’."
    )
    logo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    primary_colour = models.CharField(
        max_length=7,
        default="#1d4f6e",
        validators=[hex_colour],
        help_text="The header and buttons; keep it dark enough for white text.",
    )
    accent_colour = models.CharField(max_length=7, default="#f2b134", validators=[hex_colour])

    panels = [
        FieldPanel("trust_name"),
        FieldPanel("short_name"),
        FieldPanel("logo"),
        FieldPanel("primary_colour"),
        FieldPanel("accent_colour"),
    ]

    # Cached with its logo: every page's header shows both.
    select_related = ["logo"]

    class Meta:
        verbose_name = "trust branding"

    def __str__(self) -> str:
        return self.trust_name

    @classmethod
    def load(cls, request_or_site=None) -> "TrustBranding":
        """The branding every page's header reads, from the cache: saving it forgets the
        cached copy in this worker at once, and in the others within CACHE_SECONDS."""
        found = cache.get(BRANDING_CACHE_KEY)
        if found is None:
            found = super().load(request_or_site)
            cache.set(BRANDING_CACHE_KEY, found, CACHE_SECONDS)
        return found


BRANDING_CACHE_KEY = "cms:trust-branding"


def forget_branding(**kwargs) -> None:
    cache.delete(BRANDING_CACHE_KEY)


class HomePage(Page):
    """The trust's welcome: the root of the site, one per installation."""

    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "cms.PrincipleIndexPage",
        "cms.NewsIndexPage",
        "cms.SchoolIndexPage",
        "cms.SharedFocusPage",
    ]
    max_count = 1

    class Meta:
        verbose_name = "home page"

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        from cms import selectors

        context = super().get_context(request, *args, **kwargs)
        sections = selectors.home_sections(home=self)
        principle_index = sections.get("principleindexpage")
        context["principle_index"] = principle_index
        context["news_index"] = sections.get("newsindexpage")
        context["school_index"] = sections.get("schoolindexpage")
        context["principles"] = (
            selectors.principles(within=principle_index) if principle_index else []
        )
        context["latest_news"] = selectors.latest_news(limit=3)
        context["shared_focus"] = selectors.current_shared_focus()
        context["section_links"] = selectors.section_links()
        return context


class PrincipleIndexPage(Page):
    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.PrinciplePage"]
    max_count = 1

    class Meta:
        verbose_name = "principles index"

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        from cms import selectors

        context = super().get_context(request, *args, **kwargs)
        context["principles"] = selectors.principles(within=self)
        return context


class PrinciplePage(Page):
    """One of the trust's principles, with what it looks like in practice."""

    summary = models.TextField(max_length=400, help_text="One or two sentences, shown on cards.")
    body = StreamField(BodyBlock(), blank=True)
    examples = StreamField(
        [("example", PracticeExampleBlock())],
        blank=True,
        verbose_name="what it looks like in practice",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("examples"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
    ]

    parent_page_types = ["cms.PrincipleIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "principle"


class NewsCategory(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]
        verbose_name = "news category"
        verbose_name_plural = "news categories"

    def __str__(self) -> str:
        return self.name


class NewsIndexPage(RoutablePageMixin, Page):
    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NewsPage"]
    max_count = 1

    news_per_page = 10
    feed_length = 20

    class Meta:
        verbose_name = "news index"

    @path("")
    def news_list(self, request: HttpRequest) -> HttpResponse:
        from cms import selectors
        from cms.forms import NewsFilterForm

        form = NewsFilterForm(request.GET)
        if form.is_valid():
            school, category = form.cleaned_data["school"], form.cleaned_data["category"]
            filter_error = False
        else:
            school = category = None
            filter_error = True
            form = NewsFilterForm()
        news = selectors.news_listing(index=self, school=school, category=category)
        page = Paginator(news, self.news_per_page).get_page(request.GET.get("page"))
        query = urlencode(
            {
                key: value
                for key, value in (
                    ("school", school.slug if school else ""),
                    ("category", category.slug if category else ""),
                )
                if value
            }
        )
        return self.render(
            request,
            context_overrides={
                "form": form,
                "filter_error": filter_error,
                "news_page": page,
                "query": query,
                "school": school,
                "category": category,
            },
        )

    @path("feed/", name="feed")
    def feed(self, request: HttpRequest) -> HttpResponse:
        from cms.feeds import NewsFeed

        return NewsFeed(self)(request)

    @property
    def feed_url(self) -> str:
        return self.url + self.reverse_subpage("feed")


class NewsPage(Page):
    date = models.DateField("news date", default=timezone.localdate)
    schools = ParentalManyToManyField(
        "people.School",
        blank=True,
        related_name="news",
        help_text="The schools this news concerns; leave empty for trust-wide news.",
    )
    category = models.ForeignKey(
        NewsCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="news"
    )
    intro = models.TextField(max_length=400, help_text="A sentence or two, shown in lists.")
    body = StreamField(BodyBlock(), blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    image_alt = models.CharField(
        "image description",
        max_length=250,
        blank=True,
        help_text="Describe the image for people who cannot see it.",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("category"),
        FieldPanel("schools", widget=forms.CheckboxSelectMultiple),
        FieldPanel("intro"),
        FieldPanel("image"),
        FieldPanel("image_alt"),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]

    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "news item"
        verbose_name_plural = "news"


class SchoolIndexPage(Page):
    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count = 1

    class Meta:
        verbose_name = "schools index"

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        from cms import selectors

        context = super().get_context(request, *args, **kwargs)
        context["schools"] = selectors.schools()
        return context


class SharedFocusPage(Page):
    """The focus every school in the trust shares for one academic year."""

    academic_year = models.CharField(
        max_length=7,
        unique=True,
        validators=[academic_year_format],
        help_text="For example 2026/27.",
    )
    summary = models.TextField(max_length=400)
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("academic_year"),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]

    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "shared focus"
        verbose_name_plural = "shared focuses"

"""What is searchable, as flat records that every backend indexes the same way.

A record carries its text, the fields the filters and facets use, and its audience: who may
see it, as tokens that the backend matches inside the query ("staff" for everyone signed in,
"network:<id>" for a network's members, "author:<id>" for the author). The central team sees
everything and is given no audience filter.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.db.models import Prefetch, Q, QuerySet
from django.urls import get_script_prefix, reverse
from django.utils.html import strip_tags
from wagtail.models import Page

from cms.models import NewsPage, PrinciplePage
from forums.models import Post, Thread
from networks.curriculum import KeyStage, Phase, YearGroup, key_stages_for, phases_for
from networks.models import Network
from networks.permissions import memberships
from people.roles import is_central
from resources.models import Resource, ResourceFile
from search.query import NEWS, PAGE, PRINCIPLE, RESOURCE, THREAD

# Extracted file text and long threads are cut here: enough to find a document by what it is
# about, without one 300-page PDF dominating the index.
BODY_LIMIT = 100_000
BATCH_SIZE = 500

STAFF = "staff"


@dataclass(frozen=True)
class SearchRecord:
    kind: str
    pk: int
    title: str
    url: str
    # Short text shown and weighted above the body: a resource's summary, a page's intro.
    summary: str = ""
    # Everything else: notes, extracted file text, posts, page body.
    body: str = ""
    tags: tuple[str, ...] = ()
    # Words naming the curriculum fields ("Year 7 Key stage 3 KS3 Secondary"), so that text
    # about a year group finds resources tagged with it.
    curriculum: str = ""
    author: str = ""
    year_groups: tuple[str, ...] = ()
    key_stages: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    subject: int | None = None
    resource_type: str = ""
    school: int | None = None
    network: int | None = None
    principles: tuple[int, ...] = ()
    shared_focus: bool = False
    endorsed: bool = False
    published_at: datetime | None = None
    downloads: int = 0
    audience: tuple[str, ...] = (STAFF,)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.pk}"


def audience_of(person) -> tuple[str, ...] | None:
    """The audience tokens a person's searches match; None for the central team (everything)."""
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return ()
    if is_central(person):
        return None
    networks = sorted(memberships(person))
    return (STAFF, f"author:{person.pk}", *(f"network:{pk}" for pk in networks))


def curriculum_words(year_groups: Iterable[str]) -> str:
    """The labels and common short forms of a resource's years, key stages and phases."""
    return _curriculum(tuple(year_groups))[0]


@lru_cache(maxsize=1024)
def _curriculum(years: tuple[str, ...]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Curriculum words, key stages and phases of some years: a reindex meets the same few
    dozen spans again and again, and working them out each time cost a fifth of it."""
    return _words_for(years), tuple(key_stages_for(years)), tuple(phases_for(years))


def _words_for(years: tuple[str, ...]) -> str:
    words = [YearGroup(year).label for year in years]
    words += [year.upper() for year in years if year.startswith("y")]
    for stage in key_stages_for(years):
        words += [KeyStage(stage).label, stage.upper()]
    words += [Phase(phase).label for phase in phases_for(years)]
    return " ".join(dict.fromkeys(words))


# Resources


def indexed_resources() -> QuerySet[Resource]:
    """Published resources with everything their records need, in a fixed number of queries."""
    return (
        Resource.objects.filter(status=Resource.Status.PUBLISHED)
        .select_related("network", "author")
        .prefetch_related(
            # Into plain lists: prefetching into the managers still builds a queryset per
            # resource to hold each cache, which cost over a third of a full reindex.
            Prefetch("tags", to_attr="indexed_tags"),
            Prefetch("principles", to_attr="indexed_principles"),
            Prefetch(
                "files",
                queryset=ResourceFile.objects.select_related("current").only(
                    "pk", "resource_id", "current__id", "current__extracted_text"
                ),
                to_attr="indexed_files",
            ),
        )
        .order_by("pk")
    )


# A slug reverse() would give back unchanged, so the address can be filled in without it.
PLAIN_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


@lru_cache(maxsize=8)
def _resource_url_pattern(prefix: str) -> tuple[str, str, str]:
    """The resource address around its pk and slug, found by reversing placeholders once per
    script prefix: reverse() per resource cost a fifth of building the records."""
    made = reverse("resources:detail", kwargs={"pk": 1234567, "slug": "placeholder-slug"})
    start, _, rest = made.partition("1234567")
    middle, _, end = rest.partition("placeholder-slug")
    return start, middle, end


def resource_url(resource: Resource) -> str:
    if not PLAIN_SLUG.fullmatch(resource.slug or ""):
        return resource.get_absolute_url()
    start, middle, end = _resource_url_pattern(get_script_prefix())
    return f"{start}{resource.pk}{middle}{resource.slug}{end}"


def _prefetched(resource: Resource, name: str, manager) -> list:
    """What indexed_resources() prefetched, or a read of its own for a resource from elsewhere."""
    found = getattr(resource, name, None)
    return list(manager.all()) if found is None else found


def resource_record(resource: Resource) -> SearchRecord | None:
    """The resource as searched, or None if it is not searchable (draft or archived)."""
    if resource.status != Resource.Status.PUBLISHED:
        return None
    network = resource.network
    if network.visibility == Network.Visibility.OPEN and resource.scope == Resource.Scope.TRUST:
        audience = (STAFF, f"author:{resource.author_id}")
    else:
        audience = (f"network:{network.pk}", f"author:{resource.author_id}")
    texts = [resource.notes, resource.send_notes]
    files = _prefetched(resource, "indexed_files", resource.files)
    texts += [file.current.extracted_text for file in files if file.current is not None]
    curriculum, key_stages, phases = _curriculum(tuple(resource.year_groups))
    return SearchRecord(
        kind=RESOURCE,
        pk=resource.pk,
        title=resource.title,
        url=resource_url(resource),
        summary=resource.summary,
        body=_joined(texts),
        tags=tuple(tag.name for tag in _prefetched(resource, "indexed_tags", resource.tags)),
        curriculum=curriculum,
        author=resource.author.name,
        year_groups=tuple(resource.year_groups),
        key_stages=key_stages,
        phases=phases,
        subject=resource.subject_id,
        resource_type=resource.resource_type,
        school=resource.school_id,
        network=network.pk,
        principles=tuple(
            sorted(
                page.pk for page in _prefetched(resource, "indexed_principles", resource.principles)
            )
        ),
        shared_focus=resource.shared_focus,
        endorsed=resource.endorsed_at is not None,
        published_at=resource.published_at,
        downloads=resource.download_count,
        audience=audience,
    )


# Threads


def indexed_threads() -> QuerySet[Thread]:
    visible = Post.objects.filter(deleted_at__isnull=True, hidden_at__isnull=True).order_by("pk")
    return (
        Thread.objects.select_related("forum__network", "author")
        .prefetch_related(
            Prefetch("posts", queryset=visible.select_related("author"), to_attr="visible_posts")
        )
        .order_by("pk")
    )


def thread_record(thread: Thread) -> SearchRecord | None:
    """The thread with its visible posts, or None when nothing of it is visible."""
    posts = getattr(thread, "visible_posts", None)
    if posts is None:
        posts = list(
            thread.posts.filter(deleted_at__isnull=True, hidden_at__isnull=True).order_by("pk")
        )
    if not posts:
        return None
    network = thread.forum.network
    if network is not None and network.visibility == Network.Visibility.PRIVATE:
        audience: tuple[str, ...] = (f"network:{network.pk}",)
    else:
        audience = (STAFF,)
    first = posts[0]
    return SearchRecord(
        kind=THREAD,
        pk=thread.pk,
        title=thread.title,
        url=thread.get_absolute_url(),
        summary=first.body[:500],
        body=_joined(post.body for post in posts[1:]),
        # Anonymous threads never name their author, in the index either.
        author="" if first.is_anonymous else first.author.name,
        network=network.pk if network is not None else None,
        published_at=thread.created_at,
        audience=audience,
    )


# Pages


def indexed_pages() -> QuerySet[Page]:
    return Page.objects.live().filter(depth__gt=1).specific().order_by("pk")


def page_record(page: Page) -> SearchRecord | None:
    """A live page of the trust's site, or None for a draft or the tree's root."""
    if not page.live or page.depth <= 1:
        return None
    page = page.specific
    kind = (
        NEWS
        if isinstance(page, NewsPage)
        else PRINCIPLE
        if isinstance(page, PrinciplePage)
        else PAGE
    )
    summary = getattr(page, "intro", "") if kind == NEWS else getattr(page, "summary", "")
    published = page.first_published_at
    return SearchRecord(
        kind=kind,
        pk=page.pk,
        title=page.title,
        url=page.url or "",
        summary=_plain(summary),
        body=_joined(_stream_text(page)),
        published_at=published,
    )


def _stream_text(page: Page) -> list[str]:
    texts: list[str] = []
    for name in ("body", "examples"):  # the StreamFields pages have
        value = getattr(page, name, None)
        if value is None:
            continue
        texts += [str(text) for text in value.stream_block.get_searchable_content(value)]
    return texts


# All of them, for rebuilding an index.


def all_records() -> Iterator[SearchRecord]:
    """Every searchable record, in batches, for `search_index rebuild`."""
    for queryset, build in (
        (indexed_resources(), resource_record),
        (indexed_threads(), thread_record),
        (indexed_pages(), page_record),
    ):
        yield from _batched(queryset, build)


def record_counts() -> dict[str, int]:
    """How many records the database holds of each kind, for `search_index status`."""
    threads = Thread.objects.filter(
        Q(posts__deleted_at__isnull=True, posts__hidden_at__isnull=True)
    ).distinct()
    pages = indexed_pages()
    return {
        RESOURCE: Resource.objects.filter(status=Resource.Status.PUBLISHED).count(),
        THREAD: threads.count(),
        NEWS: pages.type(NewsPage).count(),
        PRINCIPLE: pages.type(PrinciplePage).count(),
        PAGE: pages.not_type(NewsPage, PrinciplePage).count(),
    }


def _batched(queryset: QuerySet, build) -> Iterator[SearchRecord]:
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last)[:BATCH_SIZE])
        if not batch:
            return
        for item in batch:
            record = build(item)
            if record is not None:
                yield record
        last = batch[-1].pk


def _joined(texts: Iterable[str]) -> str:
    return "\n\n".join(text for text in texts if text)[:BODY_LIMIT]


def _plain(text: str) -> str:
    return strip_tags(text or "")

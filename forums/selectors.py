"""Reads that forum pages and consumers share, each with its permission filter and a fixed
number of queries however much there is to show."""

from dataclasses import dataclass, field

from django.db.models import (
    Count,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse

from config.pagination import PageLinks
from forums.models import Forum, Post, PostRevision, Thread, ThreadRead
from networks.selectors import readable_network_ids

CATCH_UP_LIMIT = 200
# Posts per page of a thread: a 600-post thread rendered whole took most of a second.
POSTS_PAGE_SIZE = 50


def _person_id(person) -> int | None:
    return person.pk if getattr(person, "is_authenticated", False) else None


def _read_marker(person) -> Subquery:
    marker = ThreadRead.objects.filter(thread=OuterRef("pk"), person_id=_person_id(person))
    return Coalesce(
        Subquery(marker.values("last_read_post_id")[:1]), Value(0), output_field=IntegerField()
    )


def _threads_with_unread(person) -> QuerySet[Thread]:
    """Threads annotated with `last_read_post_id` and `unread_count` (visible posts after it)."""
    unread = (
        Post.objects.filter(
            thread=OuterRef("pk"),
            pk__gt=OuterRef("last_read_post_id"),
            deleted_at__isnull=True,
            hidden_at__isnull=True,
        )
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Thread.objects.annotate(last_read_post_id=_read_marker(person)).annotate(
        unread_count=Coalesce(Subquery(unread), Value(0), output_field=IntegerField())
    )


def readable_forums(person) -> QuerySet[Forum]:
    """Trust-wide forums and the forums of networks the person may read."""
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return Forum.objects.none()
    network_ids = readable_network_ids(person)
    if network_ids is None:
        return Forum.objects.all()
    return Forum.objects.filter(Q(network__isnull=True) | Q(network_id__in=network_ids))


def forums_for(person) -> QuerySet[Forum]:
    """Readable forums, each with `thread_count` and `unread_thread_count` for the person."""
    unread_threads = (
        _threads_with_unread(person)
        .filter(forum=OuterRef("pk"), unread_count__gt=0)
        .values("forum")
        .annotate(n=Count("pk"))
        .values("n")
    )
    threads = Thread.objects.filter(forum=OuterRef("pk")).values("forum")
    return (
        readable_forums(person)
        .select_related("network")
        .annotate(
            thread_count=Coalesce(
                Subquery(threads.annotate(n=Count("pk")).values("n")),
                Value(0),
                output_field=IntegerField(),
            ),
            unread_thread_count=Coalesce(
                Subquery(unread_threads), Value(0), output_field=IntegerField()
            ),
        )
        .order_by("network__name", "position", "name")
    )


def forum_by_slug(person, slug: str) -> Forum | None:
    """The forum, or None when it does not exist or the person may not read it."""
    return readable_forums(person).select_related("network").filter(slug=slug).first()


def forum_threads(person, forum: Forum) -> QuerySet[Thread]:
    """The forum's threads, pinned first then most recently active, with unread counts."""
    return (
        _threads_with_unread(person)
        .filter(forum=forum)
        .select_related("author")
        .order_by("-pinned", "-last_activity_at", "-pk")
    )


def thread_by_id(person, pk: int) -> Thread | None:
    """The thread with its forum, or None when it does not exist or the person may not read it."""
    return (
        Thread.objects.filter(forum__in=readable_forums(person))
        .select_related("forum", "forum__network", "author")
        .annotate(last_read_post_id=_read_marker(person))
        .filter(pk=pk)
        .first()
    )


def post_by_id(person, pk: int) -> Post | None:
    return (
        Post.objects.filter(thread__forum__in=readable_forums(person))
        .select_related("thread", "thread__forum", "thread__forum__network", "author")
        .filter(pk=pk)
        .first()
    )


def thread_posts(person, thread: Thread) -> QuerySet[Post]:
    """Every post in order; removed ones stay as placeholders so the conversation reads on.
    With each post's reaction counts and the post it quotes (and that post's author)."""
    from forums import reactions  # reactions builds on services, which may read here

    return (
        reactions.with_reaction_counts(Post.objects.filter(thread=thread))
        .select_related("author", "quoted__author")
        .prefetch_related(
            Prefetch("revisions", queryset=PostRevision.objects.order_by("-replaced_at", "-pk"))
        )
        .order_by("pk")
    )


def post_page_number(post: Post) -> int:
    """The page of its thread a post is on. Posts are never taken out of the order (removed
    ones stay as placeholders), so a post keeps its page."""
    return _page_of(post.thread_id, post.pk)


def _page_of(thread_id: int, post_id: int) -> int:
    before = Post.objects.filter(thread_id=thread_id, pk__lt=post_id).count()
    return before // POSTS_PAGE_SIZE + 1


def post_address(post: Post) -> str:
    """The thread's page holding the post, scrolled to it: where links to a post go."""
    thread_url = reverse("forums:thread", kwargs={"pk": post.thread_id})
    return f"{thread_url}?page={post_page_number(post)}#post-{post.pk}"


@dataclass
class ThreadPage(PageLinks):
    """One page of a thread's posts, and where the reader's first unread post is."""

    number: int
    num_pages: int
    posts: list[Post] = field(default_factory=list)
    last_post_id: int = 0
    first_unread_id: int | None = None
    first_unread_page: int | None = None

    @property
    def is_last(self) -> bool:
        return self.number == self.num_pages


def _page_wanted(value: str | None) -> int | None:
    """The page number asked for, None when none was asked for; anything that is not a
    number asks for the first page (the caller keeps it within the thread)."""
    if value is None or value == "":
        return None
    if value == "last":
        return 1_000_000_000
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        return 1
    return int(value)


def thread_page(person, thread: Thread, *, page: str | None, last_read: int) -> ThreadPage:
    """The page of posts asked for; with none asked for, the page holding the reader's first
    unread post, else the first page for a newcomer and the last for someone up to date.
    Three queries however long the thread."""
    visible = Q(deleted_at__isnull=True, hidden_at__isnull=True)
    first_unread = (
        Post.objects.filter(visible, thread=thread, pk__gt=last_read).order_by("pk").values("pk")
    )
    totals = Post.objects.filter(thread=thread).aggregate(
        total=Count("pk"),
        last=Max("pk"),
        first_unread=Min("pk", filter=visible & Q(pk__gt=last_read)),
        before_unread=Count("pk", filter=Q(pk__lt=Subquery(first_unread[:1]))),
    )
    num_pages = max(1, -(-totals["total"] // POSTS_PAGE_SIZE))
    first_unread_id = totals["first_unread"] if last_read else None
    first_unread_page = (
        totals["before_unread"] // POSTS_PAGE_SIZE + 1 if first_unread_id is not None else None
    )
    wanted = _page_wanted(page)
    if wanted is None:
        wanted = first_unread_page or (num_pages if last_read else 1)
    number = min(max(wanted, 1), num_pages)
    start = (number - 1) * POSTS_PAGE_SIZE
    posts = list(_page_posts(thread, person)[start : start + POSTS_PAGE_SIZE])
    _attach_earlier_versions(posts)
    return ThreadPage(
        number=number,
        num_pages=num_pages,
        posts=posts,
        last_post_id=totals["last"] or 0,
        first_unread_id=first_unread_id,
        first_unread_page=first_unread_page,
    )


def _page_posts(thread: Thread, person) -> QuerySet[Post]:
    """A thread's posts with their reaction counts, the reader's own reactions, and the post
    each quotes (and its author)."""
    from forums import reactions  # reactions builds on services, which may read here

    return (
        reactions.with_viewer_reactions(
            reactions.with_reaction_counts(Post.objects.filter(thread=thread)), person
        )
        .select_related("author", "quoted__author")
        .order_by("pk")
    )


def _attach_earlier_versions(posts: list[Post]) -> None:
    """`post.earlier_versions`, newest first, for every post of the page, in one query."""
    versions: dict[int, list[PostRevision]] = {}
    # Only edited posts have earlier versions; all the page's posts are asked about.
    for revision in PostRevision.objects.filter(post_id__in=[post.pk for post in posts]).order_by(
        "-replaced_at", "-pk"
    ):
        versions.setdefault(revision.post_id, []).append(revision)
    for post in posts:
        post.earlier_versions = versions.get(post.pk, [])


def _live_posts(posts: QuerySet[Post]) -> QuerySet[Post]:
    """Posts with what their shared fragment shows (author, quoted post, reaction counts), so
    a catch-up of many posts renders in one query."""
    from forums import reactions  # reactions builds on services, which may read here

    return reactions.with_reaction_counts(posts).select_related("author", "quoted__author")


def posts_after(person, thread: Thread, after_id: int) -> list[Post]:
    """What a reconnecting reader missed: posts after the last one they saw, oldest first."""
    return list(
        _live_posts(Post.objects.filter(thread=thread, pk__gt=max(int(after_id or 0), 0))).order_by(
            "pk"
        )[:CATCH_UP_LIMIT]
    )


def posts_changed_since(person, thread: Thread, revision: int) -> list[Post]:
    """Every post created or changed (edited, removed, hidden, restored, reacted to) after the
    thread's revision `revision`, in the order the changes happened. Each post comes once, as
    it is now, so a reader who applies them in turn ends up with what the database holds."""
    return list(
        _live_posts(
            Post.objects.filter(thread=thread, revision__gt=max(int(revision or 0), 0))
        ).order_by("revision", "pk")[:CATCH_UP_LIMIT]
    )


def post_revisions(post: Post) -> QuerySet[PostRevision]:
    return PostRevision.objects.filter(post=post).order_by("-replaced_at", "-pk")


def last_read_post_id(person, thread: Thread) -> int:
    return (
        ThreadRead.objects.filter(thread=thread, person_id=_person_id(person))
        .values_list("last_read_post_id", flat=True)
        .first()
        or 0
    )

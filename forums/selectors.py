"""Reads that forum pages and consumers share, each with its permission filter and a fixed
number of queries however much there is to show."""

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from forums.models import Forum, Post, PostRevision, Thread, ThreadRead
from networks.selectors import readable_network_ids

CATCH_UP_LIMIT = 200


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

"""Reactions to posts (thanks, agree, helpful, celebrate): one of each kind per person.

Counts reach every reader the way everything else does: the post takes the thread's next
revision and its fresh fragment is announced after commit."""

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

# Module imports (not names): services imports this module for its counts.
from forums import events, permissions, services
from forums.models import Post, Reaction

Kind = Reaction.Kind


def count_attribute(kind: str) -> str:
    return f"{kind}_count"


def with_reaction_counts(posts: QuerySet[Post]) -> QuerySet[Post]:
    """Posts annotated with `<kind>_count` for every kind, as subqueries: no extra query per
    post, and no join that could multiply other annotations."""
    counts = {}
    for kind in Kind.values:
        of_kind = (
            Reaction.objects.filter(post=OuterRef("pk"), kind=kind)
            .values("post")
            .annotate(n=Count("pk"))
            .values("n")
        )
        counts[count_attribute(kind)] = Coalesce(
            Subquery(of_kind), Value(0), output_field=IntegerField()
        )
    return posts.annotate(**counts)


def given_attribute(kind: str) -> str:
    return f"viewer_gave_{kind}"


def with_viewer_reactions(posts: QuerySet[Post], person) -> QuerySet[Post]:
    """Posts annotated with `viewer_gave_<kind>` for every kind: whether this person gave it,
    read with the posts (the unique (post, person, kind) index answers each)."""
    person_id = person.pk if getattr(person, "is_authenticated", False) else None
    return posts.annotate(
        **{
            given_attribute(kind): Exists(
                Reaction.objects.filter(post=OuterRef("pk"), person_id=person_id, kind=kind)
            )
            for kind in Kind.values
        }
    )


def viewer_kinds(post: Post) -> set[str]:
    """The kinds `with_viewer_reactions` found the viewer gave this post."""
    return {kind for kind in Kind.values if getattr(post, given_attribute(kind), False)}


def reaction_counts(post: Post) -> dict[str, int]:
    """The post's count of each kind, fresh from the database."""
    counts = dict.fromkeys(Kind.values, 0)
    rows = Reaction.objects.filter(post=post).values("kind").annotate(n=Count("pk"))
    for row in rows:
        if row["kind"] in counts:
            counts[row["kind"]] = row["n"]
    return counts


@transaction.atomic
def reaction_toggle(*, post: Post, person, kind: str) -> bool:
    """Give the reaction, or take it back if already given; answers whether it is now given."""
    if kind not in Kind.values:
        raise services.ForumActionRefused("Choose thanks, agree, helpful or celebrate.")
    # Locked and fetched afresh: a post hidden a moment ago refuses.
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("thread__forum__network")
        .filter(pk=post.pk)
        .first()
    )
    if post is None or not permissions.can_read_forum(person, post.thread.forum):
        raise services.ForumActionRefused("You cannot react to posts in this thread.")
    if not post.is_visible:
        raise services.ForumActionRefused("This post has been removed, so it takes no reactions.")
    if post.author_id == person.pk:
        raise services.ForumActionRefused("You cannot react to your own post.")
    suspension = services.current_suspension(person)
    if suspension is not None:
        raise services.ForumActionRefused(
            "You are suspended from posting and reacting until "
            f"{timezone.localtime(suspension.ends_at):%-d %B %Y, %H:%M}."
        )
    removed, _ = Reaction.objects.filter(post=post, person=person, kind=kind).delete()
    given = not removed
    if given:
        try:
            with transaction.atomic():
                Reaction.objects.create(post=post, person=person, kind=kind)
        except IntegrityError:  # the same click twice at once: it is given either way
            pass
    services.bump_revision(post)
    services.announce_post_on_commit(events.POST_UPDATED, post)
    return given

"""A resource's discussion and a principle's consultation: ordinary threads, linked to what they
discuss, started by the first person who posts.

A resource's discussion lives in its network's forum (so it follows the network's visibility
and membership rules); a principle's consultation lives in the "Principles consultation"
forum. Each thing has at most one thread (a unique one-to-one link): two people starting the
discussion at the same moment end up in the same thread, one starting it and one replying.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError
from django.db.models import Count, Q
from django.urls import reverse

from forums import services
from forums.models import Forum, Post, Thread
from forums.permissions import can_read_forum, can_reply, can_start_thread
from forums.services import ForumActionRefused
from resources.models import Resource
from resources.permissions import can_view_resource

CONSULTATION_FORUM_SLUG = "principles-consultation"
PANEL_POSTS = 3
TITLE_MAX_LENGTH = services.TITLE_MAX_LENGTH


@dataclass
class DiscussionPanel:
    """What a resource or principle page shows of its discussion, for one person."""

    subject: str
    heading: str
    action_url: str
    thread: Thread | None = None
    latest: list[Post] = field(default_factory=list)
    post_count: int = 0
    readable: bool = True
    can_post: bool = False
    # Why the person cannot read or post here, in a sentence they can act on.
    notice: str = ""
    allows_anonymous: bool = False


def consultation_forum() -> Forum | None:
    return Forum.objects.select_related("network").filter(slug=CONSULTATION_FORUM_SLUG).first()


def _thread_for(**link) -> Thread | None:
    visible = Q(posts__deleted_at__isnull=True, posts__hidden_at__isnull=True)
    return (
        Thread.objects.filter(**link)
        .select_related("forum__network")
        .annotate(visible_posts=Count("posts", filter=visible))
        .first()
    )


def _linked_thread(**link) -> Thread | None:
    return Thread.objects.filter(**link).first()


def _discuss(*, forum: Forum, author, title: str, body: str, is_anonymous: bool, **link) -> Post:
    """Reply in the thread linked to the resource or page, starting it if there is none."""
    thread = _linked_thread(**link)
    if thread is None:
        try:
            thread = services.thread_create(
                forum=forum,
                author=author,
                title=title[:TITLE_MAX_LENGTH],
                body=body,
                is_anonymous=is_anonymous,
                **link,
            )
        except IntegrityError:
            # Someone started it a moment ago (the link is unique): join their thread.
            thread = Thread.objects.filter(**link).first()
            if thread is None:
                raise
        else:
            return thread.posts.order_by("pk").first()
    return services.post_create(thread=thread, author=author, body=body, is_anonymous=is_anonymous)


def resource_discussion_post(
    *, resource: Resource, author, body: str, is_anonymous: bool = False
) -> Post:
    """Post in the resource's discussion, starting it with this post if it has none yet."""
    if not can_view_resource(author, resource):
        raise ForumActionRefused("You cannot see this resource, so you cannot discuss it.")
    forum = services.forum_for_network(network=resource.network)
    return _discuss(
        forum=forum,
        author=author,
        title=resource.title,
        body=body,
        is_anonymous=is_anonymous,
        resource=resource,
    )


def principle_consultation_post(*, page, author, body: str, is_anonymous: bool = False) -> Post:
    """Post in the principle's consultation, starting it with this post if it has none yet."""
    if not page.live:
        raise ForumActionRefused("This principle is not published, so it cannot be discussed.")
    forum = consultation_forum()
    if forum is None:
        raise ForumActionRefused("The principles consultation is not open at the moment.")
    return _discuss(
        forum=forum,
        author=author,
        title=page.title,
        body=body,
        is_anonymous=is_anonymous,
        page=page,
    )


def _fill(panel: DiscussionPanel, person, forum: Forum | None, thread: Thread | None) -> None:
    """The rest of the panel: what the person may read and do, and the latest posts."""
    if thread is not None:
        forum = thread.forum
    if forum is None:
        panel.readable = False
        panel.notice = "Discussion is not open at the moment."
        return
    panel.allows_anonymous = forum.allows_anonymous_posts
    if not can_read_forum(person, forum):
        panel.readable = False
        network = forum.network.name if forum.network_id else forum.name
        panel.notice = f"Discussion is open to members of {network}."
        return
    panel.thread = thread
    if thread is not None:
        panel.post_count = thread.visible_posts
        latest = (
            Post.objects.filter(thread=thread, deleted_at__isnull=True, hidden_at__isnull=True)
            .select_related("author")
            .order_by("-pk")[:PANEL_POSTS]
        )
        panel.latest = list(reversed(latest))
        panel.can_post = can_reply(person, thread)
        if thread.locked:
            panel.notice = "This discussion is locked: no more replies can be added."
    else:
        panel.can_post = can_start_thread(person, forum)
    if not panel.can_post and not panel.notice:
        if forum.network_id is not None:
            panel.notice = f"Join the {forum.network.name} network to take part."
        else:
            panel.notice = "You cannot post in this discussion."


def resource_panel(person, resource: Resource) -> DiscussionPanel:
    """The resource page's discussion panel, in a fixed number of queries."""
    panel = DiscussionPanel(
        subject=resource.title,
        heading="Discussion",
        action_url=reverse("forums:resource_discussion", kwargs={"pk": resource.pk}),
    )
    thread = _thread_for(resource=resource)
    forum = None
    if thread is None:
        forum = Forum.objects.select_related("network").filter(network=resource.network).first()
    _fill(panel, person, forum, thread)
    return panel


def principle_panel(person, page) -> DiscussionPanel:
    """The principle page's consultation panel, in a fixed number of queries."""
    panel = DiscussionPanel(
        subject=page.title,
        heading="Consultation",
        action_url=reverse("forums:principle_consultation", kwargs={"page_id": page.pk}),
    )
    thread = _thread_for(page=page)
    _fill(panel, person, consultation_forum() if thread is None else None, thread)
    return panel

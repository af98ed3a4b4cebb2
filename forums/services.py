"""Every change to forums, threads and posts. Each function owns its transaction, so a
refusal leaves nothing half-saved, and announces to live readers only after commit."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from forums import events
from forums.models import (
    POST_MAX_LENGTH,
    Forum,
    Post,
    PostRevision,
    Thread,
    ThreadFollow,
    ThreadRead,
)
from forums.permissions import (
    can_edit_post,
    can_read_forum,
    can_reply,
    can_start_thread,
    is_moderator,
)
from networks.models import Network
from resources.markdown import render_notes

TITLE_MAX_LENGTH = Thread._meta.get_field("title").max_length


class ForumActionRefused(Exception):
    """A clear, human refusal: views show the message, consumers send it as an error frame."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def render_post_body(body: str) -> str:
    """The post's Markdown as allow-listed HTML, rendered once when the post is saved."""
    return render_notes(body)


def _checked_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ForumActionRefused("Write something before posting.")
    if len(body) > POST_MAX_LENGTH:
        raise ForumActionRefused(
            f"Posts can be at most {POST_MAX_LENGTH:,} characters; this one has {len(body):,}."
        )
    return body


def _announce_on_commit(kind: str, post_id: int, thread_id: int) -> None:
    def ring() -> None:
        # Fetched afresh so the fragment shows what was committed, with its author in one query.
        post = Post.objects.select_related("author").filter(pk=post_id).first()
        if post is None:
            return
        events.announce(events.thread_group(thread_id), events.post_event(kind, post))

    transaction.on_commit(ring)


def _follow(person, thread: Thread) -> None:
    ThreadFollow.objects.get_or_create(person=person, thread=thread)


@transaction.atomic
def thread_create(
    *, forum: Forum, author, title: str, body: str, is_anonymous: bool = False
) -> Thread:
    """Start a thread: its title and first post are saved together or not at all."""
    if not can_start_thread(author, forum):
        if forum.central_team_starts_threads and can_read_forum(author, forum):
            raise ForumActionRefused(f"Only the central team can start threads in {forum.name}.")
        if forum.network_id is not None and can_read_forum(author, forum):
            raise ForumActionRefused("Join the network to start a thread in its forum.")
        raise ForumActionRefused("You cannot start a thread in this forum.")
    title = (title or "").strip()
    if not title:
        raise ForumActionRefused("Give the thread a title.")
    if len(title) > TITLE_MAX_LENGTH:
        raise ForumActionRefused(f"Titles can be at most {TITLE_MAX_LENGTH} characters.")
    body = _checked_body(body)
    if is_anonymous and not forum.allows_anonymous_posts:
        raise ForumActionRefused(f"Anonymous posts are not allowed in {forum.name}.")
    now = timezone.now()
    thread = Thread.objects.create(
        forum=forum, title=title, author=author, created_at=now, last_activity_at=now
    )
    post = Post.objects.create(
        thread=thread,
        author=author,
        body=body,
        body_html=render_post_body(body),
        is_anonymous=is_anonymous,
        created_at=now,
    )
    _follow(author, thread)
    ThreadRead.objects.update_or_create(
        person=author, thread=thread, defaults={"last_read_post_id": post.pk}
    )
    return thread


@transaction.atomic
def post_create(
    *, thread: Thread, author, body: str, is_anonymous: bool = False, quoted: Post | None = None
) -> Post:
    """Reply in a thread, then ring the thread's doorbell once the reply is committed."""
    # Locked afresh, so a thread locked a moment ago refuses and reply counts stay exact.
    thread = Thread.objects.select_for_update().select_related("forum").get(pk=thread.pk)
    if thread.locked:
        raise ForumActionRefused("This thread is locked: no more replies can be added.")
    if not can_reply(author, thread):
        if thread.forum.network_id is not None and can_read_forum(author, thread.forum):
            raise ForumActionRefused("Join the network to reply in its forum.")
        raise ForumActionRefused("You cannot reply in this thread.")
    body = _checked_body(body)
    if is_anonymous and not thread.forum.allows_anonymous_posts:
        raise ForumActionRefused(f"Anonymous posts are not allowed in {thread.forum.name}.")
    if quoted is not None and quoted.thread_id != thread.pk:
        raise ForumActionRefused("You can only quote a post from the same thread.")
    now = timezone.now()
    post = Post.objects.create(
        thread=thread,
        author=author,
        body=body,
        body_html=render_post_body(body),
        is_anonymous=is_anonymous,
        quoted=quoted,
        created_at=now,
    )
    Thread.objects.filter(pk=thread.pk).update(
        last_activity_at=now, reply_count=F("reply_count") + 1
    )
    _follow(author, thread)
    ThreadRead.objects.update_or_create(
        person=author, thread=thread, defaults={"last_read_post_id": post.pk}
    )
    _announce_on_commit(events.POST_CREATED, post.pk, thread.pk)
    return post


@transaction.atomic
def post_edit(*, post: Post, editor, body: str) -> Post:
    """Change a post's text, keeping the old text so readers can see what changed."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    if not can_edit_post(editor, post):
        raise ForumActionRefused("Only the author can edit this post.")
    body = _checked_body(body)
    if body == post.body:
        return post
    PostRevision.objects.create(post=post, body=post.body)
    post.body = body
    post.body_html = render_post_body(body)
    post.edited_at = timezone.now()
    post.save(update_fields=["body", "body_html", "edited_at"])
    _announce_on_commit(events.POST_EDITED, post.pk, post.thread_id)
    return post


def can_delete_post(person, post: Post) -> bool:
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return False
    return post.author_id == person.pk or is_moderator(person)


@transaction.atomic
def post_delete(*, post: Post, deleter) -> Post:
    """Remove a post softly: it stays in the record, and readers see that it was removed."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    if not can_delete_post(deleter, post):
        raise ForumActionRefused("Only the author or a moderator can remove this post.")
    if post.deleted_at is not None:
        return post
    post.deleted_at = timezone.now()
    post.save(update_fields=["deleted_at"])
    _announce_on_commit(events.POST_REMOVED, post.pk, post.thread_id)
    return post


def thread_mark_read(*, thread: Thread, person, last_post_id: int | None = None) -> None:
    """Remember how far the person has read; never moves the marker backwards."""
    if not getattr(person, "is_authenticated", False):
        return
    if last_post_id is None:
        last_post_id = (
            Post.objects.filter(thread=thread, deleted_at__isnull=True, hidden_at__isnull=True)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
            or 0
        )
    updated = ThreadRead.objects.filter(
        person=person, thread=thread, last_read_post_id__lt=last_post_id
    ).update(last_read_post_id=last_post_id)
    if updated:
        return
    try:
        with transaction.atomic():
            ThreadRead.objects.get_or_create(
                person=person, thread=thread, defaults={"last_read_post_id": last_post_id}
            )
    except IntegrityError:  # another tab made the marker at the same moment
        pass


def thread_follow(*, thread: Thread, person) -> None:
    try:
        with transaction.atomic():
            _follow(person, thread)
    except IntegrityError:
        pass


def thread_unfollow(*, thread: Thread, person) -> None:
    ThreadFollow.objects.filter(person=person, thread=thread).delete()


@transaction.atomic
def forum_for_network(*, network: Network) -> Forum:
    """The network's forum (made with the network; made here if it is somehow missing)."""
    forum = Forum.objects.filter(network=network).first()
    if forum is not None:
        return forum
    slug = f"network-{network.slug}"
    forum, _ = Forum.objects.get_or_create(
        network=network,
        defaults={
            "name": network.name,
            "slug": slug[:120],
            "description": f"Discussion for the {network.name} network.",
            "position": 100,
        },
    )
    return forum

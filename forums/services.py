"""Every change to forums, threads and posts. Each function owns its transaction, so a
refusal leaves nothing half-saved, and announces to live readers only after commit."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from forums import cards, events, mentions, notifications
from forums.models import (
    POST_MAX_LENGTH,
    Forum,
    Post,
    PostRevision,
    Suspension,
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

# Posting rate limits: generous for conversation, tight enough to stop a runaway script or a
# pile-on. Counted from the database, so they hold across every worker process.
POSTS_PER_MINUTE = 8
THREADS_PER_TEN_MINUTES = 5


class ForumActionRefused(Exception):
    """A clear, human refusal: views show the message, consumers send it as an error frame."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def render_post_body(body: str) -> str:
    """The post's Markdown as allow-listed HTML, rendered once when the post is saved: then
    mentions linked to profiles and cards for linked resources, both our own markup added
    after sanitising (names and titles escaped), so the allow-list need not grow."""
    return mentions.link_mentions(render_notes(body)) + cards.resource_cards_html(body)


def _checked_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ForumActionRefused("Write something before posting.")
    if len(body) > POST_MAX_LENGTH:
        raise ForumActionRefused(
            f"Posts can be at most {POST_MAX_LENGTH:,} characters; this one has {len(body):,}."
        )
    return body


def current_suspension(person) -> Suspension | None:
    """The suspension keeping the person from posting now, if any."""
    now = timezone.now()
    return (
        Suspension.objects.filter(
            person=person, starts_at__lte=now, ends_at__gt=now, lifted_at__isnull=True
        )
        .order_by("-ends_at")
        .first()
    )


def check_may_post(person, *, starting_thread: bool = False) -> None:
    """Refuse a suspended person, or someone posting faster than a person types."""
    suspension = current_suspension(person)
    if suspension is not None:
        until = timezone.localtime(suspension.ends_at)
        raise ForumActionRefused(
            f"You are suspended from posting until {until:%-d %B %Y, %H:%M}. "
            "If you think this is a mistake, speak to your school's designated safeguarding lead."
        )
    now = timezone.now()
    recent = Post.objects.filter(author=person, created_at__gt=now - timedelta(minutes=1))
    if recent.count() >= POSTS_PER_MINUTE:
        raise ForumActionRefused(
            f"You have posted {POSTS_PER_MINUTE} times in the last minute. "
            "Wait a minute, then post again: your text is kept."
        )
    if starting_thread:
        started = Thread.objects.filter(author=person, created_at__gt=now - timedelta(minutes=10))
        if started.count() >= THREADS_PER_TEN_MINUTES:
            raise ForumActionRefused(
                f"You have started {THREADS_PER_TEN_MINUTES} threads in the last ten minutes. "
                "Wait a few minutes before starting another: your text is kept."
            )


def bump_revision(post: Post) -> int:
    """Give the post the thread's next revision, so reconnecting readers catch the change.
    The UPDATE holds the thread's row lock until commit, so revisions are handed out in order."""
    Thread.objects.filter(pk=post.thread_id).update(revision=F("revision") + 1)
    revision = Thread.objects.values_list("revision", flat=True).get(pk=post.thread_id)
    Post.objects.filter(pk=post.pk).update(revision=revision)
    post.revision = revision
    return revision


def announce_post_on_commit(kind: str, post: Post) -> None:
    """After commit, send the post's fresh fragment to the thread's live readers.

    Commit hooks run in the order they were registered, and saving a post registers the search
    index's update (search.signals), which takes longer than the doorbell: so callers announce
    before they save, and the post may not have its id yet (it is read at commit)."""

    def ring() -> None:
        # Fetched afresh so the fragment shows what was committed: author, quoted post and
        # reaction counts in one query.
        from forums import reactions  # reactions builds on this module

        committed = (
            reactions.with_reaction_counts(Post.objects.filter(pk=post.pk))
            .select_related("author", "quoted__author")
            .first()
        )
        if committed is None:
            return
        events.announce(
            events.thread_group(committed.thread_id), events.post_event(kind, committed)
        )

    transaction.on_commit(ring)


def _after_post_saved(post: Post, *, created: bool) -> None:
    """Mentions and notifications for a saved post (new, or edited to mention someone)."""
    mentioned = mentions.record_mentions(post)
    post_id = post.pk
    mentioned_ids = [person.pk for person in mentioned]
    transaction.on_commit(
        lambda: notifications.post_saved(post_id, created=created, mentioned_ids=mentioned_ids)
    )
    for person in mentioned:
        if can_read_forum(person, post.thread.forum):
            _follow(person, post.thread)


def _follow(person, thread: Thread) -> None:
    ThreadFollow.objects.get_or_create(person=person, thread=thread)


@transaction.atomic
def thread_create(
    *,
    forum: Forum,
    author,
    title: str,
    body: str,
    is_anonymous: bool = False,
    resource=None,
    page=None,
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
    check_may_post(author, starting_thread=True)
    now = timezone.now()
    thread = Thread.objects.create(
        forum=forum,
        title=title,
        author=author,
        created_at=now,
        last_activity_at=now,
        is_anonymous=is_anonymous,
        resource=resource,
        page=page,
    )
    post = Post.objects.create(
        thread=thread,
        author=author,
        body=body,
        body_html=render_post_body(body),
        is_anonymous=is_anonymous,
        created_at=now,
    )
    bump_revision(post)
    _follow(author, thread)
    ThreadRead.objects.update_or_create(
        person=author, thread=thread, defaults={"last_read_post_id": post.pk}
    )
    # On-commit callbacks run in order: readers' live pages first, notifications after.
    thread_id = thread.pk
    transaction.on_commit(lambda: events.announce_thread(thread_id))
    _after_post_saved(post, created=True)
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
    check_may_post(author)
    now = timezone.now()
    post = Post(
        thread=thread,
        author=author,
        body=body,
        body_html=render_post_body(body),
        is_anonymous=is_anonymous,
        quoted=quoted,
        created_at=now,
    )
    # On-commit callbacks run in order: the thread's live readers first, then the forum's,
    # then the search index and notifications (which read and write more and must not delay
    # the doorbell). Registered before the post is saved, since saving queues the index's.
    announce_post_on_commit(events.POST_CREATED, post)
    thread_id = thread.pk
    transaction.on_commit(lambda: events.announce_thread(thread_id))
    post.save(force_insert=True)
    Thread.objects.filter(pk=thread.pk).update(
        last_activity_at=now, reply_count=F("reply_count") + 1
    )
    bump_revision(post)
    _follow(author, thread)
    ThreadRead.objects.update_or_create(
        person=author, thread=thread, defaults={"last_read_post_id": post.pk}
    )
    _after_post_saved(post, created=True)
    return post


@transaction.atomic
def post_edit(*, post: Post, editor, body: str) -> Post:
    """Change a post's text, keeping the old text so readers can see what changed."""
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("thread__forum__network")
        .get(pk=post.pk)
    )
    if post.hidden_at is not None and post.author_id == getattr(editor, "pk", None):
        # Restoring puts back what was hidden (for a post naming a pupil, the preserved words),
        # so an edit made meanwhile would be lost.
        raise ForumActionRefused("A moderator has hidden this post, so it cannot be edited.")
    if not can_edit_post(editor, post):
        raise ForumActionRefused("Only the author can edit this post.")
    body = _checked_body(body)
    if body == post.body:
        return post
    PostRevision.objects.create(post=post, body=post.body)
    post.body = body
    post.body_html = render_post_body(body)
    post.edited_at = timezone.now()
    announce_post_on_commit(events.POST_EDITED, post)  # before the save: see there
    post.save(update_fields=["body", "body_html", "edited_at"])
    bump_revision(post)
    _after_post_saved(post, created=False)
    return post


def can_delete_post(person, post: Post) -> bool:
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return False
    return post.author_id == person.pk or is_moderator(person)


@transaction.atomic
def post_delete(*, post: Post, deleter) -> Post:
    """Remove a post softly: it stays in the record, and readers see that it was removed."""
    post = Post.objects.select_for_update(of=("self",)).select_related("thread").get(pk=post.pk)
    if not can_delete_post(deleter, post):
        raise ForumActionRefused("Only the author or a moderator can remove this post.")
    if post.deleted_at is not None:
        return post
    post.deleted_at = timezone.now()
    announce_post_on_commit(events.POST_REMOVED, post)  # before the save: see there
    post.save(update_fields=["deleted_at"])
    bump_revision(post)
    # Imported here: moderation builds on this module. A moderator removing someone else's
    # post is audited in the same transaction.
    from forums.moderation import record_post_removal

    record_post_removal(post=post, remover=deleter)
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

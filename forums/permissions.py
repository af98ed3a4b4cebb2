"""Who may read and write in forums. Views, consumers and selectors ask here."""

from forums.models import Forum, Post, Thread
from networks.permissions import can_view_network, is_lead, is_member
from people.roles import Role, is_central, role_names


def _active(person) -> bool:
    return bool(getattr(person, "is_authenticated", False) and person.is_active)


def can_read_forum(person, forum: Forum) -> bool:
    if not _active(person):
        return False
    if forum.network_id is None:
        return True
    return can_view_network(person, forum.network)


def can_start_thread(person, forum: Forum) -> bool:
    if not can_read_forum(person, forum):
        return False
    if forum.central_team_starts_threads:
        return is_central(person)
    if forum.network_id is not None:
        return is_central(person) or is_member(person, forum.network)
    return True


def can_reply(person, thread: Thread) -> bool:
    if thread.locked:
        return False
    forum = thread.forum
    if forum.network_id is not None and not (
        is_central(person) or is_member(person, forum.network)
    ):
        return False
    return can_read_forum(person, forum)


def is_moderator(person) -> bool:
    return _active(person) and (is_central(person) or Role.MODERATOR.value in role_names(person))


def can_edit_post(person, post: Post) -> bool:
    return (
        _active(person)
        and post.author_id == person.pk
        and post.deleted_at is None
        and post.hidden_at is None
    )


def can_moderate_forum(person, forum: Forum) -> bool:
    """Moderators and the central team everywhere; a network's leads in its forum."""
    if is_moderator(person):
        return True
    return (
        _active(person)
        and forum.network_id is not None
        and can_read_forum(person, forum)
        and is_lead(person, forum.network)
    )


def can_reveal_author(person) -> bool:
    """Only moderators (the safeguarding route) may see who wrote an anonymous post; each
    look is recorded in the audit log."""
    return is_moderator(person)

"""Who may read and write where: the rules the pages, services and consumers all ask."""

import pytest

from forums import permissions
from forums.models import Forum
from forums.services import forum_for_network
from tests.factories import PersonFactory
from tests.forums.factories import PostFactory, ThreadFactory
from tests.networks.factories import MembershipFactory, NetworkFactory

pytestmark = pytest.mark.django_db


def test_every_member_of_staff_reads_and_writes_in_trust_forums(primary_teacher):
    wellbeing = Forum.objects.get(slug="wellbeing")

    assert permissions.can_read_forum(primary_teacher, wellbeing)
    assert permissions.can_start_thread(primary_teacher, wellbeing)
    assert permissions.can_reply(primary_teacher, ThreadFactory(forum=wellbeing))


def test_only_the_central_team_starts_announcements_but_everyone_replies(
    primary_teacher, central_team_editor, trust_admin
):
    announcements = Forum.objects.get(slug="announcements")

    assert not permissions.can_start_thread(primary_teacher, announcements)
    assert permissions.can_start_thread(central_team_editor, announcements)
    assert permissions.can_start_thread(trust_admin, announcements)
    assert permissions.can_reply(primary_teacher, ThreadFactory(forum=announcements))


def test_an_open_networks_forum_is_read_by_all_but_written_by_members(primary_teacher):
    network = NetworkFactory()
    forum = forum_for_network(network=network)
    thread = ThreadFactory(forum=forum)
    member = PersonFactory()
    MembershipFactory(network=network, person=member)

    assert permissions.can_read_forum(primary_teacher, forum)
    assert not permissions.can_start_thread(primary_teacher, forum)
    assert not permissions.can_reply(primary_teacher, thread)
    assert permissions.can_start_thread(member, forum)
    assert permissions.can_reply(member, thread)


def test_a_private_networks_forum_is_closed_to_non_members(primary_teacher, central_team_editor):
    forum = forum_for_network(network=NetworkFactory(private=True))

    assert not permissions.can_read_forum(primary_teacher, forum)
    assert permissions.can_read_forum(central_team_editor, forum)
    assert permissions.can_start_thread(central_team_editor, forum)


def test_nobody_replies_to_a_locked_thread(central_team_editor):
    thread = ThreadFactory(forum=Forum.objects.get(slug="wellbeing"), locked=True)

    assert not permissions.can_reply(central_team_editor, thread)


def test_inactive_and_signed_out_people_may_do_nothing(primary_teacher):
    from django.contrib.auth.models import AnonymousUser

    wellbeing = Forum.objects.get(slug="wellbeing")
    primary_teacher.is_active = False

    for person in (primary_teacher, AnonymousUser()):
        assert not permissions.can_read_forum(person, wellbeing)
        assert not permissions.can_start_thread(person, wellbeing)


def test_only_the_author_edits_a_post_and_not_once_removed(primary_teacher, moderator):
    post = PostFactory(author=primary_teacher)

    assert permissions.can_edit_post(primary_teacher, post)
    assert not permissions.can_edit_post(moderator, post)
    assert permissions.is_moderator(moderator)
    assert not permissions.is_moderator(primary_teacher)

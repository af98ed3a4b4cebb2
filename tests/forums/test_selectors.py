"""Reads for forum pages and live catch-up: what each person sees, and unread counts."""

import pytest

from forums import selectors, services
from forums.models import Forum
from tests.factories import PersonFactory
from tests.forums.factories import PostFactory, ThreadFactory
from tests.networks.factories import MembershipFactory, NetworkFactory

pytestmark = pytest.mark.django_db


def test_staff_see_trust_forums_and_open_network_forums_but_not_private_ones(primary_teacher):
    open_forum = services.forum_for_network(network=NetworkFactory(name="Open maths"))
    private = services.forum_for_network(network=NetworkFactory(name="Heads", private=True))

    slugs = set(selectors.forums_for(primary_teacher).values_list("slug", flat=True))

    assert {"announcements", "staff-voice", "wellbeing"} <= slugs
    assert open_forum.slug in slugs
    assert private.slug not in slugs


def test_members_and_the_central_team_see_a_private_networks_forum(
    primary_teacher, central_team_editor
):
    network = NetworkFactory(name="Heads", private=True)
    forum = services.forum_for_network(network=network)
    MembershipFactory(network=network, person=primary_teacher)

    assert forum in selectors.forums_for(primary_teacher)
    assert forum in selectors.forums_for(central_team_editor)


def test_forums_count_threads_and_the_persons_unread_threads(primary_teacher):
    wellbeing = Forum.objects.get(slug="wellbeing")
    read = PostFactory(thread__forum=wellbeing).thread
    services.thread_mark_read(thread=read, person=primary_teacher)
    PostFactory(thread__forum=wellbeing)
    PostFactory(thread__forum=wellbeing)

    forum = selectors.forums_for(primary_teacher).get(slug="wellbeing")

    assert forum.thread_count == 3
    assert forum.unread_thread_count == 2


def test_forum_threads_put_pinned_first_and_count_unread_posts(primary_teacher):
    wellbeing = Forum.objects.get(slug="wellbeing")
    first = PostFactory(thread__forum=wellbeing)
    PostFactory(thread=first.thread)
    services.thread_mark_read(thread=first.thread, person=primary_teacher, last_post_id=first.pk)
    pinned = ThreadFactory(forum=wellbeing, pinned=True)

    threads = list(selectors.forum_threads(primary_teacher, wellbeing))

    assert threads[0] == pinned
    assert threads[1].unread_count == 1


def test_removed_posts_stay_as_placeholders_but_are_not_unread(primary_teacher):
    post = PostFactory()
    removed = PostFactory(thread=post.thread)
    services.post_delete(post=removed, deleter=removed.author)
    services.thread_mark_read(thread=post.thread, person=primary_teacher, last_post_id=post.pk)

    assert list(selectors.thread_posts(primary_teacher, post.thread)) == [post, removed]
    [thread] = selectors.forum_threads(primary_teacher, post.thread.forum)
    assert thread.unread_count == 0


def test_catch_up_returns_posts_after_the_last_seen_in_order():
    first = PostFactory()
    second = PostFactory(thread=first.thread)
    third = PostFactory(thread=first.thread)
    PostFactory()  # another thread

    assert selectors.posts_after(PersonFactory(), first.thread, first.pk) == [second, third]
    assert selectors.posts_after(PersonFactory(), first.thread, -5) == [first, second, third]


def test_catch_up_is_limited(django_assert_num_queries):
    thread = ThreadFactory()
    PostFactory.create_batch(selectors.CATCH_UP_LIMIT + 5, thread=thread)

    with django_assert_num_queries(1):
        posts = selectors.posts_after(None, thread, 0)
        assert all(post.author.name for post in posts)

    assert len(posts) == selectors.CATCH_UP_LIMIT


def test_a_thread_in_a_private_network_is_not_found_for_outsiders(primary_teacher):
    forum = services.forum_for_network(network=NetworkFactory(private=True))
    post = PostFactory(thread__forum=forum)

    assert selectors.thread_by_id(primary_teacher, post.thread_id) is None
    assert selectors.post_by_id(primary_teacher, post.pk) is None


def test_a_new_network_has_its_forum_at_once_and_listing_forums_writes_nothing(
    staff_client, django_assert_max_num_queries
) -> None:
    from forums.models import Forum

    network = NetworkFactory(name="Drama")

    assert Forum.objects.get(network=network).slug == "network-drama"
    before = Forum.objects.count()
    staff_client.get("/forums/")
    assert Forum.objects.count() == before

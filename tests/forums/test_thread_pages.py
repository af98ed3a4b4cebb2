"""Long threads come in pages of 50 posts: a reader lands on the page holding their first
unread post, a link to a post lands on the page holding it, and any ?page= value gives a page
(never an error). Each page costs the same queries however long the thread."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forums import services
from forums.models import Forum, Post, ThreadRead
from forums.selectors import POSTS_PAGE_SIZE
from tests.forums.factories import PostFactory, ThreadFactory
from tests.networks.factories import NetworkFactory

pytestmark = pytest.mark.django_db


def add_posts(thread, count: int) -> None:
    """Many posts at once, by one colleague (one body rendered, as the factory would)."""
    first = PostFactory(thread=thread)
    Post.objects.bulk_create(
        Post(thread=thread, author=first.author, body=first.body, body_html=first.body_html)
        for _ in range(count - 1)
    )


@pytest.fixture
def long_thread():
    """A thread of 120 posts in a forum every member of staff reads: pages of 50, 50 and 20."""
    thread = ThreadFactory(forum=Forum.objects.get(slug="wellbeing"))
    add_posts(thread, 120)
    return thread


def post_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<article class="post[^"]*" id="post-(\d+)"', html)]


def opened(client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_ids_on_a_thread_page_never_take_a_thousands_separator(settings, staff_client):
    settings.USE_THOUSAND_SEPARATOR = True
    thread = ThreadFactory(forum=Forum.objects.get(slug="wellbeing"))
    post = PostFactory(thread=thread, pk=1234567)

    html = opened(staff_client, thread.get_absolute_url())

    assert f'id="post-{post.pk}" data-post-id="1234567"' in html
    assert f"?post={post.pk}" in html
    assert "1,234,567" not in html


def test_a_newcomer_opens_a_long_thread_at_its_first_page(staff_client, long_thread):
    posts = list(long_thread.posts.order_by("pk"))

    html = opened(staff_client, long_thread.get_absolute_url())

    assert post_ids(html) == [post.pk for post in posts[:POSTS_PAGE_SIZE]]
    assert "Page 1 of 3" in html
    assert 'href="?page=2" rel="next"' in html


def test_a_reader_lands_on_the_page_holding_their_first_unread_post(
    staff_client, primary_teacher, long_thread
):
    posts = list(long_thread.posts.order_by("pk"))
    services.thread_mark_read(thread=long_thread, person=primary_teacher, last_post_id=posts[69].pk)

    html = opened(staff_client, long_thread.get_absolute_url())

    assert post_ids(html) == [post.pk for post in posts[50:100]]
    assert 'id="first-unread"' in html
    assert f'href="#post-{posts[70].pk}" class="jump-unread"' in html


def test_the_jump_to_the_first_unread_post_leads_to_its_page_from_another(
    staff_client, primary_teacher, long_thread
):
    posts = list(long_thread.posts.order_by("pk"))
    services.thread_mark_read(thread=long_thread, person=primary_teacher, last_post_id=posts[69].pk)

    html = opened(staff_client, long_thread.get_absolute_url(), page="1")

    assert f'href="?page=2#post-{posts[70].pk}" class="jump-unread"' in html
    assert 'id="first-unread"' not in html


def test_a_reader_who_is_up_to_date_opens_the_last_page(staff_client, primary_teacher, long_thread):
    posts = list(long_thread.posts.order_by("pk"))
    services.thread_mark_read(thread=long_thread, person=primary_teacher)

    html = opened(staff_client, long_thread.get_absolute_url())

    assert post_ids(html) == [post.pk for post in posts[100:]]
    assert "data-later-pages" not in html


def test_reading_an_early_page_marks_the_thread_read_only_that_far(
    staff_client, primary_teacher, long_thread
):
    posts = list(long_thread.posts.order_by("pk"))

    html = opened(staff_client, long_thread.get_absolute_url(), page="1")

    marker = ThreadRead.objects.get(person=primary_teacher, thread=long_thread)
    assert marker.last_read_post_id == posts[49].pk
    # Live updates: new posts are announced, not added, on an earlier page.
    assert "data-later-pages" in html
    assert 'data-latest-url="?page=3"' in html
    assert f'data-last-post-id="{posts[-1].pk}"' in html


def test_a_link_to_a_post_lands_on_the_page_holding_it(staff_client, long_thread):
    post = long_thread.posts.order_by("pk")[74]

    response = staff_client.get(reverse("forums:post", kwargs={"pk": post.pk}))

    assert response.status_code == 302
    assert response["Location"] == f"{long_thread.get_absolute_url()}?page=2#post-{post.pk}"
    assert post.pk in post_ids(opened(staff_client, long_thread.get_absolute_url(), page="2"))
    assert post.get_absolute_url() == reverse("forums:post", kwargs={"pk": post.pk})


def test_a_link_to_a_post_the_reader_may_not_see_is_a_404(staff_client):
    private = NetworkFactory(visibility="private")
    post = PostFactory(thread__forum=services.forum_for_network(network=private))

    assert staff_client.get(reverse("forums:post", kwargs={"pk": post.pk})).status_code == 404
    assert staff_client.get(reverse("forums:post", kwargs={"pk": 99999})).status_code == 404


def test_a_reply_goes_to_the_last_page(staff_client, long_thread):
    response = staff_client.post(
        reverse("forums:post_create", kwargs={"pk": long_thread.pk}), {"body": "Agreed."}
    )

    post = Post.objects.latest("pk")
    assert response["Location"] == f"{long_thread.get_absolute_url()}?page=3#post-{post.pk}"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2", 2),
        ("3", 3),
        ("last", 3),
        ("999", 3),
        ("99999999999999999999", 1),
        ("0", 1),
        ("-1", 1),
        ("two", 1),
        ("", 1),
        ("2.5", 1),
        ("٢", 1),
        ("\x00", 1),
    ],
)
def test_any_page_value_gives_a_page(staff_client, long_thread, value, shown):
    html = opened(staff_client, long_thread.get_absolute_url(), page=value)

    assert f"Page {shown} of 3" in html


def test_quoting_a_post_from_another_page_fills_the_reply(staff_client, long_thread):
    quoted = long_thread.posts.order_by("pk")[10]

    html = opened(staff_client, long_thread.get_absolute_url(), page="3", quote=str(quoted.pk))

    assert f'name="quoted" value="{quoted.pk}"' in html


def test_quoting_a_post_of_another_thread_is_ignored(staff_client, long_thread):
    elsewhere = PostFactory(thread__forum=long_thread.forum)

    html = opened(staff_client, long_thread.get_absolute_url(), quote=str(elsewhere.pk))

    assert f'name="quoted" value="{elsewhere.pk}"' not in html


def thread_queries(client, person, thread, *, unread: bool) -> int:
    """The queries of opening the thread up to date, or with one new post since."""
    client.get(thread.get_absolute_url())  # caches warm whichever thread is measured first
    services.thread_mark_read(thread=thread, person=person)
    if unread:
        PostFactory(thread=thread)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(thread.get_absolute_url()).status_code == 200
    return len(captured)


@pytest.mark.parametrize("unread", [False, True])
def test_a_thread_page_costs_the_same_queries_with_5_posts_or_120(
    staff_client, primary_teacher, unread
):
    wellbeing = Forum.objects.get(slug="wellbeing")
    short = ThreadFactory(forum=wellbeing)
    add_posts(short, 5)
    long = ThreadFactory(forum=wellbeing)
    add_posts(long, 120)
    first = list(long.posts.order_by("pk"))
    PostFactory(thread=long, quoted=first[3])
    services.post_edit(post=first[110], editor=first[110].author, body="Edited")
    services.thread_mark_read(thread=long, person=primary_teacher)

    few = thread_queries(staff_client, primary_teacher, short, unread=unread)
    many = thread_queries(staff_client, primary_teacher, long, unread=unread)

    assert few == many
    assert many <= 15

"""Forum pages: who sees what, the forms' refusals, and query counts that do not grow."""

import re

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from forums import services
from forums.models import Forum, Post, PostRevision, Thread, ThreadRead
from tests import factories
from tests.factories import PersonFactory, sign_in_with_identity_provider
from tests.forums.factories import PostFactory, ThreadFactory
from tests.networks.factories import MembershipFactory, NetworkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_forum():
    """A private network's forum with one thread whose post is by someone else."""
    network = NetworkFactory(name="Heads of maths", private=True)
    forum = services.forum_for_network(network=network)
    author = PersonFactory()
    MembershipFactory(network=network, person=author)
    post = PostFactory(thread__forum=forum, thread__author=author, author=author)
    return {"network": network, "forum": forum, "thread": post.thread, "post": post}


def persona(name: str, network) -> object | None:
    if name == "anonymous":
        return None
    if name == "central team":
        return factories.central_team_editor()
    person = factories.primary_teacher()
    if name == "member":
        MembershipFactory(network=network, person=person)
    return person


def request(client, action: str, forum, thread, post):
    match action:
        case "index":
            return client.get(reverse("forums:index"))
        case "forum":
            return client.get(forum.get_absolute_url())
        case "thread":
            return client.get(thread.get_absolute_url())
        case "create":
            return client.post(
                reverse("forums:thread_create", kwargs={"slug": forum.slug}),
                {"title": "Fractions", "body": "How do you teach them?"},
            )
        case "reply":
            return client.post(
                reverse("forums:post_create", kwargs={"pk": thread.pk}), {"body": "Bar models."}
            )
        case "edit":
            return client.get(reverse("forums:post_edit", kwargs={"pk": post.pk}))
        case "delete":
            return client.post(reverse("forums:post_delete", kwargs={"pk": post.pk}))


# What each persona gets for a private network's forum: "ok" is 200, "done" a redirect after
# the change, "login" a redirect to sign in. Staff who are not members learn nothing of it.
MATRIX = {
    "anonymous": dict.fromkeys(
        ["index", "forum", "thread", "create", "reply", "edit", "delete"], "login"
    ),
    "staff": {"index": 200, "forum": 404, "thread": 404, "create": 404, "reply": 404,
              "edit": 404, "delete": 404},
    "member": {"index": 200, "forum": 200, "thread": 200, "create": "done", "reply": "done",
               "edit": 403, "delete": 403},
    "central team": {"index": 200, "forum": 200, "thread": 200, "create": "done",
                     "reply": "done", "edit": 403, "delete": "done"},
}  # fmt: skip


@pytest.mark.parametrize(
    ("who", "action", "expected"),
    [(who, action, expected) for who, row in MATRIX.items() for action, expected in row.items()],
)
def test_the_permission_matrix_for_a_private_networks_forum(
    client, private_forum, who, action, expected
):
    person = persona(who, private_forum["network"])
    if person is not None:
        sign_in_with_identity_provider(client, person)

    response = request(
        client, action, private_forum["forum"], private_forum["thread"], private_forum["post"]
    )

    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    elif expected == "done":
        assert response.status_code == 302
    else:
        assert response.status_code == expected


def test_the_index_lists_trust_forums_and_my_networks_forums(staff_client, primary_teacher):
    MembershipFactory(network=NetworkFactory(name="KS2 science"), person=primary_teacher)
    hidden = services.forum_for_network(network=NetworkFactory(name="Secret", private=True))

    response = staff_client.get(reverse("forums:index"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Wellbeing" in html and "Announcements" in html
    assert "KS2 science" in html
    assert hidden.name not in html
    assert f'href="{reverse("forums:index")}"' in html  # the main navigation links here


@pytest.mark.parametrize(
    ("who", "queue", "audit"),
    [("primary_teacher", False, False), ("moderator", True, False), ("trust_admin", True, True)],
)
def test_the_index_links_to_what_each_person_may_use(client, request, who, queue, audit):
    sign_in_with_identity_provider(client, request.getfixturevalue(who))

    html = client.get(reverse("forums:index")).content.decode()

    assert reverse("forums:notifications") in html
    assert reverse("forums:my_reports") in html
    assert (reverse("forums:moderation_queue") in html) is queue
    assert (reverse("forums:audit_log") in html) is audit


def test_announcements_offer_no_start_button_to_staff(staff_client, client, central_team_editor):
    url = Forum.objects.get(slug="announcements").get_absolute_url()

    assert "Start a thread" not in staff_client.get(url).content.decode()
    sign_in_with_identity_provider(client, central_team_editor)
    assert "Start a thread" in client.get(url).content.decode()


def test_staff_cannot_start_an_announcement(staff_client):
    response = staff_client.post(
        reverse("forums:thread_create", kwargs={"slug": "announcements"}),
        {"title": "News", "body": "From me"},
    )

    assert response.status_code == 403
    assert not Thread.objects.exists()


def test_starting_a_thread_without_a_title_shows_the_error_summary(staff_client):
    response = staff_client.post(
        reverse("forums:thread_create", kwargs={"slug": "wellbeing"}), {"title": "", "body": ""}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html
    assert "Give the thread a title." in html
    assert "Write something before posting." in html
    assert not Thread.objects.exists()


def test_an_oversized_reply_is_refused_on_the_thread_page(staff_client):
    thread = PostFactory(thread__forum=Forum.objects.get(slug="wellbeing")).thread

    response = staff_client.post(
        reverse("forums:post_create", kwargs={"pk": thread.pk}), {"body": "x" * 20_001}
    )

    assert response.status_code == 400
    assert "at most 20,000 characters" in response.content.decode()
    assert thread.posts.count() == 1


def test_a_reply_to_a_locked_thread_is_refused_with_a_message(staff_client):
    thread = PostFactory(thread__forum=Forum.objects.get(slug="wellbeing"), thread__locked=True)
    thread = thread.thread

    response = staff_client.post(
        reverse("forums:post_create", kwargs={"pk": thread.pk}), {"body": "Hello"}, follow=True
    )

    assert "This thread is locked" in response.content.decode()
    assert thread.posts.count() == 1


def test_the_thread_page_has_the_live_container_and_marks_the_thread_read(
    staff_client, primary_teacher
):
    post = PostFactory(thread__forum=Forum.objects.get(slug="wellbeing"), body="Hello *all*")
    thread = post.thread

    response = staff_client.get(thread.get_absolute_url())

    html = response.content.decode()
    assert f'data-thread-id="{thread.pk}"' in html
    assert f'data-last-post-id="{post.pk}"' in html
    # The script adds its own short announcements; the posts list itself is not read out.
    assert "aria-live" not in html.split('id="posts"')[1].split(">")[0]
    assert f'data-viewer-id="{primary_teacher.pk}"' in html
    assert "Hello <em>all</em>" in html
    assert "js/thread-live.js" in html
    assert '<label for="id_body">Your reply</label>' in html
    assert (
        ThreadRead.objects.get(person=primary_teacher, thread=thread).last_read_post_id == post.pk
    )


def test_the_thread_page_offers_a_jump_to_the_first_unread_post(staff_client, primary_teacher):
    read = PostFactory(thread__forum=Forum.objects.get(slug="wellbeing"))
    services.thread_mark_read(thread=read.thread, person=primary_teacher)
    unread = PostFactory(thread=read.thread)

    html = staff_client.get(read.thread.get_absolute_url()).content.decode()

    assert f'href="#post-{unread.pk}"' in html


def test_a_reply_goes_to_the_new_post(staff_client):
    thread = PostFactory(thread__forum=Forum.objects.get(slug="wellbeing")).thread

    response = staff_client.post(
        reverse("forums:post_create", kwargs={"pk": thread.pk}), {"body": "Agreed."}
    )

    post = Post.objects.latest("pk")
    assert response["Location"] == f"{thread.get_absolute_url()}?page=1#post-{post.pk}"


def test_the_author_edits_a_post_and_sees_its_history(staff_client, primary_teacher):
    post = PostFactory(author=primary_teacher, body="Frist")
    url = reverse("forums:post_edit", kwargs={"pk": post.pk})

    staff_client.post(url, {"body": "First"})
    html = staff_client.get(url).content.decode()

    assert PostRevision.objects.get(post=post).body == "Frist"
    assert "Earlier versions" in html and "Frist" in html
    thread_html = staff_client.get(post.thread.get_absolute_url()).content.decode()
    assert "(edited)" in thread_html
    assert "Earlier versions" in thread_html and "Frist" in thread_html


def test_a_removed_post_shows_a_placeholder(staff_client, primary_teacher):
    post = PostFactory(author=primary_teacher, body="Regrettable")
    url = reverse("forums:post_delete", kwargs={"pk": post.pk})

    assert "Remove this post?" in staff_client.get(url).content.decode()
    staff_client.post(url)
    html = staff_client.get(post.thread.get_absolute_url()).content.decode()

    assert "This post has been removed." in html
    assert "Regrettable" not in html


def test_staff_voice_offers_anonymous_posting_and_shows_anonymous(staff_client, primary_teacher):
    url = reverse("forums:thread_create", kwargs={"slug": "staff-voice"})

    assert "Post anonymously" in staff_client.get(url).content.decode()
    response = staff_client.post(
        url, {"title": "Workload", "body": "Too much.", "is_anonymous": "on"}, follow=True
    )

    html = response.content.decode()
    assert "Anonymous" in html
    assert Post.objects.get().is_anonymous


def test_a_missing_thread_or_forum_is_a_404(staff_client):
    assert staff_client.get(reverse("forums:thread", kwargs={"pk": 999})).status_code == 404
    assert staff_client.get(reverse("forums:forum", kwargs={"slug": "nope"})).status_code == 404


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_page_queries_do_not_grow_with_the_data(staff_client, primary_teacher):
    wellbeing = Forum.objects.get(slug="wellbeing")
    MembershipFactory(network=NetworkFactory(name="Art"), person=primary_teacher)
    thread = ThreadFactory(forum=wellbeing)
    PostFactory(thread=thread)
    urls = [reverse("forums:index"), wellbeing.get_absolute_url(), thread.get_absolute_url()]
    staff_client.get(urls[0])  # makes the network's forum
    # Opening a thread moves the read marker when there is something new: keep both runs alike.
    staff_client.get(urls[2])
    PostFactory(thread=thread)
    before = [_queries(staff_client, url) for url in urls]

    for _ in range(5):
        MembershipFactory(network=NetworkFactory(), person=primary_teacher)
        ThreadFactory(forum=wellbeing)
        edited = PostFactory(thread=thread, body="Quoted", quoted=thread.posts.first())
        services.post_edit(post=edited, editor=edited.author, body="Requoted")
    PostFactory.create_batch(10, thread=thread)
    staff_client.get(urls[0])
    staff_client.get(urls[2])
    PostFactory(thread=thread)
    after = [_queries(staff_client, url) for url in urls]

    assert after == before
    assert max(after) <= 25


# The same actions in a trust-wide forum, on someone else's post: every member of staff reads
# and writes; only moderators (the central team among them) remove others' posts.
TRUST_MATRIX = {
    "anonymous": dict.fromkeys(
        ["index", "forum", "thread", "create", "reply", "edit", "delete"], "login"
    ),
    "staff": {"index": 200, "forum": 200, "thread": 200, "create": "done", "reply": "done",
              "edit": 403, "delete": 403},
    "central team": {"index": 200, "forum": 200, "thread": 200, "create": "done",
                     "reply": "done", "edit": 403, "delete": "done"},
}  # fmt: skip


@pytest.mark.parametrize(
    ("who", "action", "expected"),
    [(w, a, e) for w, row in TRUST_MATRIX.items() for a, e in row.items()],
)
def test_the_permission_matrix_for_a_trust_forum(client, who, action, expected):
    forum = Forum.objects.get(slug="wellbeing")
    post = PostFactory(thread__forum=forum)
    person = persona(who, None)
    if person is not None:
        sign_in_with_identity_provider(client, person)

    response = request(client, action, forum, post.thread, post)

    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    elif expected == "done":
        assert response.status_code == 302
    else:
        assert response.status_code == expected


def test_the_author_sees_edit_and_remove_links_only_on_their_own_posts(
    staff_client, primary_teacher
):
    mine = PostFactory(author=primary_teacher, thread__forum=Forum.objects.get(slug="wellbeing"))
    theirs = PostFactory(thread=mine.thread)

    html = staff_client.get(mine.thread.get_absolute_url()).content.decode()

    def link(name: str, post) -> str:
        href = reverse(name, kwargs={"pk": post.pk})
        return re.search(rf'<a href="{re.escape(href)}"[^>]*>', html).group(0)

    # Controls are in every fragment (live ones are unhidden by script); only the viewer's own
    # are shown, and the server checks each action again.
    assert " hidden" not in link("forums:post_edit", mine)
    assert " hidden" in link("forums:post_edit", theirs)
    assert " hidden" in link("forums:post_delete", theirs)

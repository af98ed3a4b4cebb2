"""A resource's discussion and a principle's consultation: started by the first post, never
twice, shown as a panel that respects who may read and post; and "Mark all as read"."""

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forums import discussions, reading
from forums.models import Forum, Post, Thread, ThreadRead
from forums.selectors import forum_threads
from forums.services import post_delete, thread_create
from tests.cms import factories as cms
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def maths(db):
    return NetworkFactory(name="Primary maths")


@pytest.fixture
def resource(maths):
    return ResourceFactory(title="Fractions of amounts", network=maths)


@pytest.fixture
def member(primary_teacher, maths):
    MembershipFactory(network=maths, person=primary_teacher)
    return primary_teacher


@pytest.fixture
def principle(db):
    index = cms.PrincipleIndexPageFactory()
    return cms.PrinciplePageFactory(parent=index, title="Inclusion")


def start(client, resource, body: str):
    url = reverse("forums:resource_discussion", kwargs={"pk": resource.pk})
    return client.post(url, {"discussion-body": body})


def test_a_resource_without_a_discussion_offers_to_start_it(staff_client, member, resource):
    response = staff_client.get(resource.get_absolute_url())

    assert response.status_code == 200
    assert "No one has started the discussion yet." in response.text
    assert "Start the discussion</button>" in response.text
    assert Thread.objects.filter(resource=resource).count() == 0


def test_the_first_post_starts_the_discussion_in_the_networks_forum(
    staff_client, member, resource, maths
):
    response = start(staff_client, resource, "We used this with **Year 4**: it worked well.")

    thread = Thread.objects.get(resource=resource)
    post = thread.posts.get()
    assert response.status_code == 302
    assert response["Location"] == f"{thread.get_absolute_url()}?page=1#post-{post.pk}"
    assert thread.title == "Fractions of amounts"
    assert thread.forum == Forum.objects.get(network=maths)
    assert thread.author == member
    assert "<strong>Year 4</strong>" in post.body_html


def test_the_next_post_replies_in_the_same_discussion(
    staff_client, member, resource, secondary_maths_lead, maths
):
    MembershipFactory(network=maths, person=secondary_maths_lead)
    discussions.resource_discussion_post(
        resource=resource, author=secondary_maths_lead, body="Great for retrieval."
    )

    start(staff_client, resource, "Agreed, and for homework.")

    thread = Thread.objects.get(resource=resource)
    assert list(thread.posts.values_list("body", flat=True)) == [
        "Great for retrieval.",
        "Agreed, and for homework.",
    ]
    assert thread.reply_count == 1


def test_two_people_starting_at_once_end_up_in_one_thread(
    member, resource, secondary_maths_lead, maths, monkeypatch
):
    MembershipFactory(network=maths, person=secondary_maths_lead)
    discussions.resource_discussion_post(
        resource=resource, author=secondary_maths_lead, body="I started it a moment ago."
    )
    # The second person looked before the first person's thread was committed.
    monkeypatch.setattr(discussions, "_linked_thread", lambda **link: None)

    post = discussions.resource_discussion_post(
        resource=resource, author=member, body="So did I, I thought."
    )

    assert Thread.objects.filter(resource=resource).count() == 1
    assert post.thread.posts.count() == 2
    assert post.body == "So did I, I thought."


def test_the_panel_shows_the_latest_three_posts_the_count_and_a_reply_form(
    staff_client, member, resource, maths
):
    thread = thread_create(
        forum=Forum.objects.get(network=maths),
        author=member,
        title=resource.title,
        body="The first post.",
        resource=resource,
    )
    for number in range(2, 6):
        PostFactory(thread=thread, body=f"Post number {number}.")
    hidden = PostFactory(thread=thread, body="Hidden from view.")
    Post.objects.filter(pk=hidden.pk).update(hidden_at=hidden.created_at)

    response = staff_client.get(resource.get_absolute_url())

    text = response.text
    assert "5 posts" in text
    assert "The first post." not in text and "Post number 2." not in text
    assert (
        text.index("Post number 3.") < text.index("Post number 4.") < text.index("Post number 5.")
    )
    assert "Hidden from view." not in text
    assert thread.get_absolute_url() in text
    assert "Post reply</button>" in text


def test_a_non_member_of_an_open_network_reads_but_is_asked_to_join(
    staff_client, resource, maths, secondary_maths_lead
):
    MembershipFactory(network=maths, person=secondary_maths_lead)
    discussions.resource_discussion_post(
        resource=resource, author=secondary_maths_lead, body="Worth a look."
    )

    response = staff_client.get(resource.get_absolute_url())
    refused = start(staff_client, resource, "Can I join in?")

    assert "Worth a look." in response.text
    assert "Join the Primary maths network to take part." in response.text
    assert "Post reply</button>" not in response.text
    assert refused.status_code == 400
    assert "Join the Primary maths network to take part." in refused.content.decode()
    assert Post.objects.filter(body="Can I join in?").count() == 0


def test_a_private_networks_discussion_is_not_shown_to_non_members(
    staff_client, primary_teacher, secondary_maths_lead
):
    network = NetworkFactory(name="Heads of maths", private=True)
    MembershipFactory(network=network, person=secondary_maths_lead)
    # The author left the network, but may still open their own resource.
    resource = ResourceFactory(title="Mock exam analysis", network=network, author=primary_teacher)
    discussions.resource_discussion_post(
        resource=resource, author=secondary_maths_lead, body="Confidential results."
    )

    response = staff_client.get(resource.get_absolute_url())
    url = reverse("forums:resource_discussion", kwargs={"pk": resource.pk})

    assert response.status_code == 200
    assert "Discussion is open to members of Heads of maths." in response.text
    assert "Confidential results." not in response.text
    assert staff_client.post(url, {"discussion-body": "Let me in"}).status_code == 404
    assert not Post.objects.filter(body="Let me in").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [("   ", "Write something before posting."), ("x" * 20_001, "at most 20,000 characters")],
)
def test_an_empty_or_oversized_first_post_is_refused_and_the_text_kept(
    staff_client, member, resource, body, message
):
    response = start(staff_client, resource, body)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "There is a problem" in response.content.decode()
    assert not Thread.objects.filter(resource=resource).exists()


def test_opening_the_discussion_address_goes_to_the_thread_once_it_exists(
    staff_client, member, resource
):
    url = reverse("forums:resource_discussion", kwargs={"pk": resource.pk})
    before = staff_client.get(url)
    start(staff_client, resource, "Started.")

    after = staff_client.get(url)

    assert before.status_code == 200
    assert "Start the discussion about Fractions of amounts" in before.content.decode()
    assert after.status_code == 302
    assert after["Location"] == Thread.objects.get(resource=resource).get_absolute_url()


def test_the_resource_page_panel_needs_no_more_queries_as_the_discussion_grows(
    client, member, resource, maths, django_assert_max_num_queries
):
    client.force_login(member)
    post = discussions.resource_discussion_post(resource=resource, author=member, body="One.")
    for _ in range(2):
        PostFactory(thread=post.thread)
    with CaptureQueriesContext(connection) as few:
        client.get(resource.get_absolute_url())
    for _ in range(20):
        PostFactory(thread=post.thread)

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(resource.get_absolute_url())


def test_a_principles_first_post_starts_its_consultation(staff_client, primary_teacher, principle):
    page = staff_client.get(principle.url)
    url = reverse("forums:principle_consultation", kwargs={"page_id": principle.pk})

    response = staff_client.post(url, {"discussion-body": "Inclusion starts with the timetable."})

    thread = Thread.objects.get(page=principle)
    assert "No one has started the consultation yet." in page.text
    assert response.status_code == 302
    assert thread.forum.slug == "principles-consultation"
    assert thread.title == "Inclusion"
    assert "Inclusion starts with the timetable." in staff_client.get(principle.url).text


def test_a_principle_that_is_not_published_cannot_be_discussed(staff_client, principle):
    principle.unpublish()
    url = reverse("forums:principle_consultation", kwargs={"page_id": principle.pk})

    response = staff_client.post(url, {"discussion-body": "Hello?"})

    assert response.status_code == 404
    assert not Thread.objects.filter(page=principle).exists()


# Mark all as read.


def unread_threads(person, forum) -> int:
    return sum(1 for thread in forum_threads(person, forum) if thread.unread_count)


def test_mark_all_as_read_in_a_forum_clears_its_unread_threads_only(staff_client, primary_teacher):
    wellbeing = ForumFactory(name="Wellbeing", slug="wellbeing")
    focus = ForumFactory(name="The shared focus", slug="shared-focus")
    for forum in (wellbeing, focus):
        for _ in range(3):
            PostFactory(thread=ThreadFactory(forum=forum))

    response = staff_client.post(reverse("forums:forum_mark_read", kwargs={"slug": "wellbeing"}))

    assert response.status_code == 302
    assert unread_threads(primary_teacher, wellbeing) == 0
    assert unread_threads(primary_teacher, focus) == 3


def test_mark_all_as_read_everywhere_from_the_forums_index(staff_client, primary_teacher):
    forums = [ForumFactory(slug="wellbeing"), ForumFactory(slug="staff-voice")]
    for forum in forums:
        PostFactory(thread=ThreadFactory(forum=forum))

    index = staff_client.get(reverse("forums:index"))
    response = staff_client.post(reverse("forums:mark_all_read"), follow=True)

    assert "Mark all as read" in index.text
    assert "Every thread in every forum is marked as read." in response.text
    assert all(unread_threads(primary_teacher, forum) == 0 for forum in forums)


def test_mark_all_as_read_never_moves_a_marker_backwards_nor_counts_hidden_posts(
    primary_teacher,
):
    forum = ForumFactory(slug="wellbeing")
    thread = ThreadFactory(forum=forum)
    read, last = PostFactory(thread=thread), PostFactory(thread=thread)
    ThreadRead.objects.create(person=primary_teacher, thread=thread, last_read_post_id=last.pk + 5)
    other = ThreadFactory(forum=forum)
    shown = PostFactory(thread=other)
    removed = PostFactory(thread=other)
    post_delete(post=removed, deleter=removed.author)

    reading.threads_mark_all_read(person=primary_teacher, forum=forum)

    markers = dict(
        ThreadRead.objects.filter(person=primary_teacher).values_list(
            "thread_id", "last_read_post_id"
        )
    )
    assert markers == {thread.pk: last.pk + 5, other.pk: shown.pk}
    assert read.pk < last.pk


def test_mark_all_as_read_takes_a_few_queries_however_many_threads(
    primary_teacher, django_assert_max_num_queries
):
    forum = ForumFactory(slug="wellbeing")
    for number in range(40):
        thread = ThreadFactory(forum=forum)
        PostFactory(thread=thread)
        if number % 2:
            ThreadRead.objects.create(person=primary_teacher, thread=thread, last_read_post_id=0)

    with django_assert_max_num_queries(8):
        changed = reading.threads_mark_all_read(person=primary_teacher)

    assert changed == 40
    assert unread_threads(primary_teacher, forum) == 0


def test_mark_all_as_read_cannot_reach_a_private_networks_forum(staff_client, primary_teacher):
    network = NetworkFactory(name="Heads of maths", private=True)
    forum = Forum.objects.get(network=network)
    PostFactory(thread=ThreadFactory(forum=forum))

    response = staff_client.post(reverse("forums:forum_mark_read", kwargs={"slug": forum.slug}))
    reading.threads_mark_all_read(person=primary_teacher)

    assert response.status_code == 404
    assert not ThreadRead.objects.filter(person=primary_teacher).exists()


def test_mark_all_as_read_answers_only_to_a_post(staff_client):
    ForumFactory(slug="wellbeing")

    assert staff_client.get(reverse("forums:mark_all_read")).status_code == 405


def test_the_admin_preview_of_a_new_principle_shows_no_panel(rf, primary_teacher):
    request = rf.get("/")
    request.user = primary_teacher
    unsaved = cms.PrinciplePageFactory.build(title="Not saved yet")

    html = Template("{% load discussion_tags %}{% discussion_panel page=page %}").render(
        Context({"request": request, "page": unsaved})
    )

    assert html.strip() == ""

"""Reactions: given and taken back, refused where they make no sense, counted for every
reader without a query per post, and announced to live readers after commit."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forums import events, reactions, services
from forums.models import Forum, Post, Reaction, Suspension, Thread
from forums.services import ForumActionRefused
from tests import factories
from tests.factories import PersonFactory
from tests.forums.factories import PostFactory
from tests.networks.factories import NetworkFactory

pytestmark = pytest.mark.django_db

THANKS = Reaction.Kind.THANKS


@pytest.fixture
def post():
    return PostFactory(thread__forum=Forum.objects.get(slug="wellbeing"))


def test_a_reaction_is_given_then_taken_back(post, primary_teacher):
    assert reactions.reaction_toggle(post=post, person=primary_teacher, kind=THANKS) is True
    assert reactions.reaction_counts(post)[THANKS] == 1

    assert reactions.reaction_toggle(post=post, person=primary_teacher, kind=THANKS) is False
    assert reactions.reaction_counts(post)[THANKS] == 0


def test_each_kind_counts_separately_and_once_per_person(post, primary_teacher):
    lead = factories.secondary_maths_lead()
    reactions.reaction_toggle(post=post, person=primary_teacher, kind=THANKS)
    reactions.reaction_toggle(post=post, person=primary_teacher, kind=Reaction.Kind.HELPFUL)
    reactions.reaction_toggle(post=post, person=lead, kind=THANKS)

    assert reactions.reaction_counts(post) == {
        "thanks": 2,
        "agree": 0,
        "helpful": 1,
        "celebrate": 0,
    }


def test_a_reaction_is_announced_once_after_commit_with_fresh_counts(
    post, primary_teacher, thread_listener, django_capture_on_commit_callbacks
):
    received = thread_listener(post.thread)
    revision_before = Thread.objects.get(pk=post.thread_id).revision

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reactions.reaction_toggle(post=post, person=primary_teacher, kind=THANKS)
        assert received() == []
    for callback in callbacks:
        callback()

    [event] = received()
    assert event["event"] == events.POST_UPDATED
    assert event["post_id"] == post.pk
    assert event["revision"] > revision_before
    assert Post.objects.get(pk=post.pk).revision == event["revision"]
    assert 'value="thanks"' in event["html"]
    assert '<span class="reaction__count" data-count>1</span>' in event["html"]
    # Shared by every reader: nothing about who is looking.
    assert "aria-pressed" not in event["html"]
    assert "csrfmiddlewaretoken" not in event["html"]


def test_you_cannot_react_to_your_own_post(post):
    with pytest.raises(ForumActionRefused, match="your own post"):
        reactions.reaction_toggle(post=post, person=post.author, kind=THANKS)
    assert not Reaction.objects.exists()


@pytest.mark.parametrize("state", ["hidden_at", "deleted_at"])
def test_removed_and_hidden_posts_take_no_reactions(post, primary_teacher, state):
    Post.objects.filter(pk=post.pk).update(**{state: timezone.now()})

    with pytest.raises(ForumActionRefused, match="removed"):
        reactions.reaction_toggle(post=post, person=primary_teacher, kind=THANKS)
    assert not Reaction.objects.exists()


def test_no_reactions_in_a_thread_you_cannot_read(primary_teacher):
    forum = services.forum_for_network(network=NetworkFactory(private=True))
    post = PostFactory(thread__forum=forum)

    with pytest.raises(ForumActionRefused, match="cannot react"):
        reactions.reaction_toggle(post=post, person=primary_teacher, kind=THANKS)
    assert not Reaction.objects.exists()


def test_a_suspended_person_cannot_react(post, primary_teacher, moderator):
    Suspension.objects.create(
        person=primary_teacher,
        reason="Cooling off",
        ends_at=timezone.now() + timedelta(days=1),
        created_by=moderator,
    )

    with pytest.raises(ForumActionRefused, match="suspended"):
        reactions.reaction_toggle(post=post, person=primary_teacher, kind=THANKS)
    assert not Reaction.objects.exists()


def test_an_unknown_kind_is_refused(post, primary_teacher):
    with pytest.raises(ForumActionRefused, match="Choose thanks"):
        reactions.reaction_toggle(post=post, person=primary_teacher, kind="love")
    assert not Reaction.objects.exists()


# The view


def react(client, post, kind: str = THANKS, **headers):
    return client.post(
        reverse("forums:post_react", kwargs={"pk": post.pk}), {"kind": kind}, **headers
    )


def test_without_script_a_reaction_goes_back_to_the_post(staff_client, post):
    response = react(staff_client, post)

    assert response.status_code == 302
    assert response["Location"] == f"{post.thread.get_absolute_url()}?page=1#post-{post.pk}"
    assert Reaction.objects.filter(post=post, kind=THANKS).count() == 1


def test_with_script_a_reaction_answers_json(staff_client, post):
    response = react(staff_client, post, headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert response.json() == {
        "kind": "thanks",
        "given": True,
        "counts": {"thanks": 1, "agree": 0, "helpful": 0, "celebrate": 0},
    }


def test_a_refused_reaction_shows_the_reason(staff_client, primary_teacher):
    own = PostFactory(author=primary_teacher, thread__forum=Forum.objects.get(slug="wellbeing"))

    page = react(staff_client, own, follow=True)
    refused = react(staff_client, own, headers={"Accept": "application/json"})

    assert "You cannot react to your own post." in page.content.decode()
    assert refused.status_code == 400
    assert refused.json() == {"error": "You cannot react to your own post."}


def test_reacting_needs_a_post_request_and_a_readable_post(staff_client, post):
    url = reverse("forums:post_react", kwargs={"pk": post.pk})
    private = PostFactory(
        thread__forum=services.forum_for_network(network=NetworkFactory(private=True))
    )

    assert staff_client.get(url).status_code == 405
    assert react(staff_client, private).status_code == 404
    signed_out = Client().post(url, {"kind": THANKS})
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith(resolve_url(settings.LOGIN_URL))
    assert not Reaction.objects.exists()


def test_the_thread_page_shows_counts_and_marks_my_own(staff_client, primary_teacher, post):
    lead = factories.secondary_maths_lead()
    reactions.reaction_toggle(post=post, person=primary_teacher, kind=THANKS)
    reactions.reaction_toggle(post=post, person=lead, kind=THANKS)
    reactions.reaction_toggle(post=post, person=lead, kind=Reaction.Kind.AGREE)

    html = staff_client.get(post.thread.get_absolute_url()).content.decode()

    assert (
        'value="thanks" class="reaction" aria-pressed="true">Thanks '
        '<span class="reaction__count" data-count>2</span>'
    ) in html
    assert (
        'value="agree" class="reaction" aria-pressed="false">Agree '
        '<span class="reaction__count" data-count>1</span>'
    ) in html
    assert "csrfmiddlewaretoken" in html  # the forms work without script
    assert "js/reactions.js" in html


def test_counting_reactions_takes_no_query_per_post(staff_client, primary_teacher, post):
    thread = post.thread
    url = thread.get_absolute_url()
    staff_client.get(url)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url).status_code == 200
        return len(captured)

    before = queries()
    for _ in range(5):
        other = PostFactory(thread=thread)
        for kind in Reaction.Kind.values:
            Reaction.objects.create(post=other, person=PersonFactory(), kind=kind)
            Reaction.objects.create(post=other, person=primary_teacher, kind=kind)
    # The read marker moves once for the new posts: let it, then count again.
    staff_client.get(url)

    assert queries() == before

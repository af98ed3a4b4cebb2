"""The demo trust's conversations: believable, safe for anonymous posts, and added once."""

import pytest
from django.utils import timezone

from forums.demo import CONVERSATIONS, seed_demo_forums
from forums.discussions import consultation_forum
from forums.models import Notification, Post, Reaction, Thread
from forums.permissions import can_read_forum
from networks.demo import seed_demo_networks
from networks.models import Network
from people import demo as people_demo
from people.models import Person
from tests.cms import factories as cms
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_trust():
    people_demo.seed_demo_staff()
    seed_demo_networks()


@pytest.fixture
def discussed(demo_trust):
    """An endorsed resource anyone may see and a published principle, as the demo has."""
    network = Network.objects.filter(visibility=Network.Visibility.OPEN).order_by("pk").first()
    resource = ResourceFactory(
        title="Fractions of amounts", network=network, endorsed_at=timezone.now()
    )
    principle = cms.PrinciplePageFactory(parent=cms.PrincipleIndexPageFactory(), title="Equity")
    return {"resource": resource, "principle": principle}


def test_every_demo_conversation_is_written_with_its_replies(discussed):
    added = seed_demo_forums()

    assert added["threads_created"] == len(CONVERSATIONS)
    assert added["posts_created"] == sum(len(c.posts) for c in CONVERSATIONS)
    for conversation in CONVERSATIONS:
        thread = Thread.objects.get(
            title=conversation.title
            or {"discussion:resource": "Fractions of amounts", "discussion:principle": "Equity"}[
                conversation.forum
            ]
        )
        posts = list(thread.posts.order_by("pk"))
        assert thread.reply_count == len(posts) - 1
        assert thread.last_activity_at == posts[-1].created_at
        assert thread.revision == max(post.revision for post in posts)
        # Every author may write where they wrote (network threads by the network's people).
        assert all(can_read_forum(post.author, thread.forum) for post in posts)
    assert Reaction.objects.exists()


def test_a_resource_and_a_principle_have_their_discussions(discussed):
    seed_demo_forums()

    resource_thread = Thread.objects.get(resource=discussed["resource"])
    consultation = Thread.objects.get(page=discussed["principle"])
    assert resource_thread.forum.network_id == discussed["resource"].network_id
    assert consultation.forum == consultation_forum()
    assert resource_thread.posts.count() == 2 and consultation.posts.count() == 3


def test_without_resources_or_principles_the_rest_is_still_written(demo_trust):
    added = seed_demo_forums()

    talk = [c for c in CONVERSATIONS if not c.forum.startswith("discussion:")]
    assert added["threads_created"] == len(talk)
    assert not Thread.objects.filter(resource__isnull=False).exists()


def test_the_anonymous_staff_voice_thread_names_no_one(demo_trust):
    seed_demo_forums()

    thread = Thread.objects.get(forum__slug="staff-voice")
    assert thread.is_anonymous
    assert not Post.objects.filter(thread=thread, is_anonymous=False).exists()


def test_the_demo_teacher_has_been_mentioned(demo_trust):
    seed_demo_forums()

    hannah = Person.objects.get(email=people_demo.TEACHER_EMAIL)
    mention = Notification.objects.get(recipient=hannah, kind=Notification.Kind.MENTION)
    assert mention.thread.title == "Walking group after school on Wednesdays"
    assert mention.url.endswith(f"#post-{mention.post_id}")


def test_seeding_twice_adds_nothing(demo_trust):
    seed_demo_forums()
    posts = Post.objects.count()

    assert seed_demo_forums() == {"threads_created": 0, "posts_created": 0}
    assert Post.objects.count() == posts

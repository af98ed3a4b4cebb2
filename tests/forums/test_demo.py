"""The demo trust's conversations: believable, safe for anonymous posts, and added once."""

import pytest

from forums.demo import CONVERSATIONS, seed_demo_forums
from forums.models import Notification, Post, Reaction, Thread
from forums.permissions import can_read_forum
from networks.demo import seed_demo_networks
from people import demo as people_demo
from people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_trust():
    people_demo.seed_demo_staff()
    seed_demo_networks()


def test_every_demo_conversation_is_written_with_its_replies(demo_trust):
    added = seed_demo_forums()

    assert added["threads_created"] == len(CONVERSATIONS)
    assert added["posts_created"] == sum(len(c.posts) for c in CONVERSATIONS)
    for conversation in CONVERSATIONS:
        thread = Thread.objects.get(title=conversation.title)
        posts = list(thread.posts.order_by("pk"))
        assert thread.reply_count == len(posts) - 1
        assert thread.last_activity_at == posts[-1].created_at
        assert thread.revision == max(post.revision for post in posts)
        # Every author may write where they wrote (network threads by the network's people).
        assert all(can_read_forum(post.author, thread.forum) for post in posts)
    assert Reaction.objects.exists()


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

"""Forums, threads and posts for tests. Other tests (the live ones too) import these."""

import factory

from forums.models import Forum, Post, Thread
from forums.services import render_post_body
from tests.factories import PersonFactory


class ForumFactory(factory.django.DjangoModelFactory):
    """A trust-wide forum by default; `ForumFactory(network=network)` gives that network's
    forum, which exists from the moment the network does."""

    class Meta:
        model = Forum
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Forum {n}")
    slug = factory.Sequence(lambda n: f"forum-{n}")
    description = "Talk with colleagues across the trust."
    network = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        network = kwargs.get("network")
        if network is not None:
            return Forum.objects.get(network=network)
        return super()._create(model_class, *args, **kwargs)


class ThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Thread

    forum = factory.SubFactory(ForumFactory)
    title = factory.Sequence(lambda n: f"Marking workload, thought {n}")
    author = factory.SubFactory(PersonFactory)


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    thread = factory.SubFactory(ThreadFactory)
    author = factory.SubFactory(PersonFactory)
    body = factory.Sequence(lambda n: f"I have found **whole-class feedback** helps, try {n}.")
    body_html = factory.LazyAttribute(lambda post: render_post_body(post.body))


def moderation_log():
    """The audit log without the entries people-level hooks add whenever a test gives someone
    a role or signs them in: what the forums wrote."""
    from audit.models import AuditEntry

    people_actions = [
        AuditEntry.Action.SIGN_IN,
        AuditEntry.Action.SIGN_IN_FAILED,
        AuditEntry.Action.SIGN_IN_REFUSED,
        AuditEntry.Action.LOCKED_OUT,
        AuditEntry.Action.PASSWORD_RESET_REQUESTED,
        AuditEntry.Action.ROLE_GRANTED,
        AuditEntry.Action.ROLE_REMOVED,
        AuditEntry.Action.PERMISSION_GRANTED,
        AuditEntry.Action.PERMISSION_REMOVED,
        AuditEntry.Action.ACCOUNT_DEACTIVATED,
        AuditEntry.Action.ACCOUNT_REACTIVATED,
    ]
    return AuditEntry.objects.exclude(action__in=people_actions)

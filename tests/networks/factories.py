"""Networks, subjects and memberships for tests. Other apps' tests import these."""

import factory

from networks.curriculum import Phase
from networks.models import JoinRequest, Membership, Network, Subject
from tests.factories import PersonFactory


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Subject {n}")


class NetworkFactory(factory.django.DjangoModelFactory):
    """An open network with no subject unless told otherwise.

    `NetworkFactory(private=True)` makes a private one; `subject="Mathematics"` finds or
    creates the subject by name.
    """

    class Meta:
        model = Network
        django_get_or_create = ("name",)

    class Params:
        private = factory.Trait(visibility=Network.Visibility.PRIVATE)

    name = factory.Sequence(lambda n: f"Network {n}")
    description = "Staff from every school sharing what works."
    phases = factory.LazyFunction(lambda: [Phase.PRIMARY.value, Phase.SECONDARY.value])
    visibility = Network.Visibility.OPEN
    subject = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        subject = kwargs.get("subject")
        if isinstance(subject, str):
            kwargs["subject"] = SubjectFactory(name=subject)
        return super()._create(model_class, *args, **kwargs)


class MembershipFactory(factory.django.DjangoModelFactory):
    """A member by default; `MembershipFactory(lead=True)` makes a lead."""

    class Meta:
        model = Membership
        django_get_or_create = ("network", "person")

    class Params:
        lead = factory.Trait(role=Membership.Role.LEAD)

    network = factory.SubFactory(NetworkFactory)
    person = factory.SubFactory(PersonFactory)
    role = Membership.Role.MEMBER


class JoinRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JoinRequest

    network = factory.SubFactory(NetworkFactory, private=True)
    person = factory.SubFactory(PersonFactory)
    message = "I teach this in Year 5 and would like to join."

"""Resources for tests. Other apps' tests import these."""

import factory
from django.utils import timezone

from networks.curriculum import YearGroup
from resources.models import Bookmark, Collection, Resource
from tests.factories import PersonFactory
from tests.networks.factories import NetworkFactory


class ResourceFactory(factory.django.DjangoModelFactory):
    """A published, trust-wide Year 4 worksheet in an open network, unless told otherwise.

    `ResourceFactory(draft=True)` or `ResourceFactory(archived=True)` change the status;
    `ResourceFactory(network_only=True)` limits it to the network's members.
    """

    class Meta:
        model = Resource
        skip_postgeneration_save = True

    class Params:
        draft = factory.Trait(status=Resource.Status.DRAFT, published_at=None)
        archived = factory.Trait(status=Resource.Status.ARCHIVED)
        network_only = factory.Trait(scope=Resource.Scope.NETWORK)

    title = factory.Sequence(lambda n: f"Fractions of amounts {n}")
    summary = "Finding unit and non-unit fractions of amounts, with worked examples."
    network = factory.SubFactory(NetworkFactory)
    subject = factory.LazyAttribute(lambda resource: resource.network.subject)
    year_groups = factory.LazyFunction(lambda: [YearGroup.Y4.value])
    resource_type = Resource.Type.WORKSHEET
    author = factory.SubFactory(PersonFactory)
    school = factory.LazyAttribute(lambda resource: resource.author.school)
    status = Resource.Status.PUBLISHED
    scope = Resource.Scope.TRUST
    published_at = factory.LazyFunction(timezone.now)


class BookmarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bookmark

    person = factory.SubFactory(PersonFactory)
    resource = factory.SubFactory(ResourceFactory)


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection
        skip_postgeneration_save = True

    owner = factory.SubFactory(PersonFactory)
    name = factory.Sequence(lambda n: f"Year 6 revision {n}")

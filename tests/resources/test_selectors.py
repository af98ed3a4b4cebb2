import pytest

from resources import selectors
from resources.models import FileVersion, Resource, ResourceFile
from tests.factories import PersonFactory
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.resources.factories import BookmarkFactory, CollectionFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def add_version(resource: Resource, number: int, person) -> FileVersion:
    file = resource.files.first() or ResourceFile.objects.create(resource=resource, title="Slides")
    version = FileVersion.objects.create(
        file=file,
        number=number,
        blob=f"resources/aa/{number}/slides.pptx",
        original_name="slides.pptx",
        size=100 * number,
        sha256=f"{number:064d}",
        content_type="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        uploaded_by=person,
    )
    file.current = version
    file.save()
    return version


def test_the_detail_shows_current_versions_and_only_visible_adaptations(primary_teacher):
    source = ResourceFactory()
    add_version(source, 1, source.author)
    current = add_version(source, 2, source.author)
    open_adaptation = ResourceFactory(adapted_from=source, network=source.network)
    ResourceFactory(adapted_from=source, network__private=True)
    ResourceFactory(adapted_from=source, network=source.network, draft=True)

    found = selectors.resource_detail(primary_teacher, source.pk)

    assert [file.current for file in found.files] == [current]
    assert found.files[0].version_count == 2
    assert found.adaptations == [open_adaptation]
    assert found.source is None


def test_an_adaptation_credits_its_source_only_when_the_source_is_visible(primary_teacher):
    hidden = ResourceFactory(network__private=True)
    shown = ResourceFactory()
    assert (
        selectors.resource_detail(primary_teacher, ResourceFactory(adapted_from=shown).pk).source
        == shown
    )
    assert (
        selectors.resource_detail(primary_teacher, ResourceFactory(adapted_from=hidden).pk).source
        is None
    )


def test_a_private_networks_resource_is_missing_for_a_non_member(primary_teacher):
    resource = ResourceFactory(network__private=True)
    with pytest.raises(Resource.DoesNotExist):
        selectors.resource_detail(primary_teacher, resource.pk)
    MembershipFactory(network=resource.network, person=primary_teacher)
    assert selectors.resource_detail(primary_teacher, resource.pk).resource == resource


def test_the_detail_costs_a_fixed_number_of_queries(primary_teacher, django_assert_max_num_queries):
    source = ResourceFactory()
    source.tags.set(["fractions", "reasoning"])
    for number in range(1, 4):
        add_version(source, number, source.author)
    for _ in range(5):
        ResourceFactory(adapted_from=source, network=source.network)
    with django_assert_max_num_queries(9):
        found = selectors.resource_detail(primary_teacher, source.pk)
        [adaptation.school.name for adaptation in found.adaptations]
        list(found.resource.tags.all())
        list(found.resource.principles.all())


def test_bookmarks_leave_out_resources_the_person_can_no_longer_see(primary_teacher):
    kept = BookmarkFactory(person=primary_teacher).resource
    private = NetworkFactory(private=True)
    membership = MembershipFactory(network=private, person=primary_teacher)
    gone = BookmarkFactory(
        person=primary_teacher, resource=ResourceFactory(network=private)
    ).resource
    assert set(selectors.bookmarked_resources(primary_teacher)) == {kept, gone}
    membership.delete()
    primary_teacher = PersonFactory._meta.model.objects.get(pk=primary_teacher.pk)
    assert list(selectors.bookmarked_resources(primary_teacher)) == [kept]


def test_collections_belong_to_their_owner_only(primary_teacher):
    mine = CollectionFactory(owner=primary_teacher)
    theirs = CollectionFactory()
    assert selectors.collection_for_owner(primary_teacher, mine.pk) == mine
    with pytest.raises(type(mine).DoesNotExist):
        selectors.collection_for_owner(primary_teacher, theirs.pk)
    mine.resources.add(ResourceFactory(), ResourceFactory(network__private=True))
    assert selectors.collections_of(primary_teacher).get().resource_count == 2
    assert selectors.collection_resources(primary_teacher, mine).count() == 1

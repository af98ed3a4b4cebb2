import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile

from resources import services
from resources.markdown import render_notes
from resources.models import Collection, FileVersion, Resource, ResourceFile
from tests.factories import PersonFactory
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.resources.factories import CollectionFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def maths():
    return NetworkFactory(name="Maths", subject="Mathematics")


@pytest.fixture
def member(maths, primary_teacher):
    MembershipFactory(network=maths, person=primary_teacher)
    return primary_teacher


def share(person, network, **overrides):
    arguments = {
        "author": person,
        "network": network,
        "title": "Fractions of amounts",
        "year_groups": ["y4", "y5"],
        "resource_type": Resource.Type.WORKSHEET,
    }
    arguments.update(overrides)
    return services.resource_create(**arguments)


# Creating


def test_a_member_shares_a_published_resource_from_their_school(member, maths):
    resource = share(member, maths, publish=True, notes="**Use** with Year 4", tags=["fractions"])
    assert resource.status == Resource.Status.PUBLISHED
    assert resource.published_at is not None
    assert resource.author == member
    assert resource.school == member.school
    assert resource.subject.name == "Mathematics"
    assert resource.year_bits and resource.key_stages == ["ks2"]
    assert resource.notes_html == "<p><strong>Use</strong> with Year 4</p>"
    assert list(resource.tags.names()) == ["fractions"]


def test_a_resource_saved_as_a_draft_has_no_publication_date(member, maths):
    resource = share(member, maths)
    assert resource.status == Resource.Status.DRAFT
    assert resource.published_at is None


def test_a_non_member_cannot_share_in_a_network(primary_teacher, maths):
    with pytest.raises(PermissionDenied):
        share(primary_teacher, maths)
    assert not Resource.objects.exists()


def test_the_central_team_can_share_in_any_network(central_team_editor, maths):
    assert share(central_team_editor, maths).school is None


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"title": "   "}, "title", "title"),
        ({"year_groups": []}, "year_groups", "at least one year group"),
        ({"year_groups": ["y4", "y14"]}, "year_groups", "Unknown year group: y14"),
        ({"year_groups": ["y8"], "key_stages": ["ks2"]}, "year_groups", "Year 8 is not in"),
        (
            {"year_groups": ["y4"], "key_stages": ["ks2", "ks3"]},
            "year_groups",
            "no year group chosen is in Key stage 3",
        ),
        ({"key_stages": ["ks9"]}, "year_groups", "Unknown key stage"),
        ({"resource_type": Resource.Type.LINK}, "link_url", "needs the address"),
        ({"link_url": "javascript:alert(1)"}, "link_url", "javascript:"),
        ({"link_url": "JaVaScRiPt:alert(1)"}, "link_url", "https://"),
        ({"link_url": "data:text/html,<script>alert(1)</script>"}, "link_url", "https://"),
        ({"resource_type": "spreadsheet"}, "resource_type", "not a valid choice"),
    ],
)
def test_bad_details_are_refused_with_a_message_and_nothing_is_saved(
    member, maths, overrides, field, words
):
    with pytest.raises(ValidationError) as refused:
        share(member, maths, **overrides)
    assert words in " ".join(refused.value.message_dict[field])
    assert not Resource.objects.exists()


def test_a_key_stage_on_its_own_stands_for_all_its_years(member, maths):
    resource = share(member, maths, year_groups=[], key_stages=["ks1"])
    assert resource.year_groups == ["y1", "y2"]


def test_year_groups_that_agree_with_the_key_stages_are_accepted(member, maths):
    resource = share(member, maths, year_groups=["y6", "y3"], key_stages=["ks2"])
    assert resource.year_groups == ["y3", "y6"]


def test_a_link_resource_with_an_https_address_is_accepted(member, maths):
    resource = share(
        member,
        maths,
        resource_type=Resource.Type.LINK,
        link_url="https://www.thenational.academy/teachers/lessons/fractions",
    )
    assert resource.link_url.startswith("https://")


# Changing


def test_the_author_edits_and_the_notes_are_rendered_again(member, maths):
    resource = share(member, maths, notes="old")
    services.resource_update(resource=resource, editor=member, notes="*new*", title="Better title")
    resource.refresh_from_db()
    assert resource.title == "Better title"
    assert resource.notes_html == "<p><em>new</em></p>"


def test_a_refused_edit_leaves_the_resource_as_it_was(member, maths):
    resource = share(member, maths)
    with pytest.raises(ValidationError):
        services.resource_update(resource=resource, editor=member, title="", year_groups=["y9"])
    assert resource.title == "Fractions of amounts"
    resource.refresh_from_db()
    assert resource.title == "Fractions of amounts"
    assert resource.year_groups == ["y4", "y5"]


def test_someone_else_cannot_edit_a_resource():
    resource = ResourceFactory()
    with pytest.raises(PermissionDenied):
        services.resource_update(resource=resource, editor=PersonFactory(), title="Mine now")


def test_a_network_lead_can_edit_resources_in_their_network(maths):
    lead = MembershipFactory(network=maths, lead=True).person
    resource = ResourceFactory(network=maths)
    services.resource_update(resource=resource, editor=lead, summary="Tidied")
    assert Resource.objects.get(pk=resource.pk).summary == "Tidied"


def test_publishing_sets_the_date_once_and_archiving_keeps_it(member, maths):
    resource = share(member, maths)
    services.resource_publish(resource=resource, person=member)
    first = resource.published_at
    assert first is not None
    services.resource_archive(resource=resource, person=member)
    services.resource_publish(resource=resource, person=member)
    assert resource.published_at == first


def test_only_editors_publish_or_archive():
    resource = ResourceFactory(draft=True)
    with pytest.raises(PermissionDenied):
        services.resource_publish(resource=resource, person=PersonFactory())
    with pytest.raises(PermissionDenied):
        services.resource_archive(resource=resource, person=PersonFactory())


# Adapting


def make_file(resource, person, content=b"%PDF-1.4 fractions"):
    file = ResourceFile.objects.create(resource=resource, title="Worksheet")
    version = FileVersion(
        file=file,
        number=1,
        original_name="fractions.pdf",
        size=len(content),
        sha256="a" * 64,
        content_type="application/pdf",
        uploaded_by=person,
        extracted_text="fractions",
    )
    version.blob.save("fractions.pdf", ContentFile(content), save=False)
    version.save()
    file.current = version
    file.save()
    return file


def test_adapting_copies_the_resource_into_the_adapters_school_as_a_draft(
    secondary_maths_lead, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    source = ResourceFactory(notes="Use **this**", notes_html="<p>Use <strong>this</strong></p>")
    source.tags.set(["fractions"])
    file = make_file(source, source.author)

    adaptation = services.resource_adapt(resource=source, person=secondary_maths_lead)

    assert adaptation.adapted_from == source
    assert adaptation.status == Resource.Status.DRAFT
    assert adaptation.author == secondary_maths_lead
    assert adaptation.school.name == "Riverside Academy"
    assert adaptation.year_groups == source.year_groups
    assert adaptation.notes_html == source.notes_html
    assert list(adaptation.tags.names()) == ["fractions"]
    copied = adaptation.files.get()
    assert copied.pk != file.pk
    assert copied.current.blob.name == file.current.blob.name
    assert copied.current.sha256 == file.current.sha256
    assert copied.current.number == 1
    assert "Adapted from version 1" in copied.current.change_note
    assert list(source.adaptations.all()) == [adaptation]


def test_a_draft_or_an_invisible_resource_cannot_be_adapted(primary_teacher):
    for resource in [ResourceFactory(draft=True), ResourceFactory(network__private=True)]:
        with pytest.raises(PermissionDenied):
            services.resource_adapt(resource=resource, person=primary_teacher)
    assert Resource.objects.count() == 2


# Recommending


def test_a_lead_recommends_and_withdraws_the_recommendation(maths):
    lead = MembershipFactory(network=maths, lead=True).person
    resource = ResourceFactory(network=maths)
    services.resource_endorse(resource=resource, person=lead)
    resource.refresh_from_db()
    assert resource.endorsed_by == lead and resource.endorsed_at is not None
    services.resource_unendorse(resource=resource, person=lead)
    resource.refresh_from_db()
    assert resource.endorsed_by is None and resource.endorsed_at is None


def test_members_and_other_networks_leads_cannot_recommend(maths):
    resource = ResourceFactory(network=maths)
    member = MembershipFactory(network=maths).person
    other_lead = MembershipFactory(lead=True).person
    for person in [member, other_lead, resource.author]:
        with pytest.raises(PermissionDenied):
            services.resource_endorse(resource=resource, person=person)
    assert Resource.objects.get(pk=resource.pk).endorsed_at is None


def test_drafts_cannot_be_recommended(maths, central_team_editor):
    with pytest.raises(PermissionDenied):
        services.resource_endorse(resource=ResourceFactory(draft=True), person=central_team_editor)


# Bookmarks and collections


def test_bookmarking_twice_removes_the_bookmark(primary_teacher):
    resource = ResourceFactory()
    assert services.bookmark_toggle(person=primary_teacher, resource=resource) is True
    assert primary_teacher.bookmarks.count() == 1
    assert services.bookmark_toggle(person=primary_teacher, resource=resource) is False
    assert primary_teacher.bookmarks.count() == 0


def test_a_resource_you_cannot_see_cannot_be_bookmarked(primary_teacher):
    with pytest.raises(PermissionDenied):
        services.bookmark_toggle(
            person=primary_teacher, resource=ResourceFactory(network__private=True)
        )


def test_collection_names_are_unique_per_owner_with_a_clear_message(primary_teacher):
    services.collection_create(owner=primary_teacher, name="Year 6 revision")
    with pytest.raises(ValidationError) as refused:
        services.collection_create(owner=primary_teacher, name="  year 6   REVISION ")
    assert "already have a collection called" in refused.value.message_dict["name"][0]
    services.collection_create(owner=PersonFactory(), name="Year 6 revision")
    assert Collection.objects.count() == 2


def test_a_collection_needs_a_name(primary_teacher):
    with pytest.raises(ValidationError):
        services.collection_create(owner=primary_teacher, name="   ")


@pytest.mark.parametrize("name", ["Year\x006", "Phonics\x07", "\x1b[31mRed"])
def test_a_collection_name_with_control_characters_is_refused_and_nothing_saved(
    primary_teacher, name
):
    # The new-collection box posts straight to the service; PostgreSQL cannot store a NUL.
    with pytest.raises(ValidationError) as refused:
        services.collection_create(owner=primary_teacher, name=name)
    assert refused.value.message_dict["name"] == [
        "Collection names cannot hold control characters."
    ]
    assert not Collection.objects.exists()


def test_only_the_owner_adds_to_or_removes_from_a_collection(primary_teacher):
    collection = CollectionFactory(owner=primary_teacher)
    resource = ResourceFactory()
    services.collection_add(collection=collection, person=primary_teacher, resource=resource)
    assert list(collection.resources.all()) == [resource]
    someone = PersonFactory()
    with pytest.raises(PermissionDenied):
        services.collection_add(collection=collection, person=someone, resource=ResourceFactory())
    with pytest.raises(PermissionDenied):
        services.collection_remove(collection=collection, person=someone, resource=resource)
    services.collection_remove(collection=collection, person=primary_teacher, resource=resource)
    assert not collection.resources.exists()


def test_a_resource_you_cannot_see_cannot_be_collected(primary_teacher):
    collection = CollectionFactory(owner=primary_teacher)
    with pytest.raises(PermissionDenied):
        services.collection_add(
            collection=collection,
            person=primary_teacher,
            resource=ResourceFactory(network__private=True),
        )


# Notes


@pytest.mark.parametrize(
    "hostile",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](&#106;avascript:alert(1))",
        '<a href="&#x6A;avascript:alert(1)">click</a>',
        '<a href="java&#x09;script:alert(1)">click</a>',
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)><script>alert(1)</script></svg>",
        "<script>alert(1)</script>",
        '<p onclick="alert(1)" style="color:red">hi</p>',
        '<iframe src="https://evil.example"></iframe>',
        "<style>body{display:none}</style>",
        "<a href='/relative'>x</a>",
    ],
)
def test_hostile_notes_lose_their_scripts_and_bad_links(hostile):
    html = render_notes(hostile).lower()
    for forbidden in [
        "javascript",
        "data:",
        "<script",
        "<img",
        "<svg",
        "onerror",
        "onload",
        "onclick",
        "style",
        "<iframe",
        "alert(1)</",
        'href="/relative',
    ]:
        assert forbidden not in html


def test_safe_links_keep_their_address_and_get_a_safe_rel():
    html = render_notes("[Oak](https://www.thenational.academy) and <mailto:maths@trust.example>")
    assert 'href="https://www.thenational.academy"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "mailto:" in html


def test_a_top_level_heading_becomes_a_second_level_one():
    assert render_notes("# Fractions") == "<h2>Fractions</h2>"


def test_clearing_the_subject_falls_back_to_the_networks(member, maths):
    resource = share(member, maths, subject=None)
    services.resource_update(resource=resource, editor=member, subject=None)
    assert Resource.objects.get(pk=resource.pk).subject.name == "Mathematics"


def test_notes_are_commonmark_as_staff_write_it():
    """A list straight after a line of text and a nested list with three spaces: both lists,
    as in the other tools staff use (older Markdown left them as one paragraph)."""
    html = render_notes("Ideas:\n- one\n- two\n\n1. Starter\n   - recap\n\n~~Old~~ ~~plan~~")

    assert "<p>Ideas:</p>\n<ul>\n<li>one</li>" in html
    assert "<li>Starter\n<ul>\n<li>recap</li>" in html
    assert "<s>Old</s>" in html

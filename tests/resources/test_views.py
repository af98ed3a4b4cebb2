import pytest
from django.urls import NoReverseMatch, reverse

from resources import views
from resources.models import Collection, Resource
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.resources.factories import CollectionFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def maths(primary_teacher):
    network = NetworkFactory(name="Maths", subject="Mathematics")
    MembershipFactory(network=network, person=primary_teacher)
    return network


def share_form(network, **overrides) -> dict:
    data = {
        "title": "Fractions of amounts",
        "summary": "Unit fractions of amounts.",
        "network": network.slug,
        "year_groups": ["y4", "y5"],
        "resource_type": "worksheet",
        "notes": "Start with **bar models**.",
        "tags": "fractions, bar models",
        "scope": "trust",
        "licence": "trust",
        "publish": "1",
    }
    data.update(overrides)
    return data


def test_the_share_page_preselects_the_network_from_the_address(staff_client, maths):
    response = staff_client.get(reverse("resources:create") + "?network=maths")
    assert response.status_code == 200
    assert 'value="maths" selected' in response.content.decode()


def test_the_share_page_offers_only_the_networks_you_belong_to(staff_client, maths):
    NetworkFactory(name="History")
    response = staff_client.get(reverse("resources:create"))
    assert list(response.context["form"].fields["network"].queryset) == [maths]


def test_sharing_a_resource_saves_it_and_moves_on_to_the_files(
    staff_client, maths, primary_teacher
):
    response = staff_client.post(reverse("resources:create"), share_form(maths))
    resource = Resource.objects.get()
    assert resource.status == Resource.Status.PUBLISHED
    assert resource.author == primary_teacher
    assert sorted(resource.tags.names()) == ["bar models", "fractions"]
    try:
        expected = reverse("resources:file_upload", kwargs={"pk": resource.pk})
    except NoReverseMatch:
        expected = resource.get_absolute_url()
    assert response.status_code == 302 and response["Location"] == expected


def test_saving_as_a_draft_keeps_it_unpublished(staff_client, maths):
    data = share_form(maths)
    del data["publish"]
    staff_client.post(reverse("resources:create"), {**data, "draft": "1"})
    assert Resource.objects.get().status == Resource.Status.DRAFT


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "This field is required"),
        ({"year_groups": ["y8"], "key_stages": ["ks2"]}, "Year 8 is not in the key stages chosen"),
        ({"year_groups": []}, "Choose at least one year group"),
        ({"link_url": "javascript:alert(document.cookie)"}, "Links must start with https://"),
        ({"resource_type": "link"}, "A link resource needs the address"),
    ],
)
def test_bad_details_are_shown_in_the_form_and_nothing_is_saved(
    staff_client, maths, overrides, message
):
    response = staff_client.post(reverse("resources:create"), share_form(maths, **overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page
    assert "Fractions of amounts" in page or overrides.get("title") == ""
    assert not Resource.objects.exists()


def test_you_cannot_share_into_a_network_you_are_not_in(staff_client, maths):
    other = NetworkFactory(name="History")
    response = staff_client.post(reverse("resources:create"), share_form(other))
    assert response.status_code == 400
    assert not Resource.objects.exists()


def test_the_detail_page_shows_metadata_notes_and_credit(staff_client, maths, primary_teacher):
    source = ResourceFactory(network=maths, title="Bar models")
    resource = ResourceFactory(
        network=maths,
        year_groups=["y6", "y7"],
        notes_html="<p><strong>Use it</strong></p>",
        send_notes="Use concrete objects.",
        shared_focus=True,
        adapted_from=source,
    )
    page = staff_client.get(resource.get_absolute_url()).content.decode()
    for text in [
        "Year 6, Year 7",
        "Key stage 2, Key stage 3",
        "Primary, Secondary",
        "<strong>Use it</strong>",
        "Use concrete objects.",
        "For use within the trust",
        "Supports this year",
        "Adapted from",
        "Bar models",
        "Adapt for my school",
        "How other schools adapted this",
    ]:
        assert text in page, text


def test_the_detail_page_redirects_to_the_right_slug(staff_client, maths):
    resource = ResourceFactory(network=maths)
    response = staff_client.get(reverse("resources:detail", args=[resource.pk, "wrong"]))
    assert response.status_code == 301
    assert response["Location"] == resource.get_absolute_url()


def test_the_detail_page_shows_file_links_when_the_file_pages_exist(
    staff_client, maths, monkeypatch
):
    monkeypatch.setattr(views, "optional_url", lambda name, **kwargs: None)
    resource = ResourceFactory(network=maths)
    assert staff_client.get(resource.get_absolute_url()).status_code == 200


def test_the_author_edits_a_resource(staff_client, maths, primary_teacher):
    resource = ResourceFactory(network=maths, author=primary_teacher)
    url = reverse("resources:edit", args=[resource.pk, resource.slug])
    form = staff_client.get(url).context["form"]
    assert form["title"].value() == resource.title
    response = staff_client.post(url, share_form(maths, title="Better fractions"))
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.title == "Better fractions"


def test_a_refused_edit_shows_the_reason_and_changes_nothing(staff_client, maths, primary_teacher):
    resource = ResourceFactory(network=maths, author=primary_teacher, title="Kept")
    url = reverse("resources:edit", args=[resource.pk, resource.slug])
    response = staff_client.post(url, share_form(maths, link_url="data:text/html,hi"))
    assert response.status_code == 400
    resource.refresh_from_db()
    assert resource.title == "Kept"


def test_adapting_leads_to_editing_the_new_draft(staff_client, maths, primary_teacher):
    source = ResourceFactory(network=maths)
    response = staff_client.post(reverse("resources:adapt", args=[source.pk]))
    adaptation = Resource.objects.get(adapted_from=source)
    assert response["Location"] == reverse("resources:edit", args=[adaptation.pk, adaptation.slug])
    assert adaptation.author == primary_teacher


def test_publishing_and_archiving_from_the_detail_page(staff_client, maths, primary_teacher):
    resource = ResourceFactory(network=maths, author=primary_teacher, draft=True)
    url = reverse("resources:status", args=[resource.pk])
    staff_client.post(url, {"action": "publish"})
    resource.refresh_from_db()
    assert resource.status == Resource.Status.PUBLISHED
    staff_client.post(url, {"action": "archive"})
    resource.refresh_from_db()
    assert resource.status == Resource.Status.ARCHIVED


def test_bookmarking_from_the_detail_page_and_seeing_it_listed(staff_client, maths):
    resource = ResourceFactory(network=maths, title="Place value grid")
    staff_client.post(reverse("resources:bookmark", args=[resource.pk]))
    page = staff_client.get(reverse("resources:bookmarks")).content.decode()
    assert "Place value grid" in page
    staff_client.post(reverse("resources:bookmark", args=[resource.pk]))
    assert (
        "Place value grid" not in staff_client.get(reverse("resources:bookmarks")).content.decode()
    )


def test_a_bookmark_redirect_never_leaves_the_site(staff_client, maths):
    resource = ResourceFactory(network=maths)
    response = staff_client.post(
        reverse("resources:bookmark", args=[resource.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == resource.get_absolute_url()


def test_adding_to_a_new_and_an_existing_collection(staff_client, maths, primary_teacher):
    resource = ResourceFactory(network=maths)
    url = reverse("resources:collect", args=[resource.pk])
    staff_client.post(url, {"new_collection": "Year 6 revision"})
    collection = Collection.objects.get(owner=primary_teacher)
    assert list(collection.resources.all()) == [resource]
    other = ResourceFactory(network=maths)
    staff_client.post(reverse("resources:collect", args=[other.pk]), {"collection": collection.pk})
    assert collection.resources.count() == 2
    response = staff_client.post(url, {"new_collection": "year 6 revision"}, follow=True)
    assert "You already have a collection called" in response.content.decode()


def test_someone_elses_collection_cannot_be_used_or_opened(staff_client, maths):
    theirs = CollectionFactory()
    resource = ResourceFactory(network=maths)
    staff_client.post(reverse("resources:collect", args=[resource.pk]), {"collection": theirs.pk})
    assert not theirs.resources.exists()
    assert (
        staff_client.get(reverse("resources:collection_detail", args=[theirs.pk])).status_code
        == 404
    )


def test_making_a_collection_with_a_duplicate_name_says_why(staff_client, primary_teacher):
    CollectionFactory(owner=primary_teacher, name="Fractions")
    response = staff_client.post(reverse("resources:collections"), {"name": "fractions"})
    assert response.status_code == 400
    assert "You already have a collection called" in response.content.decode()
    response = staff_client.post(reverse("resources:collections"), {"name": "Decimals"})
    assert response.status_code == 302


def test_taking_a_resource_out_of_a_collection(staff_client, maths, primary_teacher):
    collection = CollectionFactory(owner=primary_teacher)
    resource = ResourceFactory(network=maths, title="Number bonds")
    collection.resources.add(resource)
    url = reverse("resources:collection_detail", args=[collection.pk])
    assert "Number bonds" in staff_client.get(url).content.decode()
    staff_client.post(url, {"resource": resource.pk})
    assert not collection.resources.exists()
    assert staff_client.post(url, {"resource": "nonsense"}).status_code == 302


def test_endorse_and_withdraw_through_the_page(client, maths):
    lead = MembershipFactory(network=maths, lead=True).person
    client.force_login(lead)
    resource = ResourceFactory(network=maths)
    client.post(reverse("resources:endorse", args=[resource.pk]))
    resource.refresh_from_db()
    assert resource.endorsed_by == lead
    page = client.get(resource.get_absolute_url()).content.decode()
    assert "Recommended by the Maths network" in page
    client.post(reverse("resources:endorse", args=[resource.pk]), {"action": "withdraw"})
    resource.refresh_from_db()
    assert not resource.is_endorsed


def add_files(resource, count: int) -> None:
    """File rows with a current version each (the files themselves are not needed here)."""
    from resources.models import FileVersion, ResourceFile

    for number in range(count):
        file = ResourceFile.objects.create(resource=resource, title=f"Sheet {number}")
        file.current = FileVersion.objects.create(
            file=file,
            number=1,
            blob=f"resources/test/{resource.pk}-{number}.pdf",
            original_name=f"sheet-{number}.pdf",
            size=100,
            sha256=f"{resource.pk:032x}{number:032x}",
            content_type="application/pdf",
            uploaded_by=resource.author,
        )
        file.save(update_fields=["current"])


def detail_queries(client, resource) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(resource.get_absolute_url())
    with CaptureQueriesContext(connection) as captured:
        assert client.get(resource.get_absolute_url()).status_code == 200
    return len(captured)


def test_the_detail_page_costs_the_same_queries_with_1_file_or_8(staff_client, maths):
    few = ResourceFactory(network=maths)
    add_files(few, 1)
    many = ResourceFactory(network=maths)
    add_files(many, 8)
    many.tags.add("fractions", "bar models", "reasoning")
    for _ in range(3):
        ResourceFactory(network=maths, adapted_from=many)

    assert detail_queries(staff_client, few) == detail_queries(staff_client, many)


def test_the_detail_page_shows_the_readers_bookmark(staff_client, maths):
    resource = ResourceFactory(network=maths)
    assert "Remove bookmark" not in staff_client.get(resource.get_absolute_url()).content.decode()

    staff_client.post(reverse("resources:bookmark", args=[resource.pk]))

    assert "Remove bookmark" in staff_client.get(resource.get_absolute_url()).content.decode()

"""The curriculum map's pages: who may read and edit them, the CSV export, bad input and the
number of queries."""

import csv
import io
from dataclasses import dataclass

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from networks.curriculum import Phase, YearGroup
from networks.models import Network
from resources.models import Resource, Strand, Unit
from tests.factories import PersonFactory, sign_in_with_identity_provider
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db


@dataclass
class Map:
    network: Network
    strand: Strand
    unit: Unit
    resource: Resource


def _map(*, private: bool = False) -> Map:
    network = NetworkFactory(
        name="Maths" if not private else "Maths leaders",
        private=private,
        phases=[Phase.PRIMARY.value, Phase.SECONDARY.value],
    )
    strand = Strand.objects.create(network=network, name="Fractions")
    unit = Unit.objects.create(strand=strand, year_group=YearGroup.Y5, title="Fractions")
    resource = ResourceFactory(network=network, title="Fractions of amounts")
    unit.resources.add(resource)
    return Map(network, strand, unit, resource)


def _client_for(who: str, network: Network, central_team_editor) -> Client:
    client = Client()
    if who == "anonymous":
        return client
    if who == "non-member":
        person = PersonFactory()
    elif who == "member":
        person = MembershipFactory(network=network).person
    elif who == "lead":
        person = MembershipFactory(network=network, lead=True).person
    else:
        person = central_team_editor
    sign_in_with_identity_provider(client, person)
    return client


def _read_urls(world: Map) -> dict[str, str]:
    slug = world.network.slug
    return {
        "map": reverse("resources:map", kwargs={"slug": slug}),
        "unit": reverse("resources:unit_detail", kwargs={"pk": world.unit.pk}),
        "csv": reverse("resources:map_csv", kwargs={"slug": slug}),
    }


def _edit_requests(world: Map) -> list[tuple[str, str, dict | None]]:
    slug = world.network.slug
    unit, strand = world.unit.pk, world.strand.pk
    return [
        ("get", reverse("resources:strand_add", kwargs={"slug": slug}), None),
        ("post", reverse("resources:strand_add", kwargs={"slug": slug}), {"name": "Geometry"}),
        ("get", reverse("resources:strand_edit", kwargs={"pk": strand}), None),
        ("post", reverse("resources:strand_move", kwargs={"pk": strand}), {"direction": "up"}),
        ("get", reverse("resources:strand_delete", kwargs={"pk": strand}), None),
        ("get", reverse("resources:unit_add", kwargs={"slug": slug}), None),
        ("get", reverse("resources:unit_edit", kwargs={"pk": unit}), None),
        ("get", reverse("resources:unit_resources", kwargs={"pk": unit}), None),
        ("get", reverse("resources:unit_delete", kwargs={"pk": unit}), None),
    ]


READERS = {
    # who: (open network, private network)
    "anonymous": (302, 302),
    "non-member": (200, 403),
    "member": (200, 200),
    "lead": (200, 200),
    "central team": (200, 200),
}
EDITORS = {
    "anonymous": (302, 302),
    "non-member": (403, 403),
    "member": (403, 403),
    "lead": (200, 200),
    "central team": (200, 200),
}


@pytest.mark.parametrize("private", [False, True], ids=["open", "private"])
@pytest.mark.parametrize("who", list(READERS))
def test_who_may_read_the_map_a_unit_and_the_export(who, private, central_team_editor):
    world = _map(private=private)
    client = _client_for(who, world.network, central_team_editor)
    expected = READERS[who][private]

    for name, url in _read_urls(world).items():
        response = client.get(url)
        assert response.status_code == expected, f"{who} reading {name}"
        if expected == 302:
            assert "/people/sign-in/" in response["Location"]


@pytest.mark.parametrize("private", [False, True], ids=["open", "private"])
@pytest.mark.parametrize("who", list(EDITORS))
def test_who_may_edit_the_map(who, private, central_team_editor):
    world = _map(private=private)
    client = _client_for(who, world.network, central_team_editor)
    expected = EDITORS[who][private]

    for method, url, data in _edit_requests(world):
        response = getattr(client, method)(url, data or {})
        wanted = 302 if method == "post" and expected == 200 else expected
        assert response.status_code == wanted, f"{who}: {method} {url}"
    if expected != 200:
        assert not Strand.objects.filter(name="Geometry").exists()


def test_editing_needs_the_csrf_token(central_team_editor):
    world = _map()
    client = Client(enforce_csrf_checks=True)
    lead = MembershipFactory(network=world.network, lead=True).person
    sign_in_with_identity_provider(client, lead)

    response = client.post(
        reverse("resources:strand_add", kwargs={"slug": world.network.slug}), {"name": "Number"}
    )

    assert response.status_code == 403
    assert not Strand.objects.filter(name="Number").exists()


def test_an_unknown_unit_is_not_found(staff_client):
    assert staff_client.get(reverse("resources:unit_detail", kwargs={"pk": 999})).status_code == 404


# The map page --------------------------------------------------------------------------


def _lead_client(world: Map) -> Client:
    client = Client()
    lead = MembershipFactory(network=world.network, lead=True).person
    sign_in_with_identity_provider(client, lead)
    return client


def test_the_map_is_a_table_with_headings_for_strands_year_groups_and_key_stages(staff_client):
    world = _map()

    html = staff_client.get(reverse("resources:map", kwargs={"slug": world.network.slug}))
    html = html.content.decode()

    assert "<caption" in html
    assert '<th scope="row">Fractions</th>' in html
    assert '<th scope="col">Year 5</th>' in html
    assert 'scope="colgroup" colspan="4" class="curriculum-map__ks">Key stage 2</th>' in html
    assert reverse("resources:unit_detail", kwargs={"pk": world.unit.pk}) in html


def test_gaps_on_the_map_are_marked_in_words(staff_client):
    world = _map()
    world.unit.resources.clear()
    Unit.objects.create(strand=world.strand, year_group=YearGroup.Y7, title="Ratio")

    html = staff_client.get(reverse("resources:map", kwargs={"slug": world.network.slug}))
    html = html.content.decode()

    assert "<strong>Gap:</strong> No resources yet for Year 5 Fractions" in html
    assert "<strong>Gap:</strong> No unit yet for Year 6 Fractions" in html


def test_the_map_can_show_every_year_group(staff_client):
    world = _map()
    url = reverse("resources:map", kwargs={"slug": world.network.slug})

    assert '<th scope="col">Nursery</th>' not in staff_client.get(url).content.decode()
    html = staff_client.get(url, {"years": "all"}).content.decode()
    assert '<th scope="col">Nursery</th>' in html
    assert '<th scope="col">Year 13</th>' in html


def test_the_map_page_runs_the_same_number_of_queries_however_big_the_map(
    staff_client, django_assert_max_num_queries
):
    world = _map()
    url = reverse("resources:map", kwargs={"slug": world.network.slug})
    staff_client.get(url)  # the first request of a session fills caches the rest reuse
    with CaptureQueriesContext(connection) as small:
        staff_client.get(url)
    for s in range(5):
        strand = Strand.objects.create(network=world.network, name=f"Strand {s}")
        for year in YearGroup.values[2:12]:
            unit = Unit.objects.create(strand=strand, year_group=year, title=f"Unit {year}")
            unit.resources.add(ResourceFactory(network=world.network))

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = staff_client.get(url)

    assert response.status_code == 200
    assert response.content.decode().count("map-unit") >= 50


def test_leads_see_links_to_edit_the_map_and_members_do_not(staff_client):
    world = _map()
    url = reverse("resources:map", kwargs={"slug": world.network.slug})
    add_strand = reverse("resources:strand_add", kwargs={"slug": world.network.slug})

    assert add_strand not in staff_client.get(url).content.decode()
    assert add_strand in _lead_client(world).get(url).content.decode()


# A unit --------------------------------------------------------------------------------


def test_a_unit_shows_its_resources_and_the_units_before_and_after_it(staff_client):
    world = _map()
    earlier = Unit.objects.create(strand=world.strand, year_group=YearGroup.Y4, title="Tenths")
    later = Unit.objects.create(strand=world.strand, year_group=YearGroup.Y7, title="Ratio")

    response = staff_client.get(reverse("resources:unit_detail", kwargs={"pk": world.unit.pk}))
    html = response.content.decode()

    assert "Fractions of amounts" in html
    assert reverse("resources:unit_detail", kwargs={"pk": earlier.pk}) in html
    assert "Year 4: Tenths" in html
    assert reverse("resources:unit_detail", kwargs={"pk": later.pk}) in html
    assert "Year 7: Ratio" in html


def test_a_unit_hides_resources_the_reader_may_not_see(staff_client):
    world = _map()
    world.unit.resources.add(
        ResourceFactory(network=world.network, title="Members' quiz", network_only=True)
    )

    response = staff_client.get(reverse("resources:unit_detail", kwargs={"pk": world.unit.pk}))

    assert "Members&#x27; quiz" not in response.content.decode()
    assert "Members' quiz" not in response.content.decode()


# The CSV export ------------------------------------------------------------------------


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_export_has_a_row_per_unit_with_its_resources(staff_client):
    world = _map()
    Unit.objects.create(strand=world.strand, year_group=YearGroup.Y6, title="Percentages")

    response = staff_client.get(reverse("resources:map_csv", kwargs={"slug": world.network.slug}))

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="maths-curriculum-map.csv"'
    header, first, second = _rows(response)
    assert header == [
        "Strand",
        "Key stage",
        "Year group",
        "Unit",
        "Summary",
        "Resources",
        "Resource titles",
        "Resource links",
    ]
    assert first[:4] == ["Fractions", "Key stage 2", "Year 5", "Fractions"]
    assert first[5:7] == ["1", "Fractions of amounts"]
    assert first[7] == f"http://testserver{world.resource.get_absolute_url()}"
    assert second[3:6] == ["Percentages", "", "0"]


def test_the_export_defuses_spreadsheet_formulas(staff_client):
    world = _map()
    world.unit.title = '=HYPERLINK("http://evil.example")'
    world.unit.summary = "@SUM(A1)"
    world.unit.save()
    world.strand.name = "+Number"
    world.strand.save()
    world.resource.title = "-2 plus 3"
    world.resource.save()

    [_, row] = _rows(
        staff_client.get(reverse("resources:map_csv", kwargs={"slug": world.network.slug}))
    )

    assert row[0] == "'+Number"
    assert row[3] == '\'=HYPERLINK("http://evil.example")'
    assert row[4] == "'@SUM(A1)"
    assert row[6] == "'-2 plus 3"


# Editing through the pages -------------------------------------------------------------


def test_a_lead_adds_a_strand_and_is_told_so():
    world = _map()
    client = _lead_client(world)

    response = client.post(
        reverse("resources:strand_add", kwargs={"slug": world.network.slug}), {"name": "Geometry"}
    )

    assert response.status_code == 302
    assert Strand.objects.filter(network=world.network, name="Geometry").exists()
    assert "The strand Geometry has been added" in str(list(get_messages(response.wsgi_request))[0])


def test_an_empty_strand_name_shows_a_message_and_saves_nothing():
    world = _map()
    response = _lead_client(world).post(
        reverse("resources:strand_add", kwargs={"slug": world.network.slug}), {"name": "  "}
    )

    assert response.status_code == 400
    assert "Give the strand a name" in response.content.decode()
    assert Strand.objects.count() == 1


def test_a_duplicate_strand_name_shows_a_message():
    world = _map()
    response = _lead_client(world).post(
        reverse("resources:strand_add", kwargs={"slug": world.network.slug}), {"name": "Fractions"}
    )

    assert response.status_code == 400
    assert "already has a strand called Fractions" in response.content.decode()


def test_a_lead_adds_a_unit_and_goes_on_to_choose_its_resources():
    world = _map()
    response = _lead_client(world).post(
        reverse("resources:unit_add", kwargs={"slug": world.network.slug}),
        {"strand": world.strand.pk, "year_group": "y6", "title": "Percentages", "summary": ""},
    )

    unit = Unit.objects.get(title="Percentages")
    assert response["Location"] == reverse("resources:unit_resources", kwargs={"pk": unit.pk})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"year_group": "y14", "title": "Percentages"}, "Choose a year group from Nursery to"),
        ({"year_group": "y6", "title": ""}, "Give the unit a title"),
        ({"year_group": "y6", "title": "   "}, "Give the unit a title"),
    ],
    ids=["unknown year group", "no title", "blank title"],
)
def test_bad_unit_input_shows_a_message_and_saves_nothing(data, message):
    world = _map()
    response = _lead_client(world).post(
        reverse("resources:unit_add", kwargs={"slug": world.network.slug}),
        {"strand": world.strand.pk, **data},
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Unit.objects.count() == 1


def test_a_unit_cannot_be_put_in_another_networks_strand():
    world = _map()
    elsewhere = Strand.objects.create(network=NetworkFactory(), name="Elsewhere")
    response = _lead_client(world).post(
        reverse("resources:unit_edit", kwargs={"pk": world.unit.pk}),
        {"strand": elsewhere.pk, "year_group": "y5", "title": "Moved"},
    )

    assert response.status_code == 400
    assert "Choose one of this network" in response.content.decode()
    world.unit.refresh_from_db()
    assert world.unit.title == "Fractions"


def test_a_lead_chooses_a_units_resources_from_a_checklist_for_its_year():
    world = _map()
    year_5 = ResourceFactory(network=world.network, title="Decimals", year_groups=["y5"])
    ResourceFactory(network=world.network, title="Place value", year_groups=["y2"])
    client = _lead_client(world)
    url = reverse("resources:unit_resources", kwargs={"pk": world.unit.pk})

    checklist = client.get(url).content.decode()
    assert "Decimals" in checklist
    assert "Place value" not in checklist
    # Already linked, so it stays listed whichever year is shown.
    assert "Fractions of amounts" in client.get(url, {"year": "y2"}).content.decode()

    response = client.post(url, {"resources": [world.resource.pk, year_5.pk]})

    assert response.status_code == 302
    assert set(world.unit.resources.all()) == {world.resource, year_5}


@pytest.mark.parametrize("kind", ["draft", "another network"])
def test_linking_a_draft_or_another_networks_resource_is_refused_and_nothing_changes(kind):
    world = _map()
    if kind == "draft":
        refused = ResourceFactory(network=world.network, draft=True)
    else:
        refused = ResourceFactory(title="Poetry starters")
    good = ResourceFactory(network=world.network)

    response = _lead_client(world).post(
        reverse("resources:unit_resources", kwargs={"pk": world.unit.pk}),
        {"resources": [good.pk, refused.pk]},
    )

    assert response.status_code == 400
    assert "cannot be placed on this map" in response.content.decode()
    assert list(world.unit.resources.all()) == [world.resource]


def test_removing_a_unit_keeps_its_resources():
    world = _map()
    response = _lead_client(world).post(
        reverse("resources:unit_delete", kwargs={"pk": world.unit.pk})
    )

    assert response.status_code == 302
    assert not Unit.objects.exists()
    assert Resource.objects.filter(pk=world.resource.pk).exists()


def test_moving_a_strand_in_an_unknown_direction_says_so():
    world = _map()
    response = _lead_client(world).post(
        reverse("resources:strand_move", kwargs={"pk": world.strand.pk}), {"direction": "sideways"}
    )

    assert response.status_code == 302
    assert "only move up or down" in str(list(get_messages(response.wsgi_request))[0])


def test_a_lead_renames_a_strand():
    world = _map()
    response = _lead_client(world).post(
        reverse("resources:strand_edit", kwargs={"pk": world.strand.pk}), {"name": "Fractions "}
    )

    assert response.status_code == 302
    world.strand.refresh_from_db()
    assert world.strand.name == "Fractions"


def test_a_lead_removes_a_strand_after_confirming():
    world = _map()
    client = _lead_client(world)
    url = reverse("resources:strand_delete", kwargs={"pk": world.strand.pk})

    assert "Its 1 unit will be removed" in client.get(url).content.decode()
    response = client.post(url)

    assert response["Location"] == reverse("resources:map", kwargs={"slug": world.network.slug})
    assert not Strand.objects.exists()
    assert Resource.objects.filter(pk=world.resource.pk).exists()


def test_adding_a_unit_before_any_strand_exists_asks_for_a_strand_first():
    network = NetworkFactory(name="Art")
    client = Client()
    sign_in_with_identity_provider(client, MembershipFactory(network=network, lead=True).person)

    response = client.get(reverse("resources:unit_add", kwargs={"slug": network.slug}))

    assert response["Location"] == reverse("resources:strand_add", kwargs={"slug": network.slug})
    assert "Add a strand first" in str(list(get_messages(response.wsgi_request))[0])

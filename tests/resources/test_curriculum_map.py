"""The curriculum map's services and selectors: gaps, neighbours, visibility and bad input."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from networks.curriculum import Phase, YearGroup
from resources import curriculum_map as curriculum
from resources.models import Strand, Unit
from tests.factories import PersonFactory
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def maths():
    return NetworkFactory(name="Maths", phases=[Phase.PRIMARY.value, Phase.SECONDARY.value])


@pytest.fixture
def lead(maths):
    return MembershipFactory(network=maths, lead=True).person


@pytest.fixture
def member(maths):
    return MembershipFactory(network=maths).person


def _unit(strand: Strand, year: str, title: str, *resources) -> Unit:
    unit = Unit.objects.create(strand=strand, year_group=year, title=title)
    unit.resources.set(resources)
    return unit


def _cell(grid, strand_name: str, year: str):
    row = next(row for row in grid.rows if row.strand.name == strand_name)
    return next(cell for cell in row.cells if cell.column.year == year)


# Gaps ----------------------------------------------------------------------------------


def test_an_empty_year_between_a_strands_units_is_marked_as_a_gap(maths, member):
    fractions = Strand.objects.create(network=maths, name="Fractions")
    _unit(fractions, YearGroup.Y3, "Unit fractions", ResourceFactory(network=maths))
    _unit(fractions, YearGroup.Y5, "Fractions of amounts", ResourceFactory(network=maths))

    grid = curriculum.curriculum_map(member, maths)

    gap = _cell(grid, "Fractions", YearGroup.Y4)
    assert gap.is_gap
    assert gap.gap_message == "No unit yet for Year 4 Fractions"
    # Before the first unit and after the last one the strand simply has not started or ended.
    assert not _cell(grid, "Fractions", YearGroup.Y2).is_gap
    assert not _cell(grid, "Fractions", YearGroup.Y6).is_gap
    assert grid.gap_count == 1


def test_a_unit_without_resources_is_marked_as_a_gap_naming_the_year_and_unit(maths, member):
    fractions = Strand.objects.create(network=maths, name="Fractions")
    _unit(fractions, YearGroup.Y5, "Fractions")

    placed = _cell(curriculum.curriculum_map(member, maths), "Fractions", YearGroup.Y5).units[0]

    assert placed.is_gap
    assert placed.gap_message == "No resources yet for Year 5 Fractions"


def test_a_unit_whose_only_resource_is_a_draft_is_still_a_gap(maths, member):
    fractions = Strand.objects.create(network=maths, name="Fractions")
    _unit(fractions, YearGroup.Y5, "Fractions", ResourceFactory(network=maths, draft=True))

    placed = _cell(curriculum.curriculum_map(member, maths), "Fractions", YearGroup.Y5).units[0]

    assert placed.resource_count == 0
    assert placed.is_gap


# Columns -------------------------------------------------------------------------------


def test_the_map_shows_the_year_groups_of_the_networks_phases_under_key_stage_headings(member):
    primary = NetworkFactory(name="Primary maths", phases=[Phase.PRIMARY.value])
    MembershipFactory(network=primary, person=member)

    grid = curriculum.curriculum_map(member, primary)

    assert [column.year for column in grid.columns] == [f"y{n}" for n in range(1, 7)]
    assert [(h.label, h.span) for h in grid.key_stages] == [
        ("Key stage 1", 2),
        ("Key stage 2", 4),
    ]
    assert grid.can_show_all_years


def test_asking_for_every_year_shows_nursery_to_year_13(maths, member):
    grid = curriculum.curriculum_map(member, maths, all_years=True)

    assert grid.columns[0].label == "Nursery"
    assert grid.columns[-1].label == "Year 13"
    assert [h.label for h in grid.key_stages] == [
        "EYFS",
        "Key stage 1",
        "Key stage 2",
        "Key stage 3",
        "Key stage 4",
        "Key stage 5",
    ]
    assert grid.showing_all_years


def test_a_unit_outside_the_networks_phases_still_shows(member):
    primary = NetworkFactory(name="Primary maths", phases=[Phase.PRIMARY.value])
    strand = Strand.objects.create(network=primary, name="Number")
    _unit(strand, YearGroup.Y7, "Place value to a billion")

    grid = curriculum.curriculum_map(member, primary)

    assert grid.columns[-1].year == YearGroup.Y7
    assert _cell(grid, "Number", YearGroup.Y7).units


# Neighbours ----------------------------------------------------------------------------


def test_a_year_7_unit_has_the_year_6_unit_before_it_across_key_stages(maths):
    number = Strand.objects.create(network=maths, name="Number")
    year_8 = _unit(number, YearGroup.Y8, "Indices")
    year_6 = _unit(number, YearGroup.Y6, "Long division")
    year_7 = _unit(number, YearGroup.Y7, "Negative numbers")

    neighbours = curriculum.unit_neighbours(year_7)

    assert neighbours.previous == year_6
    assert neighbours.next == year_8


def test_the_first_and_last_units_of_a_strand_have_one_neighbour_each(maths):
    number = Strand.objects.create(network=maths, name="Number")
    first = _unit(number, YearGroup.RECEPTION, "Counting to 10")
    last = _unit(number, YearGroup.Y13, "Proof")

    assert curriculum.unit_neighbours(first).previous is None
    assert curriculum.unit_neighbours(first).next == last
    assert curriculum.unit_neighbours(last).next is None


def test_neighbours_stay_within_the_strand(maths):
    number = Strand.objects.create(network=maths, name="Number")
    geometry = Strand.objects.create(network=maths, name="Geometry")
    unit = _unit(number, YearGroup.Y7, "Negative numbers")
    _unit(geometry, YearGroup.Y6, "Angles")

    assert curriculum.unit_neighbours(unit).previous is None


# Visibility ----------------------------------------------------------------------------


def test_resource_counts_only_count_what_the_reader_may_see(maths, member):
    outsider = PersonFactory()
    fractions = Strand.objects.create(network=maths, name="Fractions")
    _unit(
        fractions,
        YearGroup.Y5,
        "Fractions",
        ResourceFactory(network=maths),
        ResourceFactory(network=maths, network_only=True),
    )

    def count(person) -> int:
        grid = curriculum.curriculum_map(person, maths)
        return _cell(grid, "Fractions", YearGroup.Y5).units[0].resource_count

    assert count(member) == 2
    assert count(outsider) == 1


def test_a_private_networks_map_is_for_members_and_the_central_team(central_team_editor):
    private = NetworkFactory(name="Leaders", private=True)
    member = MembershipFactory(network=private).person

    assert curriculum.curriculum_map(member, private).network == private
    assert curriculum.curriculum_map(central_team_editor, private).network == private
    with pytest.raises(PermissionDenied):
        curriculum.curriculum_map(PersonFactory(), private)


def test_the_export_lists_only_the_resources_the_reader_may_see(maths, member):
    outsider = PersonFactory()
    fractions = Strand.objects.create(network=maths, name="Fractions")
    shared = ResourceFactory(network=maths, title="Shared")
    _unit(fractions, YearGroup.Y5, "Fractions", shared, ResourceFactory(network_only=True))

    [unit] = curriculum.map_units_for_export(outsider, maths)

    assert unit.visible_resources == [shared]


# Services ------------------------------------------------------------------------------


def test_a_lead_builds_a_strand_and_a_unit_and_links_a_resource(maths, lead):
    resource = ResourceFactory(network=maths)

    strand = curriculum.strand_create(actor=lead, network=maths, name="  Fractions ")
    unit = curriculum.unit_create(
        actor=lead, strand=strand, year_group=YearGroup.Y5, title="Fractions of amounts"
    )
    curriculum.unit_resources_set(actor=lead, unit=unit, resources=[resource])

    assert strand.name == "Fractions"
    assert list(unit.resources.all()) == [resource]


def test_members_cannot_edit_the_map(maths, member):
    with pytest.raises(PermissionDenied):
        curriculum.strand_create(actor=member, network=maths, name="Fractions")
    assert not Strand.objects.exists()


def test_the_central_team_can_edit_any_map(maths, central_team_editor):
    strand = curriculum.strand_create(actor=central_team_editor, network=maths, name="Number")

    assert strand.network == maths


def test_an_empty_strand_name_is_refused_with_a_message(maths, lead):
    with pytest.raises(ValidationError) as refused:
        curriculum.strand_create(actor=lead, network=maths, name="   ")

    assert "Give the strand a name" in str(refused.value)
    assert not Strand.objects.exists()


def test_a_second_strand_with_the_same_name_is_refused(maths, lead):
    curriculum.strand_create(actor=lead, network=maths, name="Fractions")

    with pytest.raises(ValidationError) as refused:
        curriculum.strand_create(actor=lead, network=maths, name="fractions")

    assert "already has a strand called fractions" in str(refused.value)
    assert Strand.objects.count() == 1


def test_an_unknown_year_group_or_empty_title_saves_nothing(maths, lead):
    strand = Strand.objects.create(network=maths, name="Number")

    with pytest.raises(ValidationError) as refused:
        curriculum.unit_create(actor=lead, strand=strand, year_group="y14", title=" ")

    assert set(refused.value.message_dict) == {"year_group", "title"}
    assert not Unit.objects.exists()


def test_a_draft_or_another_networks_resource_cannot_be_linked_and_nothing_changes(maths, lead):
    strand = Strand.objects.create(network=maths, name="Number")
    linked = ResourceFactory(network=maths)
    unit = _unit(strand, YearGroup.Y5, "Fractions", linked)
    draft = ResourceFactory(network=maths, draft=True, title="Unfinished draft")
    elsewhere = ResourceFactory(title="Poetry starters")

    for refused_resource in (draft, elsewhere):
        with pytest.raises(ValidationError) as refused:
            curriculum.unit_resources_set(
                actor=lead, unit=unit, resources=[ResourceFactory(network=maths), refused_resource]
            )
        assert refused_resource.title in str(refused.value)
        assert "Only published resources shared in the Maths network" in str(refused.value)
        assert list(unit.resources.all()) == [linked]


def test_moving_a_strand_up_swaps_it_with_the_one_above(maths, lead):
    number = curriculum.strand_create(actor=lead, network=maths, name="Number")
    fractions = curriculum.strand_create(actor=lead, network=maths, name="Fractions")

    curriculum.strand_move(actor=lead, strand=fractions, direction="up")

    assert list(curriculum.strands_of(maths)) == [fractions, number]


def test_moving_a_unit_to_another_year_places_it_there(maths, lead):
    strand = Strand.objects.create(network=maths, name="Number")
    unit = _unit(strand, YearGroup.Y5, "Fractions")

    curriculum.unit_move(actor=lead, unit=unit, year_group=YearGroup.Y6)

    unit.refresh_from_db()
    assert unit.year_group == YearGroup.Y6


def test_a_unit_cannot_move_to_another_networks_strand(maths, lead):
    strand = Strand.objects.create(network=maths, name="Number")
    elsewhere = Strand.objects.create(network=NetworkFactory(), name="Number")
    unit = _unit(strand, YearGroup.Y5, "Fractions")

    with pytest.raises(ValidationError):
        curriculum.unit_move(actor=lead, unit=unit, year_group=YearGroup.Y5, strand=elsewhere)

    unit.refresh_from_db()
    assert unit.strand == strand


def test_removing_a_strand_removes_its_units_but_keeps_the_resources(maths, lead):
    strand = Strand.objects.create(network=maths, name="Number")
    resource = ResourceFactory(network=maths)
    _unit(strand, YearGroup.Y5, "Fractions", resource)

    curriculum.strand_delete(actor=lead, strand=strand)

    assert not Unit.objects.exists()
    resource.refresh_from_db()


# Queries -------------------------------------------------------------------------------


def _grow(network, strands: int, units_per_strand: int) -> None:
    years = YearGroup.values
    existing = Strand.objects.filter(network=network).count()
    for s in range(existing, existing + strands):
        strand = Strand.objects.create(network=network, name=f"Strand {s}")
        for u in range(units_per_strand):
            _unit(strand, years[u % len(years)], f"Unit {u}", ResourceFactory(network=network))


def test_the_map_runs_the_same_number_of_queries_however_big_it_grows(
    maths, member, django_assert_num_queries
):
    _grow(maths, strands=1, units_per_strand=1)
    curriculum.curriculum_map(member, maths)  # warm the person's role and membership caches
    with CaptureQueriesContext(connection) as small:
        curriculum.curriculum_map(member, maths)
    _grow(maths, strands=6, units_per_strand=12)
    with django_assert_num_queries(len(small.captured_queries)):
        grid = curriculum.curriculum_map(member, maths)
    assert grid.unit_count == 73
    assert len(small.captured_queries) <= 4

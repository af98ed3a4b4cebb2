"""The curriculum map: each network's strands and units placed by year group, from EYFS to
KS5, so the curriculum reads as one continuum rather than stopping at each key stage.

Writes (strands, units, the resources a unit links) are for those who manage the network;
reads are for everyone who may view it, and count only the resources the reader may see.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch, QuerySet

from networks.curriculum import (
    KEY_STAGE_OF_YEAR,
    PHASE_OF_KEY_STAGE,
    KeyStage,
    YearGroup,
)
from networks.models import Network
from networks.permissions import can_manage_network, can_view_network
from resources.models import Resource, Strand, Unit
from resources.selectors import published_resources_visible_to

YEAR_ORDER: dict[str, int] = {year: index for index, year in enumerate(YearGroup.values)}

STRAND_NAME_MAX = Strand._meta.get_field("name").max_length
UNIT_TITLE_MAX = Unit._meta.get_field("title").max_length
UNIT_SUMMARY_MAX = Unit._meta.get_field("summary").max_length


# Permissions ---------------------------------------------------------------------------


def _require_manager(actor, network: Network) -> None:
    if not can_manage_network(actor, network):
        raise PermissionDenied("Only the network's leads and the central team can edit its map.")


def _require_reader(person, network: Network) -> None:
    if not can_view_network(person, network):
        raise PermissionDenied("This network's curriculum map is for its members only.")


# Validation ----------------------------------------------------------------------------


def _clean_text(value: str | None) -> str:
    return " ".join((value or "").split())


def _clean_strand_name(name: str) -> str:
    cleaned = _clean_text(name)
    if not cleaned:
        raise ValidationError({"name": "Give the strand a name, for example Fractions."})
    if len(cleaned) > STRAND_NAME_MAX:
        raise ValidationError(
            {"name": f"Keep the strand's name to {STRAND_NAME_MAX} characters or fewer."}
        )
    return cleaned


def _clean_unit(*, year_group: str, title: str, summary: str) -> tuple[str, str, str]:
    errors: dict[str, str] = {}
    if year_group not in YEAR_ORDER:
        errors["year_group"] = "Choose a year group from Nursery to Year 13."
    cleaned_title = _clean_text(title)
    if not cleaned_title:
        errors["title"] = "Give the unit a title, for example Fractions of amounts."
    elif len(cleaned_title) > UNIT_TITLE_MAX:
        errors["title"] = f"Keep the unit's title to {UNIT_TITLE_MAX} characters or fewer."
    cleaned_summary = (summary or "").strip()
    if len(cleaned_summary) > UNIT_SUMMARY_MAX:
        errors["summary"] = f"Keep the summary to {UNIT_SUMMARY_MAX} characters or fewer."
    if errors:
        raise ValidationError(errors)
    return year_group, cleaned_title, cleaned_summary


def _name_taken(network: Network, name: str, *, exclude_pk: int | None = None) -> bool:
    strands = Strand.objects.filter(network=network, name__iexact=name)
    if exclude_pk is not None:
        strands = strands.exclude(pk=exclude_pk)
    return strands.exists()


def _duplicate_name_error(name: str) -> ValidationError:
    return ValidationError({"name": f"This map already has a strand called {name}."})


# Services: strands ---------------------------------------------------------------------


def strand_create(*, actor, network: Network, name: str) -> Strand:
    _require_manager(actor, network)
    name = _clean_strand_name(name)
    if _name_taken(network, name):
        raise _duplicate_name_error(name)
    try:
        with transaction.atomic():
            last = Strand.objects.filter(network=network).aggregate(last=Max("position"))["last"]
            return Strand.objects.create(
                network=network, name=name, position=0 if last is None else last + 1
            )
    except IntegrityError as clash:  # two leads adding the same name at once
        raise _duplicate_name_error(name) from clash


def strand_rename(*, actor, strand: Strand, name: str) -> Strand:
    _require_manager(actor, strand.network)
    name = _clean_strand_name(name)
    if _name_taken(strand.network, name, exclude_pk=strand.pk):
        raise _duplicate_name_error(name)
    strand.name = name
    try:
        with transaction.atomic():
            strand.save(update_fields=["name"])
    except IntegrityError as clash:
        raise _duplicate_name_error(name) from clash
    return strand


def strand_move(*, actor, strand: Strand, direction: str) -> Strand:
    """Move a strand one row up or down the map."""
    _require_manager(actor, strand.network)
    if direction not in ("up", "down"):
        raise ValidationError("A strand can only move up or down.")
    with transaction.atomic():
        strands = list(
            Strand.objects.select_for_update()
            .filter(network_id=strand.network_id)
            .order_by("position", "name", "pk")
        )
        index = next(i for i, each in enumerate(strands) if each.pk == strand.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(strands):
            strands[index], strands[other] = strands[other], strands[index]
        # Renumber every row, so equal positions left by older data never block a move.
        for position, each in enumerate(strands):
            if each.position != position:
                each.position = position
                each.save(update_fields=["position"])
            if each.pk == strand.pk:
                strand.position = position
    return strand


def strand_delete(*, actor, strand: Strand) -> None:
    """Remove a strand and its units; the resources themselves stay in the network."""
    _require_manager(actor, strand.network)
    with transaction.atomic():
        strand.delete()


# Services: units -----------------------------------------------------------------------


def _next_position(strand: Strand, year_group: str, *, exclude_pk: int | None = None) -> int:
    units = Unit.objects.filter(strand=strand, year_group=year_group)
    if exclude_pk is not None:
        units = units.exclude(pk=exclude_pk)
    last = units.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def unit_create(*, actor, strand: Strand, year_group: str, title: str, summary: str = "") -> Unit:
    _require_manager(actor, strand.network)
    year_group, title, summary = _clean_unit(year_group=year_group, title=title, summary=summary)
    with transaction.atomic():
        return Unit.objects.create(
            strand=strand,
            year_group=year_group,
            title=title,
            summary=summary,
            position=_next_position(strand, year_group),
        )


def unit_update(
    *,
    actor,
    unit: Unit,
    title: str,
    summary: str,
    year_group: str,
    strand: Strand | None = None,
) -> Unit:
    """Change a unit's wording and, optionally, where it sits on the map."""
    network = unit.strand.network
    _require_manager(actor, network)
    year_group, title, summary = _clean_unit(year_group=year_group, title=title, summary=summary)
    target = strand or unit.strand
    if target.network_id != network.pk:
        raise ValidationError({"strand": "Choose one of this network's strands."})
    with transaction.atomic():
        if target.pk != unit.strand_id or year_group != unit.year_group:
            unit.position = _next_position(target, year_group, exclude_pk=unit.pk)
        unit.strand = target
        unit.year_group = year_group
        unit.title = title
        unit.summary = summary
        unit.save(update_fields=["strand", "year_group", "title", "summary", "position"])
    return unit


def unit_move(*, actor, unit: Unit, year_group: str, strand: Strand | None = None) -> Unit:
    """Place a unit at another year group (and, optionally, in another strand)."""
    return unit_update(
        actor=actor,
        unit=unit,
        title=unit.title,
        summary=unit.summary,
        year_group=year_group,
        strand=strand,
    )


def unit_delete(*, actor, unit: Unit) -> None:
    _require_manager(actor, unit.strand.network)
    with transaction.atomic():
        unit.delete()


def attachable_resources(person, network: Network) -> QuerySet[Resource]:
    """What may be placed on a network's map: its published resources the person may see."""
    return published_resources_visible_to(person).filter(network=network)


def unit_resources_set(*, actor, unit: Unit, resources: Iterable[Resource | int]) -> Unit:
    """Link exactly these resources to the unit: all of them, or (if any cannot be linked)
    none, with a message naming the reason."""
    network = unit.strand.network
    _require_manager(actor, network)
    wanted = {each.pk if isinstance(each, Resource) else int(each) for each in resources}
    allowed = set(
        attachable_resources(actor, network).filter(pk__in=wanted).values_list("pk", flat=True)
    )
    if refused := wanted - allowed:
        titles = list(
            Resource.objects.filter(pk__in=refused)
            .order_by("title")
            .values_list("title", flat=True)
        )
        named = f": {', '.join(titles)}" if titles else ""
        raise ValidationError(
            {
                "resources": (
                    "Only published resources shared in the "
                    f"{network.name} network can be placed on its map{named}."
                )
            }
        )
    with transaction.atomic():
        unit.resources.set(allowed)
    return unit


# Selectors -----------------------------------------------------------------------------


def year_label(year: str) -> str:
    return YearGroup(year).label


def _years_covered(network: Network) -> list[str]:
    phases = set(network.phases or [])
    return [year for year, ks in KEY_STAGE_OF_YEAR.items() if PHASE_OF_KEY_STAGE[ks] in phases]


@dataclass
class MapColumn:
    year: str
    label: str
    key_stage: str


@dataclass
class KeyStageHeading:
    key_stage: str
    label: str
    span: int


@dataclass
class MapUnit:
    unit: Unit
    resource_count: int

    @property
    def is_gap(self) -> bool:
        return self.resource_count == 0

    @property
    def gap_message(self) -> str:
        return f"No resources yet for {year_label(self.unit.year_group)} {self.unit.title}"


@dataclass
class MapCell:
    strand: Strand
    column: MapColumn
    units: list[MapUnit] = field(default_factory=list)
    # Empty, but between the strand's first and last units: the continuum breaks here.
    is_gap: bool = False

    @property
    def gap_message(self) -> str:
        return f"No unit yet for {self.column.label} {self.strand.name}"


@dataclass
class MapRow:
    strand: Strand
    cells: list[MapCell]
    hidden_unit_count: int = 0


@dataclass
class CurriculumMap:
    network: Network
    columns: list[MapColumn]
    key_stages: list[KeyStageHeading]
    rows: list[MapRow]
    showing_all_years: bool
    # True when the network's phases leave some year groups out, so the toggle means something.
    can_show_all_years: bool
    unit_count: int
    gap_count: int


def _columns(years: list[str]) -> tuple[list[MapColumn], list[KeyStageHeading]]:
    columns = [MapColumn(year, year_label(year), KEY_STAGE_OF_YEAR[year]) for year in years]
    headings: list[KeyStageHeading] = []
    for column in columns:
        if headings and headings[-1].key_stage == column.key_stage:
            headings[-1].span += 1
        else:
            headings.append(KeyStageHeading(column.key_stage, KeyStage(column.key_stage).label, 1))
    return columns, headings


def _visible_counts(person, unit_ids: list[int]) -> Counter:
    links = Unit.resources.through.objects.filter(
        unit_id__in=unit_ids,
        resource__in=published_resources_visible_to(person).values("pk"),
    )
    return Counter(links.values_list("unit_id", flat=True))


def _in_year_order(units: Iterable[Unit]) -> list[Unit]:
    return sorted(units, key=lambda unit: (YEAR_ORDER[unit.year_group], unit.position, unit.pk))


def curriculum_map(person, network: Network, *, all_years: bool = False) -> CurriculumMap:
    """The network's map as a grid: a row per strand, a column per year group (those the
    network's phases cover, or every one from Nursery to Year 13), each cell its units with
    the number of resources the reader may see. Four queries whatever the map's size."""
    _require_reader(person, network)
    strands = list(
        Strand.objects.filter(network=network)
        .order_by("position", "name", "pk")
        .prefetch_related(Prefetch("units", queryset=Unit.objects.order_by("position", "pk")))
    )
    units = [unit for strand in strands for unit in strand.units.all()]
    counts = _visible_counts(person, [unit.pk for unit in units]) if units else Counter()

    covered = _years_covered(network)
    can_show_all = bool(covered) and len(covered) < len(YEAR_ORDER)
    if all_years or not covered:
        years = list(YearGroup.values)
    else:
        # A unit placed outside the network's phases still shows, with the years between.
        used = set(covered) | {unit.year_group for unit in units}
        indexes = [YEAR_ORDER[year] for year in used]
        years = YearGroup.values[min(indexes) : max(indexes) + 1]
    columns, headings = _columns(years)

    rows: list[MapRow] = []
    gap_count = 0
    for strand in strands:
        ordered = _in_year_order(strand.units.all())
        by_year: dict[str, list[MapUnit]] = {}
        for unit in ordered:
            by_year.setdefault(unit.year_group, []).append(MapUnit(unit, counts[unit.pk]))
        first = YEAR_ORDER[ordered[0].year_group] if ordered else None
        last = YEAR_ORDER[ordered[-1].year_group] if ordered else None
        cells = []
        for column in columns:
            placed = by_year.get(column.year, [])
            between = first is not None and first < YEAR_ORDER[column.year] < last
            cell = MapCell(strand, column, placed, is_gap=not placed and between)
            gap_count += cell.is_gap + sum(each.is_gap for each in placed)
            cells.append(cell)
        rows.append(MapRow(strand, cells))
    return CurriculumMap(
        network=network,
        columns=columns,
        key_stages=headings,
        rows=rows,
        showing_all_years=len(years) == len(YEAR_ORDER),
        can_show_all_years=can_show_all,
        unit_count=len(units),
        gap_count=gap_count,
    )


def map_units_for_export(person, network: Network) -> list[Unit]:
    """Every unit of the map in reading order, each with `visible_resources`: the published
    resources the reader may see. Three queries whatever the map's size."""
    _require_reader(person, network)
    visible = published_resources_visible_to(person).order_by("title", "pk")
    units = (
        Unit.objects.filter(strand__network=network)
        .select_related("strand")
        .prefetch_related(Prefetch("resources", queryset=visible, to_attr="visible_resources"))
    )
    return sorted(
        units,
        key=lambda unit: (
            unit.strand.position,
            unit.strand.name,
            unit.strand_id,
            YEAR_ORDER[unit.year_group],
            unit.position,
            unit.pk,
        ),
    )


def unit_for_reader(person, pk: int) -> Unit:
    """A unit with its strand and network, if the person may read the network's map."""
    unit = Unit.objects.select_related("strand__network").get(pk=pk)
    _require_reader(person, unit.strand.network)
    return unit


def unit_resources_for(person, unit: Unit) -> list[Resource]:
    return list(
        published_resources_visible_to(person)
        .filter(units=unit)
        .select_related("author", "school")
        .order_by("title", "pk")
    )


@dataclass
class Neighbours:
    previous: Unit | None
    next: Unit | None


def unit_neighbours(unit: Unit) -> Neighbours:
    """The units before and after this one in its strand, in year order, so a Year 7
    teacher is one click from what Year 6 taught."""
    ordered = _in_year_order(Unit.objects.filter(strand_id=unit.strand_id))
    index = next(i for i, each in enumerate(ordered) if each.pk == unit.pk)
    return Neighbours(
        previous=ordered[index - 1] if index > 0 else None,
        next=ordered[index + 1] if index + 1 < len(ordered) else None,
    )


def strands_of(network: Network) -> QuerySet[Strand]:
    return Strand.objects.filter(network=network).order_by("position", "name", "pk")

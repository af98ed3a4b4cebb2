"""Pages of the curriculum map: the grid, a unit with its neighbours, the CSV export and the
leads' editing pages. Permissions are enforced in resources.curriculum_map."""

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from networks.curriculum import KEY_STAGE_OF_YEAR, KeyStage, YearGroup
from networks.models import Network
from networks.permissions import can_manage_network
from resources import curriculum_map as curriculum
from resources.map_forms import StrandForm, UnitForm, UnitResourcesForm, YearFilterForm
from resources.models import Resource, Strand, Unit

# Spreadsheet programs run cells that start with these as formulas.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _network(slug: str) -> Network:
    return get_object_or_404(Network, slug=slug)


def _unit(request: HttpRequest, pk: int) -> Unit:
    try:
        return curriculum.unit_for_reader(request.user, pk)
    except Unit.DoesNotExist as missing:
        raise Http404("There is no unit with that number.") from missing


def _require_manager(request: HttpRequest, network: Network) -> None:
    if not can_manage_network(request.user, network):
        raise PermissionDenied("Only the network's leads and the central team can edit its map.")


def _safe_url(name: str, **kwargs) -> str:
    # The network and resource pages belong to other parts of Staffroom; link to them when
    # they are there.
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def _resource_url(resource: Resource) -> str:
    return _safe_url("resources:detail", pk=resource.pk, slug=resource.slug)


def _map_url(network: Network) -> str:
    return reverse("resources:map", kwargs={"slug": network.slug})


def _network_context(network: Network) -> dict:
    return {
        "network": network,
        "network_url": _safe_url("networks:detail", slug=network.slug),
        "map_url": _map_url(network),
    }


@require_GET
def map_page(request: HttpRequest, slug: str) -> HttpResponse:
    network = _network(slug)
    all_years = request.GET.get("years") == "all"
    grid = curriculum.curriculum_map(request.user, network, all_years=all_years)
    return render(
        request,
        "resources/map/map.html",
        {
            **_network_context(network),
            "grid": grid,
            "can_edit": can_manage_network(request.user, network),
        },
    )


def _csv_cell(value: object) -> str:
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@require_GET
def map_csv(request: HttpRequest, slug: str) -> HttpResponse:
    network = _network(slug)
    units = curriculum.map_units_for_export(request.user, network)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{network.slug}-curriculum-map.csv"'
    response.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            "Strand",
            "Key stage",
            "Year group",
            "Unit",
            "Summary",
            "Resources",
            "Resource titles",
            "Resource links",
        ]
    )
    for unit in units:
        resources = unit.visible_resources
        links = [_resource_url(resource) for resource in resources]
        writer.writerow(
            _csv_cell(value)
            for value in [
                unit.strand.name,
                KeyStage(KEY_STAGE_OF_YEAR[unit.year_group]).label,
                YearGroup(unit.year_group).label,
                unit.title,
                unit.summary,
                len(resources),
                "; ".join(resource.title for resource in resources),
                " ".join(request.build_absolute_uri(link) for link in links if link),
            ]
        )
    return response


@require_GET
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit(request, pk)
    network = unit.strand.network
    resources = curriculum.unit_resources_for(request.user, unit)
    for resource in resources:
        resource.url = _resource_url(resource)
    return render(
        request,
        "resources/map/unit_detail.html",
        {
            **_network_context(network),
            "unit": unit,
            "key_stage": KeyStage(KEY_STAGE_OF_YEAR[unit.year_group]).label,
            "resources": resources,
            "neighbours": curriculum.unit_neighbours(unit),
            "can_edit": can_manage_network(request.user, network),
        },
    )


# Editing, for leads and the central team ----------------------------------------------


def strand_add(request: HttpRequest, slug: str) -> HttpResponse:
    network = _network(slug)
    _require_manager(request, network)
    form = StrandForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            strand = curriculum.strand_create(
                actor=request.user, network=network, name=form.cleaned_data["name"]
            )
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            messages.success(request, f"The strand {strand.name} has been added to the map.")
            return redirect(_map_url(network))
    return render(
        request,
        "resources/map/strand_form.html",
        {**_network_context(network), "form": form, "strand": None},
        status=400 if form.errors else 200,
    )


def _strand(pk: int) -> Strand:
    return get_object_or_404(Strand.objects.select_related("network"), pk=pk)


def strand_edit(request: HttpRequest, pk: int) -> HttpResponse:
    strand = _strand(pk)
    network = strand.network
    _require_manager(request, network)
    form = StrandForm(
        request.POST if request.method == "POST" else None, initial={"name": strand.name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            curriculum.strand_rename(
                actor=request.user, strand=strand, name=form.cleaned_data["name"]
            )
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            messages.success(request, f"The strand is now called {strand.name}.")
            return redirect(_map_url(network))
    return render(
        request,
        "resources/map/strand_form.html",
        {**_network_context(network), "form": form, "strand": strand},
        status=400 if form.errors else 200,
    )


@require_POST
def strand_move(request: HttpRequest, pk: int) -> HttpResponse:
    strand = _strand(pk)
    _require_manager(request, strand.network)
    direction = request.POST.get("direction", "")
    try:
        curriculum.strand_move(actor=request.user, strand=strand, direction=direction)
    except ValidationError:
        messages.error(request, "A strand can only move up or down.")
    else:
        messages.success(request, f"The strand {strand.name} has moved {direction}.")
    return redirect(_map_url(strand.network))


def strand_delete(request: HttpRequest, pk: int) -> HttpResponse:
    strand = _strand(pk)
    network = strand.network
    _require_manager(request, network)
    if request.method == "POST":
        name = strand.name
        curriculum.strand_delete(actor=request.user, strand=strand)
        messages.success(
            request,
            f"The strand {name} and its units have been removed. Its resources are still "
            "in the network.",
        )
        return redirect(_map_url(network))
    return render(
        request,
        "resources/map/strand_delete.html",
        {**_network_context(network), "strand": strand, "unit_count": strand.units.count()},
    )


def unit_add(request: HttpRequest, slug: str) -> HttpResponse:
    network = _network(slug)
    _require_manager(request, network)
    strands = curriculum.strands_of(network)
    if not strands.exists():
        messages.error(request, "Add a strand first: every unit belongs to one.")
        return redirect("resources:strand_add", slug=network.slug)
    initial = {
        "strand": request.GET.get("strand") or None,
        "year_group": request.GET.get("year") or None,
    }
    form = UnitForm(
        request.POST if request.method == "POST" else None, strands=strands, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = curriculum.unit_create(
                actor=request.user,
                strand=data["strand"],
                year_group=data["year_group"],
                title=data["title"],
                summary=data["summary"],
            )
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            messages.success(
                request,
                f"The unit {unit.title} has been added to {unit.get_year_group_display()} "
                f"{unit.strand.name}. Now choose its resources.",
            )
            return redirect("resources:unit_resources", pk=unit.pk)
    return render(
        request,
        "resources/map/unit_form.html",
        {**_network_context(network), "form": form, "unit": None},
        status=400 if form.errors else 200,
    )


def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit(request, pk)
    network = unit.strand.network
    _require_manager(request, network)
    form = UnitForm(
        request.POST if request.method == "POST" else None,
        strands=curriculum.strands_of(network),
        initial={
            "strand": unit.strand_id,
            "year_group": unit.year_group,
            "title": unit.title,
            "summary": unit.summary,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            curriculum.unit_update(
                actor=request.user,
                unit=unit,
                strand=data["strand"],
                year_group=data["year_group"],
                title=data["title"],
                summary=data["summary"],
            )
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            messages.success(request, f"The unit {unit.title} has been saved.")
            return redirect("resources:unit_detail", pk=unit.pk)
    return render(
        request,
        "resources/map/unit_form.html",
        {**_network_context(network), "form": form, "unit": unit},
        status=400 if form.errors else 200,
    )


def unit_delete(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit(request, pk)
    network = unit.strand.network
    _require_manager(request, network)
    if request.method == "POST":
        title = unit.title
        curriculum.unit_delete(actor=request.user, unit=unit)
        messages.success(
            request,
            f"The unit {title} has been removed from the map. Its resources are still in "
            "the network.",
        )
        return redirect(_map_url(network))
    return render(
        request, "resources/map/unit_delete.html", {**_network_context(network), "unit": unit}
    )


def unit_resources(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit(request, pk)
    network = unit.strand.network
    _require_manager(request, network)
    attachable = curriculum.attachable_resources(request.user, network)
    filter_form = YearFilterForm(request.GET or {"year": unit.year_group})
    year = filter_form.cleaned_data["year"] if filter_form.is_valid() else unit.year_group
    form = UnitResourcesForm(
        request.POST if request.method == "POST" else None,
        attachable=attachable,
        unit=unit,
        year=year,
    )
    if request.method == "POST" and form.is_valid():
        try:
            curriculum.unit_resources_set(
                actor=request.user, unit=unit, resources=form.cleaned_data["resources"]
            )
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            count = len(form.cleaned_data["resources"])
            linked = "1 resource" if count == 1 else f"{count} resources"
            messages.success(request, f"{unit.title} now links {linked}.")
            return redirect("resources:unit_detail", pk=unit.pk)
    return render(
        request,
        "resources/map/unit_resources.html",
        {
            **_network_context(network),
            "unit": unit,
            "form": form,
            "filter_form": filter_form,
            "year": year,
        },
        status=400 if form.errors else 200,
    )

from django import forms
from django.db.models import F, Q, QuerySet

from config.forms import ModelMultipleChoiceField
from networks.curriculum import YEAR_BIT, YearGroup
from resources.models import Resource, Strand, Unit


class StrandForm(forms.Form):
    name = forms.CharField(
        label="Strand name",
        max_length=Strand._meta.get_field("name").max_length,
        help_text="A thread that runs through the years, for example Number or Fractions.",
        error_messages={"required": "Give the strand a name, for example Fractions."},
    )


class UnitForm(forms.Form):
    strand = forms.ModelChoiceField(
        queryset=Strand.objects.none(),
        empty_label=None,
        error_messages={
            "required": "Choose the strand the unit belongs to.",
            "invalid_choice": "Choose one of this network's strands.",
        },
    )
    year_group = forms.ChoiceField(
        choices=YearGroup.choices,
        error_messages={
            "required": "Choose the year group the unit is taught in.",
            "invalid_choice": "Choose a year group from Nursery to Year 13.",
        },
    )
    title = forms.CharField(
        label="Unit title",
        max_length=Unit._meta.get_field("title").max_length,
        error_messages={"required": "Give the unit a title, for example Fractions of amounts."},
    )
    summary = forms.CharField(
        required=False,
        max_length=Unit._meta.get_field("summary").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What pupils learn, in a sentence or two.",
    )

    def __init__(self, *args, strands: QuerySet[Strand], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["strand"].queryset = strands


class UnitResourcesForm(forms.Form):
    """A checklist of the network's published resources, narrowed to one year group (the
    unit's by default) without a search box; those already linked always stay listed so that
    saving never drops them by accident."""

    resources = ModelMultipleChoiceField(
        queryset=Resource.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Resources for this unit",
        error_messages={
            "invalid_choice": (
                "One of the chosen resources cannot be placed on this map: only published "
                "resources shared in this network can be."
            ),
            "invalid_pk_value": "Choose resources from the list.",
        },
    )

    def __init__(
        self,
        *args,
        attachable: QuerySet[Resource],
        unit: Unit,
        year: str = "",
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = attachable.order_by("title", "pk")
        if not self.is_bound and year in YEAR_BIT:
            choices = _narrowed(choices, year, unit.resources.values("pk"))
        self.fields["resources"].queryset = choices
        self.fields["resources"].label_from_instance = _label
        if not self.is_bound:
            self.initial.setdefault("resources", list(unit.resources.values_list("pk", flat=True)))


def _narrowed(resources: QuerySet[Resource], year: str, linked: QuerySet) -> QuerySet[Resource]:
    # year_bits holds the resource's year groups as bits: one comparison finds the year.
    return resources.annotate(in_year=F("year_bits").bitand(YEAR_BIT[year])).filter(
        Q(in_year__gt=0) | Q(pk__in=linked)
    )


def _label(resource: Resource) -> str:
    years = ", ".join(resource.year_group_labels)
    return f"{resource.title} ({resource.get_resource_type_display()}, {years})"


class YearFilterForm(forms.Form):
    year = forms.ChoiceField(
        label="Show resources for",
        choices=[("", "Every year group"), *YearGroup.choices],
        required=False,
    )

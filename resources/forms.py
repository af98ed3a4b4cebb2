from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import mark_safe

from cms.models import PrinciplePage
from config.forms import ModelMultipleChoiceField
from networks.curriculum import KeyStage, Phase, YearGroup
from networks.models import Network, Subject
from people.models import School
from resources.models import Resource

SORT_CHOICES = [
    ("newest", "Newest first"),
    ("downloads", "Most downloaded"),
    ("title", "Title A to Z"),
]


class BrowseForm(forms.Form):
    """The browse page's filters, read from the query string."""

    phase = forms.MultipleChoiceField(
        choices=Phase.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    key_stage = forms.MultipleChoiceField(
        label="Key stage",
        choices=KeyStage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    year = forms.MultipleChoiceField(
        label="Year group",
        choices=YearGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    subject = ModelMultipleChoiceField(
        queryset=Subject.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    type = forms.MultipleChoiceField(
        label="Type",
        choices=Resource.Type.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    school = ModelMultipleChoiceField(
        queryset=School.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    network = ModelMultipleChoiceField(
        queryset=Network.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    endorsed = forms.BooleanField(label="Recommended by a network only", required=False)
    sort = forms.ChoiceField(label="Sort by", choices=SORT_CHOICES, required=False)

    def checkbox_groups(self) -> list[dict]:
        """The filters' options as plain data, for a template loop: rendering hundreds of
        checkboxes through Django's widget templates costs far more than the search itself."""
        groups = []
        for name in ["phase", "key_stage", "year", "subject", "type", "network", "school"]:
            field = self.fields[name]
            chosen = set(self.data.getlist(name)) if hasattr(self.data, "getlist") else set()
            if isinstance(field, forms.ModelMultipleChoiceField):
                options = field.queryset.values_list(field.to_field_name, "name")
            else:
                options = field.choices
            # Plain escaping and joining: format_html per checkbox was a third of the page's time.
            rows = mark_safe(  # nosec B308 B703: values and labels escaped in it
                "\n".join(
                    f'<div class="checkbox"><input type="checkbox" name="{name}" '
                    f'value="{escape(value)}" id="filter-{name}-{index}"'
                    f"{' checked' if str(value) in chosen else ''}> "
                    f'<label for="filter-{name}-{index}">{escape(label)}</label></div>'
                    for index, (value, label) in enumerate(options, start=1)
                )
            )
            legend = field.label or name.replace("_", " ").capitalize()
            groups.append({"name": name, "legend": legend, "options": rows})
        return groups

    def filters(self) -> dict:
        """The selector's keyword arguments for whatever was valid."""
        # Keep whichever filters are valid, so one bad value does not undo the rest.
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "phases": data.get("phase") or [],
            "key_stages": data.get("key_stage") or [],
            "year_groups": data.get("year") or [],
            "subjects": [subject.pk for subject in data.get("subject") or []],
            "types": data.get("type") or [],
            "schools": [school.pk for school in data.get("school") or []],
            "networks": [network.pk for network in data.get("network") or []],
            "endorsed_only": bool(data.get("endorsed")),
            "sort": data.get("sort") or "newest",
        }


class ResourceForm(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One or two sentences shown when people browse.",
    )
    network = forms.ModelChoiceField(
        queryset=Network.objects.none(),
        to_field_name="slug",
        empty_label="Choose a network",
        help_text="Where to share it. You can share in the networks you belong to.",
    )
    subject = forms.ModelChoiceField(
        queryset=Subject.objects.all(),
        required=False,
        empty_label="The network's subject",
    )
    key_stages = forms.MultipleChoiceField(
        label="Key stages",
        choices=KeyStage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Optional. Choose a key stage on its own to cover all of its years.",
    )
    year_groups = forms.MultipleChoiceField(
        label="Year groups",
        choices=YearGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    resource_type = forms.ChoiceField(label="Type of resource", choices=Resource.Type.choices)
    # A plain text field, so a bad address gets the service's message that names the reason.
    link_url = forms.CharField(
        label="Link",
        max_length=500,
        required=False,
        help_text="For a link resource, for example an Oak National Academy lesson.",
    )
    notes = forms.CharField(
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="How to use it. You can use Markdown: **bold**, lists, links.",
    )
    send_notes = forms.CharField(
        label="SEND and inclusion notes",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    tags = forms.CharField(
        max_length=500,
        required=False,
        help_text="Separate tags with commas, for example: fractions, reasoning.",
    )
    principles = ModelMultipleChoiceField(
        label="Trust principles it embodies",
        queryset=PrinciplePage.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    shared_focus = forms.BooleanField(label="Supports the shared focus", required=False)
    scope = forms.ChoiceField(
        label="Who can see it", choices=Resource.Scope.choices, initial=Resource.Scope.TRUST
    )
    licence = forms.ChoiceField(choices=Resource.Licence.choices, initial=Resource.Licence.TRUST)

    def __init__(self, *args, networks, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["network"].queryset = networks
        self.fields["principles"].queryset = PrinciplePage.objects.live().order_by("title")

    def clean_tags(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's refusal beside the fields it names, the rest at the top."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)

    @staticmethod
    def initial_for(resource: Resource) -> dict:
        return {
            "title": resource.title,
            "summary": resource.summary,
            "network": resource.network,
            "subject": resource.subject,
            "year_groups": resource.year_groups,
            "resource_type": resource.resource_type,
            "link_url": resource.link_url,
            "notes": resource.notes,
            "send_notes": resource.send_notes,
            "tags": ", ".join(sorted(resource.tags.names())),
            "principles": list(resource.principles.all()),
            "shared_focus": resource.shared_focus,
            "scope": resource.scope,
            "licence": resource.licence,
        }


class CollectionForm(forms.Form):
    name = forms.CharField(label="Name of the new collection", max_length=120)

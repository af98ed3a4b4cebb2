from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from networks.curriculum import Phase
from networks.models import Membership, Network, Subject
from people.models import Person


class NetworkFilterForm(forms.Form):
    phase = forms.ChoiceField(
        choices=[("", "Any phase"), *Phase.choices], required=False, label="Phase"
    )
    subject = forms.ModelChoiceField(
        queryset=Subject.objects.order_by("name"),
        required=False,
        empty_label="Any subject",
        label="Subject",
    )


class JoinRequestForm(forms.Form):
    message = forms.CharField(
        label="Message to the leads (optional)",
        help_text="For example what you teach and why you would like to join.",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "approve"


class LeaveForm(forms.Form):
    """Only the last lead sees the successor field; everyone else leaves with one click."""

    successor = forms.ModelChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        label="New lead",
        empty_label="Choose a member",
        help_text="You are the only lead, so choose a member to lead the network after you.",
    )

    def __init__(self, *args, network: Network, person: Person, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["successor"].queryset = (
            Membership.objects.filter(network=network, person__is_active=True)
            .exclude(person=person)
            .select_related("person")
            .order_by("person__last_name", "person__first_name")
        )
        self.fields["successor"].label_from_instance = lambda m: m.person.name


class MemberAddForm(forms.Form):
    email = forms.EmailField(
        label="Email address of the colleague to add",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    as_lead = forms.BooleanField(label="Make them a lead", required=False)

    def clean_email(self) -> Person:
        email = self.cleaned_data["email"]
        person = Person.objects.filter(email__iexact=email, is_active=True).first()
        if person is None:
            raise forms.ValidationError(
                "No member of staff has that email address. Check it in the staff directory."
            )
        return person


class NetworkAdminForm(WagtailAdminModelForm):
    """Phases as tick boxes rather than raw JSON."""

    phases = forms.MultipleChoiceField(
        choices=Phase.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The phases the network covers.",
    )

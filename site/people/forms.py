from django import forms
from django.contrib.auth.forms import AuthenticationForm

from networks.curriculum import Phase
from networks.models import Subject
from people.models import Person, School
from people.roles import Role


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    error_messages = {
        "invalid_login": "That email address and password do not match. Check them and try again.",
        "inactive": "This account has been switched off. Ask your trust admin for help.",
    }


class ProfileForm(forms.ModelForm):
    phases = forms.MultipleChoiceField(
        choices=Phase.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The phases you teach or support.",
    )
    subjects_taught = forms.ModelMultipleChoiceField(
        queryset=Subject.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Person
        fields = ["display_name", "job_title", "school", "subjects_taught", "phases", "about"]
        widgets = {"about": forms.Textarea(attrs={"rows": 5, "maxlength": 1000})}


class DirectoryFilterForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, required=False)
    school = forms.ModelChoiceField(School.objects.all(), required=False, empty_label="Any school")
    subject = forms.ModelChoiceField(
        Subject.objects.all(), required=False, empty_label="Any subject"
    )
    role = forms.ChoiceField(
        choices=[("", "Any role"), *((role.value, role.value) for role in Role)],
        required=False,
    )

import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.db.models import QuerySet

from config.forms import ModelMultipleChoiceField
from networks.curriculum import Phase
from networks.models import Subject
from people.backends import may_use_password
from people.models import Person, School
from people.roles import Role


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )

    error_messages = {
        "invalid_login": "That email address and password do not match. Check them and try again.",
        "inactive": "This account has been switched off. Ask your trust admin for help.",
        "local_sign_in_off": "Sign in with your Microsoft or Google account above: "
        "only named trust admins may sign in with a password.",
    }

    def clean(self) -> dict:
        # Checked before the password, so a refusal says nothing about whether it was right.
        email = self.cleaned_data.get("username") or ""
        if email and not may_use_password(email):
            raise forms.ValidationError(
                self.error_messages["local_sign_in_off"], code="local_sign_in_off"
            )
        return super().clean()


class TwoStepCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=20,
        help_text="6 digits. A new code appears every 30 seconds.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
        error_messages={"required": "Enter the 6-digit code from your authenticator app."},
    )

    def clean_code(self) -> str:
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(
                "Enter the 6-digit code from your authenticator app, using numbers only."
            )
        return code


class HomeSchoolForm(forms.Form):
    school = forms.ModelChoiceField(
        School.objects.order_by("name"),
        label="Your home school",
        required=False,
        empty_label="No school (central team)",
        help_text="The school you work at most. You can change it later in your profile.",
    )


class StaffPasswordResetForm(PasswordResetForm):
    """Also sends the link to people with no password yet: that is how staff who were
    imported choose their first one."""

    def get_users(self, email: str) -> QuerySet[Person]:
        return Person.objects.filter(email__iexact=email, is_active=True)


# Names are shown all over Staffroom; markup and invisible control characters in them only
# ever confuse or mislead colleagues.
plain_name = RegexValidator(
    re.compile(r"^[^<>\x00-\x1f\x7f]*$"),
    "Use letters, numbers, spaces and everyday punctuation only, not < or >.",
)


class ProfileForm(forms.ModelForm):
    phases = forms.MultipleChoiceField(
        choices=Phase.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The phases you teach or support.",
    )
    subjects_taught = ModelMultipleChoiceField(
        queryset=Subject.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Person
        fields = ["display_name", "job_title", "school", "subjects_taught", "phases", "about"]
        labels = {"school": "Home school", "subjects_taught": "Subjects you teach or support"}
        help_texts = {
            "about": "Up to 1,000 characters. Shown as plain text.",
            "job_title": "For example ‘Year 4 teacher’ or ‘Head of science’.",
        }
        widgets = {
            "display_name": forms.TextInput(attrs={"maxlength": 100, "autocomplete": "nickname"}),
            "job_title": forms.TextInput(
                attrs={"maxlength": 120, "autocomplete": "organization-title"}
            ),
            "about": forms.Textarea(attrs={"rows": 5, "maxlength": 1000}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"].validators.append(plain_name)
        self.fields["job_title"].validators.append(plain_name)
        self.fields["school"].empty_label = "No school (central team)"
        self.fields["school"].queryset = School.objects.order_by("name")


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


STAFF_IMPORT_MAX_BYTES = 5 * 1024 * 1024


class StaffImportForm(forms.Form):
    csv_file = forms.FileField(
        label="Staff list (CSV)",
        help_text="A CSV file of up to 5 MB with the columns of the example template.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    dry_run = forms.BooleanField(
        label="Only check the file: do not import anything yet",
        required=False,
        initial=True,
    )

    def clean_csv_file(self) -> UploadedFile:
        upload = self.cleaned_data["csv_file"]
        if upload.size > STAFF_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                "The file is larger than 5 MB. Split it into smaller files and import each."
            )
        return upload


class LeaverErasureForm(forms.Form):
    confirmation = forms.CharField(
        label="Type their email address or full name to confirm",
        max_length=254,
        strip=True,
    )

    def __init__(self, *args, person: Person, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.person = person

    def clean_confirmation(self) -> str:
        from people.erasure import confirmation_matches

        typed = self.cleaned_data["confirmation"]
        if not confirmation_matches(self.person, typed):
            raise forms.ValidationError(
                "That is not their email address or full name. Nothing has been erased."
            )
        return typed

from datetime import timedelta

from django import forms
from django.utils import timezone

from audit.models import AuditEntry
from forums.models import Forum, Report
from forums.moderation import REASON_MAX_LENGTH


def _reason_field(label: str, *, required: bool, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Give a reason: it is kept in the audit log.",
            "max_length": f"Reasons can be at most {REASON_MAX_LENGTH:,} characters.",
        },
    )


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why are you reporting this post?",
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why you are reporting this post."},
    )
    details = forms.CharField(
        label="Anything else the moderators should know (optional)",
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": f"Details can be at most {REASON_MAX_LENGTH:,} characters."},
    )


class ReasonForm(forms.Form):
    """One reason box; its label and whether it is required depend on the action."""

    def __init__(self, *args, label: str, required: bool = True, help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"] = _reason_field(label, required=required, help_text=help_text)


class ThreadMoveForm(forms.Form):
    forum = forms.ModelChoiceField(
        label="Move to",
        queryset=Forum.objects.none(),
        empty_label="Choose a forum",
        error_messages={
            "required": "Choose the forum to move the thread to.",
            "invalid_choice": "Choose one of the forums you moderate.",
        },
    )
    reason = _reason_field("Why are you moving it? (optional)", required=False)

    def __init__(self, *args, forums, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = forums


class SuspensionForm(forms.Form):
    PERIODS = {"day": timedelta(days=1), "week": timedelta(weeks=1), "month": timedelta(days=30)}

    period = forms.ChoiceField(
        label="For how long?",
        choices=[
            ("day", "1 day"),
            ("week", "1 week"),
            ("month", "1 month (30 days)"),
            ("custom", "Until a date and time I choose"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how long the suspension lasts."},
    )
    ends_at = forms.DateTimeField(
        label="Suspended until (only for a date and time you choose)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        error_messages={"invalid": "Enter a date and time, for example 31/12/2026 17:00."},
    )
    reason = _reason_field(
        "Reason",
        required=True,
        help_text="The person sees this reason; it is also kept in the audit log.",
    )

    def clean(self) -> dict:
        data = super().clean()
        period = data.get("period")
        if period in self.PERIODS:
            data["until"] = timezone.now() + self.PERIODS[period]
        elif period == "custom":
            ends_at = data.get("ends_at")
            if ends_at is None:
                if "ends_at" not in self.errors:
                    self.add_error("ends_at", "Enter the date and time the suspension ends.")
            elif ends_at <= timezone.now():
                self.add_error("ends_at", "Choose a date and time in the future.")
            else:
                data["until"] = ends_at
        return data


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *AuditEntry.Action.choices]
    )
    actor = forms.ModelChoiceField(
        label="Done by",
        required=False,
        queryset=None,
        empty_label="Anyone",
        error_messages={"invalid_choice": "Choose someone from the list."},
    )
    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date, for example 2026-11-25."},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date, for example 2026-11-25."},
    )

    def __init__(self, *args, actors, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = actors
        self.fields["actor"].label_from_instance = lambda person: person.name

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date must be on or after the start date.")
        return data


class PostHideForm(forms.Form):
    """Why a post is hidden. Identifying a pupil has a fixed reason, so nobody types the
    pupil's name into the audit log."""

    IDENTIFIES_PUPIL = "identifies_pupil"
    OTHER = "other"

    why = forms.ChoiceField(
        label="Why are you hiding it?",
        choices=[
            (
                IDENTIFIES_PUPIL,
                "It identifies a pupil (a name, photo or details that point to one child)",
            ),
            (OTHER, "Another reason"),
        ],
        widget=forms.RadioSelect,
        # A form without the choice (an older page) hides for the reason it gives.
        required=False,
    )
    reason = _reason_field(
        "Your reason (for another reason only)",
        required=False,
        help_text="Kept in the audit log. Never write a pupil's name here.",
    )

    def __init__(self, *args, pupil_only: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if pupil_only:
            self.fields["why"].choices = self.fields["why"].choices[:1]
            self.fields["why"].required = True
            self.fields["why"].error_messages["required"] = "Choose why you are hiding this post."
            del self.fields["reason"]

    @property
    def identifies_pupil(self) -> bool:
        return self.cleaned_data.get("why") == self.IDENTIFIES_PUPIL

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("why") and "why" not in self.errors:
            data["why"] = self.IDENTIFIES_PUPIL if "reason" not in self.fields else self.OTHER
        if data.get("why") == self.OTHER and not (data.get("reason") or "").strip():
            if "reason" not in self.errors:
                self.add_error("reason", "Give a reason: it is kept in the audit log.")
        return data

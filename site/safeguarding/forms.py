from django import forms

from config.idempotency import SubmissionKeyField
from people.models import School
from safeguarding.models import NOTE_MAX_LENGTH, WHAT_HAPPENED_MAX_LENGTH, WHO_INVOLVED_MAX_LENGTH

# Post ids beyond this are not ids at all (and would overflow the database's integers).
POST_ID_MAX = 2**63 - 1
POST_NOT_FOUND = "That post cannot be found. Leave the post out and describe it instead."


class ConcernForm(forms.Form):
    school = forms.ModelChoiceField(
        label="Which school is this about?",
        queryset=School.objects.order_by("name"),
        empty_label="Choose a school",
        error_messages={
            "required": "Choose the school this concern is about.",
            "invalid_choice": "Choose one of the trust's schools.",
        },
    )
    what_happened = forms.CharField(
        label="What happened?",
        help_text="What you saw or heard, when and where. Use initials, not pupils' full names.",
        max_length=WHAT_HAPPENED_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": "Say what happened.",
            "max_length": f"Keep what happened to {WHAT_HAPPENED_MAX_LENGTH:,} characters.",
        },
    )
    who_involved = forms.CharField(
        label="Who is involved?",
        help_text="Pupils' initials and year group (for example ‘J.S., Year 8’), and any adults.",
        max_length=WHO_INVOLVED_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Say who is involved, using initials for pupils.",
            "max_length": f"Keep who is involved to {WHO_INVOLVED_MAX_LENGTH:,} characters.",
        },
    )
    post = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=POST_ID_MAX,
        widget=forms.HiddenInput,
        error_messages=dict.fromkeys(["invalid", "min_value", "max_value"], POST_NOT_FOUND),
    )
    submission_key = SubmissionKeyField()


class ConcernNoteForm(forms.Form):
    text = forms.CharField(
        label="Add a note",
        help_text="Only the safeguarding leads see notes; the person who raised it does not.",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Write the note before adding it.",
            "max_length": f"Notes can be at most {NOTE_MAX_LENGTH:,} characters.",
        },
    )

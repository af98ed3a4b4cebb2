from django import forms
from django.urls import reverse_lazy

from config.idempotency import SubmissionKeyField
from forums.models import POST_MAX_LENGTH

MARKDOWN_HINT = (
    "Markdown works: **bold**, *italic*, [a link](https://example.org), lists with - and "
    f"quotes with >. Up to {POST_MAX_LENGTH:,} characters."
)
MENTION_HINT = "Type @ and a name to mention a colleague."


def _post_textarea(rows: int) -> forms.Textarea:
    # mentions.js offers colleagues from this address as you type after an @.
    return forms.Textarea(
        attrs={"rows": rows, "data-mention-source": reverse_lazy("forums:mention_people")}
    )


class PostForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        help_text=MARKDOWN_HINT,
        widget=_post_textarea(6),
        strip=False,
        error_messages={"required": "Write something before posting."},
    )
    is_anonymous = forms.BooleanField(label="Post anonymously", required=False)
    # The post being quoted (from "Quote"). Not something a person can correct, so anything
    # odd in it is dropped rather than shown as an error.
    quoted = forms.CharField(required=False, widget=forms.HiddenInput)
    # Sending the same form twice (a retry after a dropped connection) posts once.
    submission_key = SubmissionKeyField()

    def __init__(self, *args, allows_anonymous: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not allows_anonymous:
            del self.fields["is_anonymous"]

    def clean_quoted(self) -> int | None:
        value = (self.cleaned_data.get("quoted") or "").strip()
        return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


class ThreadForm(PostForm):
    title = forms.CharField(
        label="Title",
        max_length=200,
        error_messages={
            "required": "Give the thread a title.",
            "max_length": "Titles can be at most 200 characters.",
        },
    )

    field_order = ["title", "body", "is_anonymous", "submission_key"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = "Your first post"
        del self.fields["quoted"]


class PostEditForm(forms.Form):
    body = forms.CharField(
        label="Your post",
        help_text=MARKDOWN_HINT,
        widget=_post_textarea(10),
        strip=False,
        error_messages={"required": "Write something before posting."},
    )

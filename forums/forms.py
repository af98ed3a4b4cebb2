from django import forms

from forums.models import POST_MAX_LENGTH

MARKDOWN_HINT = (
    "Markdown works: **bold**, *italic*, [a link](https://example.org), lists with - and "
    f"quotes with >. Up to {POST_MAX_LENGTH:,} characters."
)


class PostForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        help_text=MARKDOWN_HINT,
        widget=forms.Textarea(attrs={"rows": 6}),
        strip=False,
        error_messages={"required": "Write something before posting."},
    )
    is_anonymous = forms.BooleanField(label="Post anonymously", required=False)

    def __init__(self, *args, allows_anonymous: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not allows_anonymous:
            del self.fields["is_anonymous"]


class ThreadForm(PostForm):
    title = forms.CharField(
        label="Title",
        max_length=200,
        error_messages={
            "required": "Give the thread a title.",
            "max_length": "Titles can be at most 200 characters.",
        },
    )

    field_order = ["title", "body", "is_anonymous"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = "Your first post"


class PostEditForm(forms.Form):
    body = forms.CharField(
        label="Your post",
        help_text=MARKDOWN_HINT,
        widget=forms.Textarea(attrs={"rows": 10}),
        strip=False,
        error_messages={"required": "Write something before posting."},
    )

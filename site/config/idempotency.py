"""Forms that change something carry a key, so that sending one twice changes it once.

A connection that drops after the server saved a reply leaves the person unsure whether it
went; they press the button again and the browser sends the same form, with the same key.
The first submission is remembered with the page it led to (for a day), and a repeat (the
same key and the same values) goes to that page without doing anything; the same key with
other values is a new submission. A repeat that arrives while the first is still being
saved waits for it (the key is unique in the database) and then does the same.
"""

import hashlib
import uuid
from collections.abc import Callable
from datetime import timedelta

from django import forms
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.models import CompletedSubmission

REMEMBERED_FOR = timedelta(days=1)


class SubmissionKeyField(forms.UUIDField):
    """A hidden field holding a fresh key each time the form is shown. A missing or garbled
    key is not something the person can correct, so it just means "no key"."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("initial", uuid.uuid4)
        super().__init__(**kwargs)

    def to_python(self, value) -> uuid.UUID | None:
        try:
            return super().to_python(value)
        except forms.ValidationError:
            return None


def fingerprint(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


def submit_once(
    *,
    person,
    key: uuid.UUID | None,
    purpose: str,
    sent: tuple[object, ...],
    action: Callable[[], str],
) -> tuple[str, bool]:
    """Run `action` (which returns the address to go to next) unless this person already sent
    this key, for this purpose, with the same values `sent`. Returns the address and whether
    it was a repeat. Without a key the action always runs. If it raises, nothing is kept."""
    if key is None:
        return action(), False
    digest = fingerprint(*sent)
    with transaction.atomic():
        earlier = _earlier(person, purpose, key, digest)
        if earlier is not None:
            return earlier, True
        try:
            with transaction.atomic():
                submission = CompletedSubmission.objects.create(
                    person=person, purpose=purpose, key=key, fingerprint=digest
                )
        except IntegrityError:
            # The same form arrived twice at once, and the other copy has just been saved.
            return _earlier(person, purpose, key, digest) or "", True
        submission.result_url = action()
        submission.save(update_fields=["result_url"])
        CompletedSubmission.objects.filter(
            person=person, created_at__lt=timezone.now() - REMEMBERED_FOR
        ).delete()
    return submission.result_url, False


def _earlier(person, purpose: str, key: uuid.UUID, digest: str) -> str | None:
    return (
        CompletedSubmission.objects.filter(
            person=person, purpose=purpose, key=key, fingerprint=digest
        )
        .values_list("result_url", flat=True)
        .first()
    )

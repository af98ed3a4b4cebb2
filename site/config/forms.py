"""Form fields every app shares."""

from django import forms
from django.core.exceptions import ValidationError

# The largest id any of our tables can hold (a 64-bit signed integer).
MAX_ID = 2**63 - 1


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field, except that an id too big for the database is refused as an unknown
    choice: Django puts it in an `IN (...)` query, which SQLite cannot run at all."""

    def _check_values(self, value):
        if self.to_field_name is None and isinstance(value, list | tuple):
            for pk in value:
                digits = str(pk).strip().removeprefix("-")
                # Length first: int() refuses strings of more than 4,300 digits.
                if (
                    digits.isascii()
                    and digits.isdigit()
                    and (len(digits) > 19 or int(digits) > MAX_ID)
                ):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": digits[:20]},
                    )
        return super()._check_values(value)

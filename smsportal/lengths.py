"""A form field's length limit whose message writes its figures as the page does.

Django's MaxLengthValidator gives its message the raw numbers («5000»), beside a
counter that writes «5 000»: these are given formatted for the active language.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core import validators
from django.core.exceptions import ValidationError

Field = TypeVar("Field", bound=forms.CharField)


class FormattedMaxLengthValidator(validators.MaxLengthValidator):
    """MaxLengthValidator with show_value and limit_value as formatted text: its
    message takes them with %(...)s."""

    def __call__(self, value: Any) -> None:
        cleaned = self.clean(value)
        limit = self.limit_value() if callable(self.limit_value) else self.limit_value
        if self.compare(cleaned, limit):
            raise ValidationError(
                self.message,
                code=self.code,
                params={
                    "limit_value": intcomma(limit),
                    "show_value": intcomma(cleaned),
                    "value": value,
                },
            )


def formatted_max_length(field: Field) -> Field:
    """`field` (a CharField with max_length) with its length validator formatting the
    figures; the field's own "max_length" error message is kept."""
    field.validators = [
        FormattedMaxLengthValidator(v.limit_value)
        if isinstance(v, validators.MaxLengthValidator)
        else v
        for v in field.validators
    ]
    return field

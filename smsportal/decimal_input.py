"""A decimal form field that takes numbers as Russian users type them.

A `type="number"` input drops a typed comma in Chromium under a Russian locale: "2,75"
reached the server as "275", a price a hundred times too high, without a word. This
field is a text input that reads "2,75", "2.75" and "1 500,5" alike
(smsportal.lib.decimals) and shows the value with the language's decimal mark.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import get_format

from smsportal.lib.decimals import parse_decimal


class TypedDecimalField(forms.DecimalField):
    widget = forms.TextInput
    min_places = 0  # decimal places shown even when zero

    def __init__(self, *args, **kwargs) -> None:
        kwargs.pop("localize", None)  # localized by this field itself
        super().__init__(*args, **kwargs)
        # A phone's keypad with the decimal mark.
        self.widget.attrs.setdefault("inputmode", "decimal")

    def to_python(self, value: object) -> Decimal | None:
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return parse_decimal(str(value))
        except ValueError:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from None

    def prepare_value(self, value: object) -> object:
        """Decimal("2.7500") as "2,75": no trailing zeros beyond `min_places`."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = Decimal(str(value))
        if not isinstance(value, Decimal) or not value.is_finite():
            return value  # what the user typed, shown back with its error
        places = max(self.min_places, -value.normalize().as_tuple().exponent)
        text = f"{value:.{places}f}"
        return text.replace(".", get_format("DECIMAL_SEPARATOR"))


class MoneyField(TypedDecimalField):
    """A price or a sum: "1500,00", "2,75"."""

    min_places = 2

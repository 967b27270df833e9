"""The decimal form field that reads numbers as Russian users type them."""

from decimal import Decimal

import pytest

from django import forms
from django.utils import translation

from smsportal.decimal_input import MoneyField, TypedDecimalField


class PriceForm(forms.Form):
    price = MoneyField(max_digits=10, decimal_places=4, required=False)
    count = TypedDecimalField(required=False)


@pytest.mark.parametrize(
    ("typed", "value"),
    [("2,75", "2.75"), ("2.75", "2.75"), ("1 500,5", "1500.5"), ("1\u00a0500", "1500"),
     ("", None)],
)  # fmt: skip
def test_a_number_is_read_with_a_comma_or_a_point(typed, value):
    form = PriceForm({"price": typed})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["price"] == (Decimal(value) if value else None)


def test_what_is_not_a_number_is_refused_and_shown_back_as_typed():
    with translation.override("ru"):
        form = PriceForm({"price": "два"})

        assert form.errors["price"] == ["Введите число."]
        assert 'value="два"' in str(form["price"])


def test_the_digits_allowed_are_still_checked():
    form = PriceForm({"price": "2,12345"})

    assert not form.is_valid()
    assert "price" in form.errors


def test_a_value_is_shown_with_the_languages_decimal_mark():
    with translation.override("ru"):
        form = PriceForm(initial={"price": Decimal("2.7500"), "count": 3.0})
        html = str(form["price"])

        assert 'value="2,75"' in html
        assert 'inputmode="decimal"' in html
        assert 'type="text"' in html
        assert 'value="3"' in str(form["count"])
    with translation.override("en"):
        assert 'value="1500.00"' in str(PriceForm(initial={"price": 1500})["price"])

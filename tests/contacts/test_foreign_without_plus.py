"""A foreign number written without its plus (375291234567, as CRMs and gateways'
address books export it) is read as a Russian one and refused. The refusal said
«wrong number of digits for this country», naming no country and no way out; it now
says how to write it, and nothing is guessed (a mistyped Russian number would go
abroad, at a foreign price)."""

import csv
import io

import pytest

from django.utils import translation

from campaigns.audience import parse_extra_numbers
from contacts.models import Contact
from contacts.phone import InvalidPhone, normalize_phone, normalize_phones

pytestmark = pytest.mark.django_db
HOW = "a number of another country is written with + and its country code"


@pytest.mark.parametrize(
    "raw",
    ["375291234567", "375 29 123-45-67", "998901234567", "996555123456",
     "380671234567", "994501234567", "992931234567"],
)  # fmt: skip
def test_a_foreign_number_without_its_plus_is_refused_saying_how_to_write_it(raw):
    with translation.override("en"), pytest.raises(InvalidPhone) as caught:
        normalize_phone(raw)
    assert HOW in caught.value.reason
    (fast,) = normalize_phones([raw])
    assert isinstance(fast, InvalidPhone)
    assert HOW in fast.reason
    # With its plus it is the country's own.
    assert normalize_phone("+" + raw).e164.startswith("+" + raw[:3])


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("8912345678", "too few digits"),  # a Russian number a digit short
        ("+7 912 345 67 89 12345", "too many digits"),
        ("8 10 375 29 123 45 67", None),  # Russia's international prefix: read
        ("87012345678", None),  # Kazakhstan through the trunk 8: read
    ],
)
def test_other_numbers_keep_their_reasons(raw, reason):
    with translation.override("en"):
        if reason is None:
            normalize_phone(raw)
            return
        with pytest.raises(InvalidPhone) as caught:
            normalize_phone(raw)
    assert reason in caught.value.reason
    assert HOW not in caught.value.reason


def test_the_import_and_the_pasted_numbers_say_it_by_row_and_line(do_import):
    with translation.override("en"):
        report, rejects = do_import(
            "Телефон;Имя\n+375291234567;Ася\n375291234568;Борис\n".encode()
        )
        pasted = parse_extra_numbers("+375291234567\n998901234567")
    assert report.created == 1
    (header, row) = list(csv.reader(io.StringIO(rejects), delimiter=";"))
    assert header == ["Row", "Error", "Телефон", "Имя"]
    assert row[0] == "3"
    assert row[2:] == ["375291234568", "Борис"]
    assert row[1].startswith("column “Телефон”: " + HOW)
    assert list(Contact.objects.values_list("phone", flat=True)) == ["+375291234567"]
    ((line, raw, why),) = pasted.invalid
    assert (line, raw) == (2, "998901234567")
    assert HOW in why

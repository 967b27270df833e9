"""The per-message table's cost: kopecks as the totals show them, finer only if billed so."""

from decimal import Decimal

import pytest

from django.utils import translation

from campaigns.report_tables import money


@pytest.mark.parametrize(
    ("value", "ru", "en"),
    [
        (Decimal("3.5000"), "3,50", "3.50"),
        (Decimal("0.0000"), "0,00", "0.00"),
        (Decimal("12.0000"), "12,00", "12.00"),
        (Decimal("1.9500"), "1,95", "1.95"),
        (Decimal("0.0125"), "0,0125", "0.0125"),
        (Decimal("2.1230"), "2,123", "2.123"),
    ],
)
def test_cost_cells(value, ru, en):
    with translation.override("ru"):
        assert money(value) == ru
    with translation.override("en"):
        assert money(value) == en

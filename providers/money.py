"""A balance as the pages write it: grouped, two decimals, its currency."""

from decimal import Decimal

from django.template.defaultfilters import floatformat


def balance_text(amount: Decimal, currency: str) -> str:
    """«1 000,00 RUB» in Russian (the active language's grouping), not «1000.0000»."""
    return f"{floatformat(amount, '2g')} {currency}".strip()

"""A balance as the pages write it: grouped, two decimals, its currency."""

from decimal import Decimal

from django.template.defaultfilters import floatformat
from django.utils.translation import pgettext_lazy

# The codes gateways report (ISO 4217), as a reader writes them after an amount:
# «1 000,00 ₽» on a Russian page, not «1 000,00 RUB». Stored and exported as codes.
CURRENCY_SIGNS = {"RUB": pgettext_lazy("currency sign", "RUB")}


def currency_sign(code: str) -> str:
    """«₽» for "RUB" in Russian; a code with no sign of its own as it came."""
    return str(CURRENCY_SIGNS.get(code, code)) if code else ""


def balance_text(amount: Decimal, currency: str) -> str:
    """«1 000,00 ₽» in Russian (the active language's grouping), not «1000.0000»."""
    return f"{floatformat(amount, '2g')} {currency_sign(currency)}".strip()

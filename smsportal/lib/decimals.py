"""Numbers as people type them: "408,71", "1 234,5", "1,234.50" -> Decimal.

Framework-free. A comma alone is a decimal comma (the Russian habit); when both a comma
and a dot appear, the last one is the decimal separator and the other groups thousands.
"""

from decimal import Decimal, InvalidOperation

_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f'")


def parse_decimal(text: str) -> Decimal:
    """The number written in text; ValueError when it is not one."""
    value = text.strip().translate(_GROUP_SPACES)
    if "," in value and "." in value:
        decimal_mark = "," if value.rfind(",") > value.rfind(".") else "."
        group_mark = "." if decimal_mark == "," else ","
        value = value.replace(group_mark, "").replace(decimal_mark, ".")
    elif value.count(",") == 1:
        value = value.replace(",", ".")
    elif value.count(",") > 1:
        value = value.replace(",", "")
    elif value.count(".") > 1:
        value = value.replace(".", "")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a number: {text!r}")
    return number

"""What text typed into a search box means as a phone number.

One reading for every search over phones (contact book, stop list, admin, message
table, inbox, API): a whole number matches exactly, through the index; a fragment
written from the "+" on matches the numbers it begins; another fragment matches
anywhere in the number, and one written the Russian trunk way ("8 912 34") also the
numbers it begins (+791234...), since nobody types the 8 as a digit of the stored
number.
"""

import re

from django.db.models import Q

from contacts.phone import SEPARATORS, InvalidPhone, normalize_phone
from smsportal.lib.textcheck import without_nul

# Characters a written phone number may hold besides digits: ours, and the dashes,
# spaces and brackets phonenumbers (so the contact form) also reads between digits,
# which text copied from a document or a messenger holds ("8 912 345–67–89").
_PHONE_TEXT = frozenset(
    SEPARATORS + "+[]~\u00ad\u200b\u2060\u2010\u2011\u2012\u2013\u2014\u2015"
    "\u2212\u3000\uff08\uff09\uff0d\uff0e\uff0f\uff3b\uff3d"
)

# The label a number is copied with from a signature or a card ("тел. 8 912 ...",
# "Моб.: +7 ...", "tel: ..."): left out, so the number behind it is searched.
_LABEL = re.compile(
    r"(?:телефон|тел|мобильный|моб|сотовый|сот|т|м|telephone|phone|tel|mobile|mob)"
    r"\s*[.:]?\s*:?\s*(?=[+\d(\[])",
    re.IGNORECASE,
)


def without_label(value: str) -> str:
    """`value` stripped, and without a label before the number it writes."""
    value = value.strip()
    label = _LABEL.match(value)
    return value[label.end() :] if label else value


def looks_like_phone(value: str) -> bool:
    """True for text made of digits and the separators people write numbers with,
    such as "+7 (912) 345-67-89", "912 34" or "тел. 8 912 345"; False for names,
    words and e-mails."""
    value = without_label(value)
    return any(ch.isdigit() for ch in value) and all(
        ch.isdigit() or ch in _PHONE_TEXT for ch in value
    )


def whole_number(value: str) -> str | None:
    """The number `value` is, in E.164, or None for a fragment."""
    try:
        return normalize_phone(without_label(without_nul(value))).e164
    except InvalidPhone:
        return None


def phone_query(value: str) -> Q:
    """Q over a model's `phone` for the digits of `value`; Q() when it has none."""
    value = without_label(without_nul(value))
    if number := whole_number(value):
        return Q(phone=number)
    digits = "".join(ch for ch in value if ch.isdigit())
    if not digits:
        return Q()
    if value.startswith("+"):
        # Written from its country code on: the beginning of the number, which the
        # phone's index finds at once where "anywhere in it" reads the whole table.
        return Q(phone__startswith="+" + digits)
    query = Q(phone__contains=digits)
    if value.startswith("8") and len(digits) > 1:
        # "8 912" is how a Russian number is dialled at home: +7 912.
        query |= Q(phone__startswith="+7" + digits[1:])
    return query

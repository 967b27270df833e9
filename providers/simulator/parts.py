"""How many SMS parts a gateway bills a text as: GSM 03.38 septets where every
character is in the GSM-7 tables (an extension character such as € takes two), else
UTF-16 units (an emoji outside the BMP takes two); a character never straddles two
parts. REFERENCE.md gives the limits (160/153 and 70/67; WEBSMS 156/66 per part).

The simulator plays the vendor, so it keeps its own copy of the rules rather than
importing the composer's counter (campaigns.segments): providers imports nothing from
campaigns. tests/simulator/test_parts.py checks that the two agree.
"""

from __future__ import annotations

# GSM 03.38 default alphabet (3GPP TS 23.038 6.2.1) without the escape, and the
# extension table (6.2.1.1), whose characters are sent as escape + code.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("\f^{}\\[~]|€")


def is_gsm7(text: str) -> bool:
    """Whether GSM-7 carries every character of `text`."""
    return all(c in GSM_BASIC or c in GSM_EXTENDED for c in text)


def sms_parts(
    text: str,
    *,
    single_gsm: int = 160,
    multi_gsm: int = 153,
    single_ucs2: int = 70,
    multi_ucs2: int = 67,
) -> int:
    """Parts of `text` (1 for an empty one, as a gateway bills it)."""
    if is_gsm7(text):
        costs = [2 if c in GSM_EXTENDED else 1 for c in text]
        single, multi = single_gsm, multi_gsm
    else:
        costs = [2 if ord(c) > 0xFFFF else 1 for c in text]
        single, multi = single_ucs2, multi_ucs2
    if sum(costs) <= single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            parts, used = parts + 1, 0
        used += cost
    return parts

"""The project's only phone normaliser: raw text -> E.164, with mobile flag and time zone.

`normalize_phone` is phonenumbers with the default region from settings.
`normalize_phones` is the importer's bulk version: the common Russian mobile formats
(`8 912 ...`, `+7 (912) ...`, `7912...`, ten digits `912...`) take a fast path whose
answer for a number depends only on the first digits of its national number, so it is
computed once per prefix by phonenumbers itself and cached. Everything else goes through
phonenumbers. tests/contacts/test_phone.py proves both paths agree on a large sample and
on every prefix.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

import phonenumbers
from phonenumbers import PhoneNumberType
from phonenumbers import timezone as phone_timezone
from phonenumbers.phonenumberutil import ValidationResult

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

# Characters people put between digits; phonenumbers ignores them too.
SEPARATORS = " \t-().\u00a0/"
_STRIP_SEPARATORS = str.maketrans("", "", SEPARATORS)
# RU metadata decides validity and type of a ten-digit 9XX number by its first two
# digits, except in 93X, where it takes up to six (9300[0-9][0-9]); the time zone data
# has one entry for the whole "79" range. The tests check every six-digit prefix.
_MOBILE_TYPES = {
    PhoneNumberType.MOBILE: True,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: None,
}
_UNKNOWN_ZONE = "Etc/Unknown"
# Where libphonenumber's zone data is wrong for a +7 code (checked against every
# prefix it has for +7): Kaliningrad's landlines (+7 401) are Europe/Bucharest, an hour
# off in summer, which Kaliningrad does not keep; Saratov's (+7 845) are Moscow, though
# Saratov moved to UTC+4 in December 2016.
_ZONE_BY_PREFIX = {"+7401": "Europe/Kaliningrad", "+7845": "Europe/Saratov"}
# Kazakhstan has kept one zone, UTC+5, since 1 March 2024; libphonenumber still splits
# it in two and gives its mobiles none. Assumption: the system's tzdata is 2024a or
# later (Asia/Almaty at UTC+5).
KAZAKHSTAN_ZONE = "Asia/Almaty"
# Countries libphonenumber puts in another country's zone: Belarus (UTC+3 all year)
# in Moscow's, so its numbers were named «Москва».
_ZONE_BY_COUNTRY = {375: "Europe/Minsk"}
# Six leading national digits -> the answer of their fast_prefix(), at most 100,000.
_SHAPES: dict[str, object] = {}


@dataclass(frozen=True, slots=True)
class NormalizedPhone:
    e164: str
    # None when the numbering plan cannot tell mobile from fixed line.
    is_mobile: bool | None
    # An IANA zone when the number maps to exactly one; blank otherwise.
    time_zone: str


class InvalidPhone(ValueError):
    """The text is not a valid phone number; `reason` says why, for people.

    What is kept is the English msgid, translated in the language active when it is
    read: the fast path caches these exceptions across requests in different
    languages, and an import stores the msgid itself (contacts.importing.reasons).
    """

    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid

    @property
    def reason(self) -> str:
        return gettext(self.msgid)

    def __str__(self) -> str:
        return self.reason


def normalize_phone(raw: str, *, region: str | None = None) -> NormalizedPhone:
    """Parse one number written any common way; raise InvalidPhone with the reason."""
    return _parse(raw, region or settings.SMSPORTAL_DEFAULT_REGION)


def is_russian_number(e164: str) -> bool:
    """A Russian number: +7, but not Kazakhstan's +7 6xx and +7 7xx."""
    return e164.startswith("+7") and e164[2:3] not in ("6", "7")


def vendor_e164(phone: str) -> str:
    """A gateway's number as contacts and the stop list keep it, or "" if it is none.

    Gateways hand numbers over as digits, which the parsers prefix with "+"; a number
    written nationally (8912...) then reads "+8912...", so that form is tried too.
    """
    # Assumption: digits that are no valid international number are a national number
    # of the default region (SMSPORTAL_DEFAULT_REGION), as people write them.
    for candidate in (phone, phone.lstrip("+")):
        try:
            return normalize_phone(candidate).e164
        except InvalidPhone:
            continue
    return ""


def normalize_phones(
    raws: Iterable[str], *, region: str | None = None
) -> Iterator[NormalizedPhone | InvalidPhone]:
    """Normalise many numbers; invalid ones come back as InvalidPhone, in order."""
    region = region or settings.SMSPORTAL_DEFAULT_REGION
    for raw in raws:
        try:
            yield normalize_phone_fast(raw, region=region)
        except InvalidPhone as exc:
            yield exc


def normalize_phone_fast(raw: str, *, region: str) -> NormalizedPhone:
    """normalize_phone with the cached Russian mobile path; same results, faster."""
    return NormalizedPhone(*phone_fields_fast(raw, region=region))


def phone_fields_fast(raw: str, *, region: str) -> tuple[str, bool | None, str]:
    """(e164, is_mobile, time_zone) as normalize_phone_fast, without the object."""
    national = _russian_mobile_national(raw, region)
    if national is None:
        parsed = _parse(raw, region)
        return parsed.e164, parsed.is_mobile, parsed.time_zone
    shape = _SHAPES.get(national[:6])
    if shape is None:
        shape = _SHAPES[national[:6]] = _russian_mobile_shape(fast_prefix(national))
    if shape.__class__ is InvalidPhone:
        raise InvalidPhone(shape.msgid)
    return ("+7" + national, *shape)


def _russian_mobile_national(raw: str, region: str) -> str | None:
    """The ten national digits of a plainly written +7 9XX number, else None."""
    text = raw.strip()
    plus = text.startswith("+")
    digits = text[1:] if plus else text
    if not digits.isdigit():
        # replace() beats translate() here; the rare separators go the slow way.
        digits = (
            digits.replace(" ", "").replace("-", "").replace("(", "").replace(")", "")
            .replace(".", "")
        )  # fmt: skip
        if not digits.isdigit():
            digits = digits.translate(_STRIP_SEPARATORS)
            if not digits.isdigit():
                return None
    if not digits.isascii():
        return None
    length = len(digits)
    if length == 11 and digits[1] == "9":
        first = digits[0]
        if (first == "7" and (plus or region == "RU")) or (
            first == "8" and not plus and region == "RU"
        ):
            return digits[1:]
    elif length == 10 and digits[0] == "9" and not plus and region == "RU":
        return digits
    return None


def fast_prefix(national: str) -> str:
    """The leading digits of a 9XX national number that decide its answer."""
    return national[:6] if national[1] == "3" else national[:2]


@cache
def _russian_mobile_shape(prefix: str) -> tuple[bool | None, str] | InvalidPhone:
    # Any number with this prefix gets the same answer; zeros complete it to ten digits.
    try:
        parsed = _parse("+7" + prefix.ljust(10, "0"), "RU")
    except InvalidPhone as exc:
        return exc
    return parsed.is_mobile, parsed.time_zone


def _parse(raw: str, region: str) -> NormalizedPhone:
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone(_("the phone number is empty"))
    if not any(ch.isdigit() for ch in text):
        raise InvalidPhone(_("no digits in the phone number"))
    if _letters_among_digits(text):
        raise InvalidPhone(
            _two_numbers_or(
                text, region, _("letters among the digits of the phone number")
            )
        )
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(_refusal(text, region, _parse_error_reason(exc))) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(_refusal(text, region, _invalid_reason(number, text)))
    is_mobile = _MOBILE_TYPES.get(phonenumbers.number_type(number), False)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return NormalizedPhone(e164, is_mobile, _number_zone(number, e164))


def _number_zone(number: phonenumbers.PhoneNumber, e164: str) -> str:
    """The IANA zone the number alone gives, "" unless exactly one."""
    if number.country_code == 7:
        fixed = _ZONE_BY_PREFIX.get(e164[:5])
        if fixed:
            return fixed
        if phonenumbers.region_code_for_number(number) == "KZ":
            return KAZAKHSTAN_ZONE
    country_zone = _ZONE_BY_COUNTRY.get(number.country_code)
    if country_zone:
        return country_zone
    zones = phone_timezone.time_zones_for_number(number)
    return zones[0] if len(zones) == 1 and zones[0] != _UNKNOWN_ZONE else ""


def _refusal(text: str, region: str, reason: str) -> str:
    """Why a number is refused: what the writer most likely meant, else `reason`."""
    if _foreign_without_plus(text, region):
        return _("a number of another country is written with + and its country code")
    return _two_numbers_or(text, region, reason)


def _foreign_without_plus(text: str, region: str) -> bool:
    """ "375291234567", as CRMs and gateways' address books export numbers: read as
    the default region's, it is none, and with a plus it is another country's.
    Refused all the same, saying so: a mistyped Russian number (49123456789 for
    89123456789) would go abroad, at a foreign price, if digits were guessed at."""
    if text.startswith("+"):
        return False
    digits = text.translate(_STRIP_SEPARATORS)
    if not (digits.isascii() and digits.isdigit()):
        return False
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(
        number
    ) and number.country_code != phonenumbers.country_code_for_region(region)


# Between two numbers in one cell, as CRMs export a contact's phones.
_NUMBERS_APART = re.compile(r"[,;/|\n]|\s+(?:и|или|or|and)\s+", re.IGNORECASE)


def _two_numbers_or(text: str, region: str, reason: str) -> str:
    """Why the cell is refused: two numbers in it said as such (amoCRM and Bitrix24
    export a contact's phones in one cell), else `reason`. Asked only of a cell
    already refused, so a valid number never pays for it."""
    parts = [part for part in _NUMBERS_APART.split(text) if part.strip()]
    if len(parts) < 2:
        return reason
    for part in parts:
        try:
            valid = phonenumbers.is_valid_number(phonenumbers.parse(part, region))
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            return reason
    return _(
        "several phone numbers in one cell: a contact has one; give each other "
        "number a row of its own"
    )


def _letters_among_digits(text: str) -> bool:
    """Letters after the first digit. phonenumbers reads them as a keypad's
    (8-800-ABC-1234 is 8-800-222-1234) or as an extension, and a typo or a note in
    the cell would become somebody's number. A label before it ("тел. 8 912 …")
    is left to phonenumbers, which skips it."""
    first_digit = next(i for i, ch in enumerate(text) if ch.isdigit())
    return any(ch.isalpha() for ch in text[first_digit:])


def _trunk_eight_short(number: phonenumbers.PhoneNumber, text: str) -> bool:
    """ "8 916 123 45 6": Russia's trunk 8 and a digit short. phonenumbers takes the
    8 into a ten-digit national number, which no range holds, where the writer meant
    a nine-digit one after it; said so, the writer looks for the missing digit."""
    digits = "".join(ch for ch in text if ch.isdigit())
    national = str(number.national_number)
    return (
        number.country_code == 7
        and not text.lstrip().startswith("+")
        and digits == national
        and len(national) == 10
        and national.startswith("8")
    )


def _parse_error_reason(exc: phonenumbers.NumberParseException) -> str:
    reasons = {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: _(
            "unknown country code"
        ),
        phonenumbers.NumberParseException.TOO_SHORT_NSN: _("too few digits"),
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: _("too few digits"),
        phonenumbers.NumberParseException.TOO_LONG: _("too many digits"),
    }
    return reasons.get(exc.error_type, _("not a phone number"))


def _invalid_reason(number: phonenumbers.PhoneNumber, text: str) -> str:
    if _trunk_eight_short(number, text):
        return _("too few digits")
    result = phonenumbers.is_possible_number_with_reason(number)
    reasons = {
        ValidationResult.TOO_SHORT: _("too few digits"),
        ValidationResult.IS_POSSIBLE_LOCAL_ONLY: _(
            "too few digits: the area or mobile code is missing"
        ),
        ValidationResult.TOO_LONG: _("too many digits"),
        ValidationResult.INVALID_COUNTRY_CODE: _("unknown country code"),
        ValidationResult.INVALID_LENGTH: _("wrong number of digits for this country"),
    }
    return reasons.get(result, _("no such number in the numbering plan"))

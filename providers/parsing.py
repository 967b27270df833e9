"""Tolerant body parsing shared by the gateways (REFERENCE.md §0.2).

Vendors mislabel content types, mix decimal commas and dots, send numbers as strings,
pad keys with spaces and answer in Russian. Every helper here is strict about safety
(no external entities, no entity expansion, no network) and lenient about form.
"""

from __future__ import annotations

import json
import re
import string
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

from lxml import etree

BodyKind = Literal["xml", "json", "ini", "text", "empty"]

_SPACES = re.compile(r"\s+")
_INI_SECTION = re.compile(r"^\s*\[\s*\w+\s*\]\s*$", re.MULTILINE)

# No DTDs, no entities, no network: refuses XXE and "billion laughs" bodies.
_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}
# A parser per thread: lxml lets one parser parse in one thread at a time, and the
# threads of a web worker, each reading a gateway's callback, queued for a shared one.
_parsers = threading.local()


# The gateways' wall clock: send times go and report times come on Moscow time.
MOSCOW = ZoneInfo("Europe/Moscow")


def _parser(*, recover: bool) -> etree.XMLParser:
    name = "recovering" if recover else "strict"
    parser = getattr(_parsers, name, None)
    if parser is None:
        parser = etree.XMLParser(**_PARSER_OPTIONS, recover=recover)
        setattr(_parsers, name, parser)
    return parser


class BodyError(ValueError):
    """A body that cannot be read as the expected format."""


def sniff(body: bytes | str) -> BodyKind:
    """Decide the body format from its first characters, not from Content-Type."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.lstrip("\ufeff \t\r\n")
    if not text:
        return "empty"
    if text.startswith("<"):
        return "xml"
    if text[0] in "{[":
        if text[0] == "[" and _INI_SECTION.match(text.splitlines()[0]):
            return "ini"
        return "json"
    if _INI_SECTION.search(text):
        return "ini"
    return "text"


def parse_xml(body: bytes | str, *, recover: bool = True) -> etree._Element:
    """Parse XML safely; fall back to lxml's recovering parser for sloppy bodies."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    data = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"<!DOCTYPE" in data[:2048].upper() or b"<!ENTITY" in data[:4096].upper():
        raise BodyError("XML with a DTD or entities is refused")
    try:
        return etree.fromstring(data, parser=_parser(recover=False))
    except etree.XMLSyntaxError as exc:
        if not recover:
            raise BodyError(f"malformed XML: {exc}") from exc
        root = etree.fromstring(data, parser=_parser(recover=True))
        if root is None:
            raise BodyError(f"malformed XML: {exc}") from exc
        return root


def decode_text(body: bytes, declared: str | None = None) -> str:
    """Body bytes as text: the declared charset, else UTF-8, else windows-1251.

    Russian vendors serve plain-text answers in windows-1251 as often as in UTF-8,
    with or without a charset in Content-Type; a UTF-8 decode with replacement would
    turn their Russian error texts into question marks no error table matches.
    """
    for encoding in filter(None, (declared, "utf-8-sig")):
        try:
            return body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("cp1251", "replace")


def parse_json(body: bytes | str) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig") if isinstance(body, bytes) else body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BodyError(f"malformed JSON: {exc}") from exc
    except RecursionError:  # '[' nested a hundred thousand deep: no gateway's answer
        raise BodyError("malformed JSON: nested too deep") from None


def parse_ini(text: str) -> dict[str, dict[str, str]]:
    """WEBSMS-style `[section]` / `key = value` text; keys stripped and de-spaced."""
    sections: dict[str, dict[str, str]] = {}
    current = sections.setdefault("", {})
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip().lower(), {})
            continue
        if "=" in line:
            key, _, value = line.partition("=")
            current[normalize_key(key)] = value.strip()
    return sections


def moscow_minute(moment: datetime) -> datetime:
    """`moment` on Moscow time, rounded up to the minute: the gateways take send times
    to the minute, and one rounded down would leave up to 59 s before it is due."""
    local = moment.astimezone(MOSCOW)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return local


def normalize_key(key: str) -> str:
    """'summ_ phone ' -> 'summ_phone'; 'Packet_ID' -> 'packet_id'."""
    return re.sub(r"\s+", "", key).lower()


def to_decimal(value: Any) -> Decimal | None:
    """'408,71', '0.40', 19023.9, ' 10.6000000 ' -> Decimal; blanks -> None."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    # Thousands are grouped with any space: " ", U+00A0, U+202F ("1 234,50").
    text = _SPACES.sub("", str(value)).replace(",", ".")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise BodyError(f"not a number: {value!r}") from exc


def to_int(value: Any, default: int | None = None) -> int | None:
    """'2', 2, ' 2 ', 2.0 -> 2; blanks -> default."""
    if value is None:
        return default
    text = str(value).strip()
    if not text:
        return default
    if text.isascii() and text.isdigit():  # the usual answer: no Decimal needed
        return int(text)
    try:
        return int(Decimal(text.replace(",", ".")))
    except InvalidOperation as exc:
        raise BodyError(f"not an integer: {value!r}") from exc


def normalize_text(text: str) -> str:
    """Lower-case, typographic quotes and trailing punctuation removed, spaces collapsed."""
    text = text.replace("ё", "е").replace("Ё", "Е")
    text = re.sub(r"[«»“”„‘’\"']", "", text)
    return re.sub(r"\s+", " ", text).strip().rstrip(".!").strip().lower()


def match_text(text: str, table: Mapping[str, Any]) -> Any:
    """The value of the first key whose normalised text occurs in `text`, else None.

    Vendor error texts are natural language, often Russian, sometimes with a trailing
    period: compare normalised substrings, longest key first.
    """
    haystack = normalize_text(text)
    for key in sorted(table, key=len, reverse=True):
        if normalize_text(key) in haystack:
            return table[key]
    return None


_NOT_DIGIT = re.compile(r"\D")


def digits(phone: str) -> str:
    # Our own phones are E.164: the '+' dropped without a regex (each recipient of a
    # send request pays this). isdecimal() is exactly what \d matches.
    if phone[:1] == "+" and phone[1:].isdecimal():
        return phone[1:]
    return _NOT_DIGIT.sub("", phone)


def e164(phone: str) -> str:
    """Vendor phone (digits, maybe with '+' or spaces) -> '+79031234567'."""
    only = digits(phone)
    return f"+{only}" if only else ""


def sender_address(value: str) -> str:
    """Who an incoming message is from: a number as e164() gives it, or a sender name
    ("MEGAFON", "Tele2-Info") as written. Stripped of its letters, a name read "" (or
    its digits, "+2" for "Tele2"): a reply from nobody, or from a number not its own.
    Assumption: a letter in the field means a name; the field holds at most 16."""
    text = value.strip()
    if any(char.isalpha() for char in text):
        return text[:16]
    return e164(text)


def first(items: Iterable[Any], default: Any = None) -> Any:
    return next(iter(items), default)


# Bytes a URL-encoded form may carry unescaped; everything else is escaped before
# parsing, so that raw 8-bit bytes are decoded like their %XX forms.
_FORM_SAFE = string.printable


def url_encoded_fields(
    raw: str | bytes, *, fallback: str = "cp1251"
) -> tuple[dict[str, str], str]:
    """A query string or form body as sent, with the charset that decoded it.

    UTF-8 where every value is valid UTF-8, else `fallback` (windows-1251: what Russian
    gateways send by default). The charset is returned because a gateway's checksum is
    computed over the values in it. A repeated field keeps its last value, as Django's.
    """
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    text = quote(text, safe=_FORM_SAFE, encoding="latin-1")
    for charset in ("utf-8", fallback):
        try:
            pairs = parse_qsl(
                text, keep_blank_values=True, encoding=charset, errors="strict"
            )
        except UnicodeDecodeError:
            continue
        return dict(pairs), charset
    # windows-1251 leaves one byte (0x98) undefined: keep the rest.
    pairs = parse_qsl(text, keep_blank_values=True, encoding=fallback, errors="replace")
    return dict(pairs), fallback

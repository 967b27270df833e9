"""Pure WEBSMS formats: reply parsers and request forms (seed 002; REFERENCE.md §3).

Every page answers in one of three shapes: INI-like text (`[section]`, `key = value`),
XML with single-quoted attributes under `<XML>`, or JSON. Each is read into one
`VendorDoc` with normalised lower-case keys, so the gateway reads one vocabulary.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from providers.base import (
    InboundRequest,
    MessageChannel,
    OutgoingSms,
    PhoneBookEntry,
    VoiceOptions,
)
from providers.parsing import (
    MOSCOW,
    BodyError,
    e164,
    match_text,
    moscow_minute,
    normalize_key,
    parse_ini,
    parse_json,
    parse_xml,
    sniff,
    to_decimal,
    to_int,
    url_encoded_fields,
)

# Assumption: vendor times without an offset are Moscow time (the doc's account
# default zone is "+4 (Moscow)", the pre-2014 Moscow offset; Moscow is UTC+3 today).
MAX_VALIDITY = timedelta(minutes=1440)  # `valid_period`: 10 .. 1440 minutes

# error_num texts (txt replies carry the text, xml/json the number); seed 002 §5.5.
ERROR_TEXTS: dict[int, str] = {
    0: "ok",
    1: "error login, password",
    2: "blocked user",
    3: "insufficient funds",
    4: "blocked ip",
    5: "http not enabled",
    6: "this server ip not enabled",
    7: "email sending not enabled",
    8: "this email not enabled",
    9: "blocked moderator ID",
    10: "error manual phone list",
    11: "empty message text",
    12: "empty phone list",
    13: "stop service",
    14: "error format date",
    15: "double sent from web interface",
    16: "error dealer off",
    17: "error multiaccess",
    20: "Incorrect Group",
    21: "empty password",
    22: "empty login",
    23: "Invalid FromPhone",
    24: "flood",
}
_CODE_BY_TEXT = {text: code for code, text in ERROR_TEXTS.items() if code}

# Docs spell one field several ways (§3.12); read them under one name.
_ALIASES = {
    "message": "message_text",
    "err_num": "error_num",
    "num_#": "num",
    "packet_#": "num",
    "smsdelete": "deleted",
    "partsdelete": "deleted",
}
# Cyrillic look-alikes in documented attribute names (`оperator` with U+043E).
_LOOKALIKES = str.maketrans("аеорсхАЕОРСХ", "aeopcxAEOPCX")
_QUOTES = "'\"‘’“”"
_TAG = re.compile(r"<\s*([\w:]+)([^<>]*?)/?\s*>")
_ATTR = re.compile(
    rf"([\w:#]+)\s*=\s*[{_QUOTES}]?([^{_QUOTES}]*?)[{_QUOTES}](?=\s|/|>|$)"
)
_DATE = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)


def key(name: str) -> str:
    """Our name for a vendor key: de-spaced, lower-case, Latin, aliases merged."""
    name = normalize_key(name.translate(_LOOKALIKES))
    return _ALIASES.get(name, name)


@dataclass
class VendorDoc:
    """One reply: header fields, one dict per message, totals; keys via `key()`."""

    common: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, str]] = field(default_factory=list)
    summary: dict[str, str] = field(default_factory=dict)

    def error(self) -> tuple[int | None, str]:
        """(code, text) of the reply's error_num; (0, "ok") for success."""
        raw = self.common.get("error_num", "")
        text = self.common.get("error", "") or raw
        code = to_int(self.common.get("error_code"), None)
        if code is None and raw.strip().lstrip("-").isdigit():
            code = int(raw)
        if code is None and text:
            code = (
                0 if text.strip().lower() == "ok" else match_text(text, _CODE_BY_TEXT)
            )
        if code is None and not raw and not text:
            code = 0  # pages such as http_out5 omit error_num on success
        return code, (text if not text.isdigit() else ERROR_TEXTS.get(code or 0, text))


def read_document(body: str) -> VendorDoc:
    """Any WEBSMS reply (txt, xml or json) as a VendorDoc; BodyError if unreadable."""
    kind = sniff(body)
    if kind == "ini":
        return _from_ini(body)
    if kind == "xml":
        return _from_xml(body)
    if kind == "json":
        return _from_json(parse_json(body))
    if kind == "text" and match_text(body, _CODE_BY_TEXT) is not None:
        # Assumption: a bare error text (seen on http_credit.asp) is the error_num.
        return VendorDoc(common={"error_num": body.strip()})
    raise BodyError(f"not a WEBSMS reply: {body[:80]!r}")


def _from_ini(body: str) -> VendorDoc:
    doc = VendorDoc()
    for name, values in parse_ini(body).items():
        fields = {key(k): v for k, v in values.items()}
        if name in ("common", "result", ""):
            doc.common.update(fields)
        elif name == "summary":
            doc.summary.update(fields)
        else:
            doc.items.append({"section": name, **fields})
    if "result" in doc.common and "error_num" not in doc.common:
        # http_addrbook.asp: result=<code>, mess=<text>
        doc.common["error_code"] = doc.common["result"]
        doc.common["error"] = doc.common.get("mess", "")
    return doc


def _from_xml(body: str) -> VendorDoc:
    try:
        root = parse_xml(body, recover=False)
    except BodyError:
        return _from_tags(body)  # the documented examples are not always XML
    doc = VendorDoc()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = key(element.tag.rpartition("}")[2])
        attrs = {key(k.rpartition("}")[2]): v for k, v in element.attrib.items()}
        _place(doc, tag, attrs, (element.text or "").strip(), element is root)
    return doc


def _from_tags(body: str) -> VendorDoc:
    """Regex fallback for malformed XML: every tag's attributes, quotes of any kind."""
    doc = VendorDoc()
    for index, match in enumerate(_TAG.finditer(body)):
        tag = key(match.group(1).rpartition(":")[2])
        attrs = {key(k.rpartition(":")[2]): v for k, v in _ATTR.findall(match.group(2))}
        _place(doc, tag, attrs, "", index == 0)
    if not (doc.common or doc.items):
        raise BodyError(f"malformed XML: {body[:80]!r}")
    return doc


def _place(doc: VendorDoc, tag: str, attrs: dict, text: str, is_root: bool) -> None:
    if tag in ("sms", "row"):
        doc.items.append(attrs)
    elif tag == "summary":
        doc.summary.update(attrs)
    elif tag in ("httpin", "httpout", "xml", "status"):
        doc.common.update(attrs)
    elif text and not attrs:
        # <BALANCE>, <PARTSDELETE>, <MONEYBACK>, <ERROR>: element text is the value.
        doc.common[tag if tag != "error" else "error_num"] = text
    elif is_root:
        doc.common.update(attrs)


def _from_json(data: object) -> VendorDoc:
    if not isinstance(data, dict):
        raise BodyError("JSON reply is not an object")
    doc = VendorDoc()
    for name, value in data.items():
        if name == "sms" and isinstance(value, list):
            doc.items = [{key(k): str(v) for k, v in item.items()} for item in value]
        elif name == "summary":
            # `summary` is a one-element list in the seed; accept an object too.
            rows = value if isinstance(value, list) else [value]
            for row in rows:
                doc.summary.update({key(k): str(v) for k, v in row.items()})
        else:
            doc.common[key(name)] = "" if value is None else str(value)
    for name in ("summ_phone", "summ_parts", "packet_cost"):
        if name in doc.common:
            doc.summary.setdefault(name, doc.common[name])
    return doc


def totals(doc: VendorDoc) -> dict[str, str]:
    """Summary fields wherever the format put them (xml: on <httpIn> itself)."""
    merged = {k: v for k, v in doc.common.items() if k.startswith(("summ_", "packet_"))}
    merged.update(doc.summary)
    return merged


def parse_time(value: str | None) -> datetime | None:
    """'17.09.2009 12:34:23' or '01.02.2019 3:45:17' (Moscow) -> aware; '' -> None."""
    match = _DATE.search(value or "")
    if not match:
        return None
    day, month, year, hour, minute, second = (int(g or 0) for g in match.groups())
    return datetime(year, month, day, hour, minute, second, tzinfo=MOSCOW)


def parse_rfc2822(value: str | None) -> datetime | None:
    """Callback dates: 'Wed, 28 Mar 2007 12:35:00 +0300' -> aware; junk -> None."""
    if not value or not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return parse_time(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=MOSCOW)


def parse_balance(body: str) -> str:
    """`3530,04` or `<BALANCE>3530,04</BALANCE>` -> '3530,04'; BodyError otherwise."""
    text = body.strip()
    if text.startswith("<"):
        doc = read_document(text)
        if "balance" in doc.common:
            return doc.common["balance"]
        raise BodyError(f"no balance in {text[:80]!r}")
    if re.fullmatch(r"-?\d[\d\s\u00a0]*(?:[.,]\d+)?", text):
        return text
    raise BodyError(f"not a balance: {text[:80]!r}")


def parse_delete(body: str) -> tuple[int, str, str]:
    """http_delete.asp -> (parts deleted, money back, error); txt `KEY: value` or xml."""
    text = body.strip()
    if text.startswith("<"):
        fields = read_document(text).common
    else:
        fields = {}
        for line in text.splitlines():
            name, sep, value = line.partition(":")
            if sep:
                fields[key(name)] = value.strip()
    if "deleted" not in fields:
        raise BodyError(f"not a delete reply: {text[:80]!r}")
    money = to_decimal(fields.get("moneyback")) or 0
    error = fields.get("error_num", fields.get("error", ""))
    return to_int(fields["deleted"], 0) or 0, str(money), error


@dataclass(frozen=True)
class CallbackStatus:
    message_id: str
    state: str  # the vendor word, verbatim
    result_id: str
    error: str
    packet_id: str
    occurred_at: datetime | None


_CALLBACK_STATE = re.compile(r"<state\b([^>]*)>\s*([^<]*?)\s*</state>", re.S)


def parse_callback(body: str) -> CallbackStatus:
    """Either documented `<status ...>` shape (§3.4) -> CallbackStatus."""
    if "<!DOCTYPE" in body.upper() or "<!ENTITY" in body.upper():
        # parse_xml would refuse it; the tolerant fallback below must not skip past it.
        raise BodyError("XML with a DTD or entities is refused")
    start = body.find("<status")
    if start < 0:
        raise BodyError("no <status> element")
    text = body[start:]
    try:
        root = parse_xml(text, recover=False)
        attrs = {key(k): v for k, v in root.attrib.items()}
        state = root.find("state")
        word = (state.text or "").strip() if state is not None else ""
        error = state.get("error", "") if state is not None else ""
        result_id = (root.findtext("result_id") or "").strip()
    except BodyError:
        head = _TAG.match(text)
        attrs = {key(k): v for k, v in _ATTR.findall(head.group(2))} if head else {}
        found = _CALLBACK_STATE.search(text)
        word = found.group(2) if found else ""
        error = dict(_ATTR.findall(found.group(1))).get("error", "") if found else ""
        result = re.search(r"<result_id>\s*(\d+)", text)
        result_id = result.group(1) if result else ""
    if not attrs.get("id"):
        raise BodyError("callback without a message id")
    return CallbackStatus(
        message_id=attrs["id"].strip(),
        state=word,
        result_id=result_id,
        error=error,
        packet_id=attrs.get("package", "").strip(),
        occurred_at=parse_rfc2822(attrs.get("date")),
    )


# Request forms and transport details (pure) --------------------------------------

CP1251, UTF8 = "cp1251", "utf-8"
VOICE_LANGUAGES = {"ru": "1", "en": "2", "tr": "3"}
# Voices in the doc's order (its table says 1-5 but lists six names).
VOICE_NAMES = ("жанна", "оксана", "алиса", "оммаж", "захар", "ермил")
VOICE_ALIASES = {"female": "3", "male": "5"}  # Assumption: Алиса / Захар
VIBER_TO_SMS_EITHER = "3"  # fall back to SMS: no Viber installed or unavailable


def send_params(
    sms: OutgoingSms,
    *,
    default_sender: str,
    options: Mapping[str, object],
    with_reference: bool,
) -> dict[str, str]:
    """The http_in5/http_in6/json_in5 parameters of one message (no credentials)."""
    params = {"phone_list": sms.phone, "message": _line_breaks(sms.text)}
    if sms.sender or default_sender:
        params["fromPhone"] = sms.sender or default_sender
    if with_reference and numeric(sms.reference):
        params["packet_id"] = params["message_id"] = sms.reference
    if sms.send_at:
        # Assumption: send_on is read in the zone `gmt` names. Seed 002 calls `gmt`
        # "+12..-12: the subscriber's time zone", and 0 (or none) the zone of the
        # cabinet's settings ("+4 (Moscow)" by default, which a user may have
        # changed); it does not say which zone send_on is in. The time goes in Moscow
        # time with Moscow's own offset, so it is the moment meant if send_on is read
        # in `gmt`; were it read in the cabinet's zone, it would leave that zone's
        # difference from Moscow's early or late (docs/gateways/websms.md).
        when = moscow_minute(sms.send_at)
        params["send_on"] = when.strftime("%d.%m.%Y %H:%M")
        params["gmt"] = gmt_offset(when)
    if sms.valid_until:
        start = moscow_minute(sms.send_at) if sms.send_at else datetime.now(UTC)
        minutes = math.ceil((sms.valid_until - start).total_seconds() / 60)
        longest = MAX_VALIDITY // timedelta(minutes=1)
        params["valid_period"] = str(min(longest, max(10, minutes)))
    if sms.translit:
        params["translit"] = "1"
    if sms.no_split:
        params["nosplit"] = "1"
    if sms.personal_link:
        params["fulltext"] = sms.personal_link
        params["chat"] = str(options.get("personal_link_chat", "0"))
    if sms.channel in (MessageChannel.VIBER, MessageChannel.VIBER_THEN_SMS):
        params.update(_viber_params(sms, options))
    elif sms.channel == MessageChannel.VOICE:
        params.update(_voice_params(sms.voice))
    return params


def gmt_offset(when: datetime) -> str:
    """`gmt` for a time written in `when`'s zone: its whole-hour offset from UTC, as
    an integer ("3" for Moscow). Never "0", which means the cabinet's zone instead:
    a UTC time would need an offset WEBSMS cannot be given, so times go in Moscow's."""
    offset = when.utcoffset()
    hours, rest = divmod(int(offset.total_seconds()) if offset else 0, 3600)
    if rest or not hours or not -12 <= hours <= 12:
        raise ValueError(f"WEBSMS cannot be given the offset of {when.isoformat()}")
    return str(hours)


def _line_breaks(text: str) -> str:
    # A line break inside the SMS is the two characters "\n" (doc §11).
    return text.replace("\r\n", "\n").replace("\n", "\\n")


def _viber_params(sms: OutgoingSms, options: Mapping[str, object]) -> dict[str, str]:
    params = {"mode": "viber"}
    if sms.channel == MessageChannel.VIBER_THEN_SMS:
        params["to_sms"] = str(options.get("viber_to_sms", VIBER_TO_SMS_EITHER))
    viber = sms.viber
    if viber is not None:
        params["message"] = _line_breaks(viber.text or sms.text)
        if viber.button_text:
            params["button"] = viber.button_text
        # Seed 002: the picture is the cabinet gallery's file, by its integer id;
        # a link (image_url) and a button URL have no parameter at all.
        if viber.image_id:
            params["id_fileid"] = viber.image_id
    return params


def _voice_params(voice: VoiceOptions | None) -> dict[str, str]:
    params = {"mode": "voice"}
    if voice is None:
        return params
    params["lang"] = VOICE_LANGUAGES.get(voice.language.lower(), "1")
    name = voice.voice.strip().lower()
    if name.isdigit():
        params["voice"] = name
    elif name in VOICE_NAMES:
        params["voice"] = str(VOICE_NAMES.index(name) + 1)
    elif name in VOICE_ALIASES:
        params["voice"] = VOICE_ALIASES[name]
    if voice.speed:
        params["temp"] = voice.speed
    if voice.tone:
        params["emotion"] = voice.tone.lower()
    return params


def numeric(reference: str) -> bool:
    """Whether our reference can travel as the vendor's integer packet/message id."""
    # Assumption: the vendor's ids are integers; 18 digits keep within a bigint.
    return reference.isdigit() and len(reference) <= 18


def fits_cp1251(*texts: str) -> bool:
    try:
        for text in texts:
            text.encode(CP1251)
    except UnicodeEncodeError:
        return False
    return True


def decode_body(data: bytes, declared: str | None) -> str:
    """Reply text: the declared charset, else UTF-8, else windows-1251."""
    # Assumption: txt replies of the cp1251 pages may be windows-1251 whatever the
    # header says (§3.12), so an undeclared body that is not UTF-8 is cp1251.
    for encoding in filter(None, (declared, UTF8)):
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(CP1251, "replace")


def phone_book_entry(item: Mapping[str, str], group_id: str) -> PhoneBookEntry:
    fields = ("id", "nick", "family", "date", "datereg")
    return PhoneBookEntry(
        phone=e164(item["phone"]),
        name=item.get("name", ""),
        group=item.get("group", group_id),
        extra={k: item[k] for k in fields if item.get(k)},
    )


def callback_xml(request: InboundRequest) -> str:
    """The <status> XML: the raw body, or any form/query field holding it (§3.4)."""
    # Assumption: the doc does not say whether the XML is the body or a parameter.
    raw = request.body.lstrip()
    if raw.startswith(b"<"):
        return decode_body(raw, None)
    # Seed 002 §2: every parameter is windows-1251; a form field is decoded in the
    # charset its bytes are in (Django's form took UTF-8 and garbled the error text).
    url_encoded = request.content_type == "application/x-www-form-urlencoded"
    form = request.form
    if raw and (url_encoded or not form):
        form = url_encoded_fields(raw)[0]
    # The query string likewise: Django's request.GET took it as UTF-8, and a
    # report posted by GET in windows-1251 lost its Russian error text.
    query = request.query
    if request.query_string:
        query = url_encoded_fields(request.query_string)[0]
    fields = [*form.values(), *query.values()]
    return next((v for v in fields if "<status" in v), decode_body(raw, None))

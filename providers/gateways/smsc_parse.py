"""Pure parsers and request builders for SMSC (REFERENCE.md §2, test vectors §5.2).

We always ask for `fmt=3` (JSON) and `charset=utf-8`, but SMSC's four answer formats
(fmt=0 text, 1 comma numbers, 2 XML, 3 JSON) all turn up in logs, support tickets and
when a mirror ignores a parameter, so every one of them reads into the same dict shape
as the JSON answer: `{"error": ..., "error_code": ...}` or the operation's own keys.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from providers.base import (
    DeliveryStatus,
    FailureReason,
    InboundRequest,
    IncomingMessage,
    MessageChannel,
    NumberInfo,
    OutgoingSms,
    SendResult,
    StatusReport,
)
from providers.parsing import (
    MOSCOW,
    BodyError,
    digits,
    e164,
    moscow_minute,
    parse_json,
    parse_xml,
    sender_address,
    sniff,
    to_decimal,
    to_int,
    url_encoded_fields,
)

logger = logging.getLogger("providers.smsc")

# Assumption: SMSC dates carry no zone and are Moscow time (public source: otetz
# responses.py parses them so; seed 001 gives only the format). Unix timestamps win.
MAX_VALIDITY = timedelta(hours=24)  # `valid`: 1 minute .. 24 h

# Status codes (REFERENCE §2.5) -> (our status, failure reason).
STATUS_TABLE: dict[str, tuple[DeliveryStatus, FailureReason | None]] = {
    "-3": (DeliveryStatus.UNKNOWN, None),  # message not found
    "-2": (DeliveryStatus.QUEUED, None),  # stopped (paused mailing)
    "-1": (DeliveryStatus.QUEUED, None),  # waiting to be sent
    "0": (DeliveryStatus.SENT, None),  # passed to the operator
    "1": (DeliveryStatus.DELIVERED, None),
    "2": (DeliveryStatus.READ, None),  # read (Viber / e-mail)
    "3": (DeliveryStatus.UNDELIVERED, FailureReason.EXPIRED),
    "4": (DeliveryStatus.DELIVERED, None),  # delivered and short link clicked
    "20": (DeliveryStatus.UNDELIVERED, FailureReason.UNREACHABLE),
    "22": (DeliveryStatus.REJECTED, FailureReason.INVALID_NUMBER),
    "23": (DeliveryStatus.REJECTED, FailureReason.CONTENT_REJECTED),  # prohibited
    "24": (DeliveryStatus.REJECTED, FailureReason.INSUFFICIENT_BALANCE),
    "25": (DeliveryStatus.UNDELIVERED, FailureReason.UNREACHABLE),
}

# `err` codes in status answers (REFERENCE §2.5), their meanings for vendor_text in
# the site's language (callbacks and workers run in it): the gateway sends only the
# number, and an English phrase beside its Russian status name read as neither.
ERR_TEXTS: dict[str, Promise] = {
    "1": _("subscriber does not exist"), "2": _("mailbox full"), "3": _("mail server not found"),
    "4": _("mailbox blocked"), "6": _("subscriber offline"), "11": _("no SMS service"),
    "12": _("subscriber's phone error"), "13": _("subscriber blocked"),
    "21": _("service not supported by handset"), "200": _("virtual sending (test mode)"),
    "219": _("SIM card replaced"), "220": _("operator queue overflow"),
    "237": _("subscriber did not answer"), "238": _("no template"),
    "239": _("forbidden IP address"), "240": _("subscriber busy"), "241": _("conversion error"),
    "242": _("answering machine detected"), "243": _("no contract"),
    "244": _("mailing prohibited for client"), "245": _("status not received within 24 h"),
    "246": _("time restriction"), "247": _("daily message limit exceeded"),
    "248": _("no route"), "249": _("invalid number format"),
    "250": _("number forbidden by account settings"),
    "251": _("per-number daily limit exceeded"), "252": _("number forbidden"),
    "253": _("blocked by spam filter"), "254": _("unregistered sender id"),
    "255": _("rejected by operator"),
}  # fmt: skip

# `err` codes that say more precisely why than the status code does.
ERR_REASONS: dict[str, FailureReason] = {
    "1": FailureReason.INVALID_NUMBER,
    "6": FailureReason.UNREACHABLE,
    "11": FailureReason.DESTINATION_CLOSED,
    "13": FailureReason.DESTINATION_CLOSED,
    "21": FailureReason.DESTINATION_CLOSED,
    "245": FailureReason.EXPIRED,
    "249": FailureReason.INVALID_NUMBER,
    # Assumption: the client's black list (phones.php add_black) shows up as 250,
    # SMSC's own stop list as 252.
    "250": FailureReason.STOP_LIST,
    "252": FailureReason.STOP_LIST,
    "253": FailureReason.CONTENT_REJECTED,
    "254": FailureReason.SENDER_NOT_ALLOWED,
}

_FMT0_ERROR = re.compile(r"^\s*ERROR\s*=\s*(-?\d+)\s*(?:\((.*?)\))?\s*(?:,\s*ID\s*-\s*(\S+))?\s*$", re.I | re.S)  # fmt: skip
_FMT0_PAIR = re.compile(r"(\w+)\s*[=-]\s*([^,]*)")
_XML_KEYS = frozenset({"id", "cnt", "cost", "balance", "error", "error_code", "status"})
_NUMBERS = re.compile(r"^\s*-?[\d.]+(\s*,\s*-?[\w.]*)*\s*$")


def decode(content: bytes, content_type: str = "") -> str:
    """Body bytes -> text: the declared charset, else UTF-8, else windows-1251.

    SMSC answers in windows-1251 unless `charset=utf-8` reached it (REFERENCE §2.15),
    and error bodies are often served without a charset in Content-Type.
    """
    match = re.search(r"charset=([\w-]+)", content_type or "", re.I)
    if match:
        try:
            return content.decode(match.group(1))
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1251", "replace")


def read_answer(text: str, *, operation: str = "send") -> Any:
    """Any SMSC answer format -> the fmt=3 shape (dict, or list for multi-answers).

    `operation` ("send", "cost", "status", "balance") names the fields of the
    positional fmt=1 and fmt=0 answers. Raises BodyError for what is no answer at all.
    """
    kind = sniff(text)
    if kind == "empty":
        raise BodyError("empty answer")
    if kind == "json":
        return parse_json(text)
    if kind == "xml":
        return _read_xml(text)
    return _read_text(text.strip(), operation)


def _read_xml(text: str) -> dict[str, str]:
    # fmt=2 send answers come without a root element (REFERENCE S8): wrap them.
    stripped = re.sub(r"^<\?xml[^>]*\?>", "", text.strip())
    root = parse_xml(f"<root>{stripped}</root>")
    if len(root) == 1 and len(root[0]):
        root = root[0]
    fields = {str(child.tag): (child.text or "").strip() for child in root}
    if not _XML_KEYS.intersection(fields):  # e.g. an HTML error page served with 200
        raise BodyError("XML answer without SMSC fields")
    return fields


def _read_text(text: str, operation: str) -> dict[str, Any]:
    error = _FMT0_ERROR.match(text)
    if error:
        answer: dict[str, Any] = {"error": error.group(2) or "", "error_code": error.group(1)}  # fmt: skip
        if error.group(3):
            answer["id"] = error.group(3)
        return answer
    if _NUMBERS.match(text):
        values = [v.strip() for v in text.split(",")]
        if operation == "balance" and len(values) == 2 and values[1].isdigit():
            return {"balance": text}  # "408,71": a decimal comma, not two fields
        if len(values) >= 2 and values[1].startswith("-") and operation != "status":
            return {"error": "", "error_code": values[1][1:], "id": values[0]}
        if operation == "status" and values[0] == "0" and values[1].startswith("-"):
            return {"error": "", "error_code": values[1][1:]}
        names = {
            "send": ("id", "cnt", "cost", "balance"),
            "cost": ("cost", "cnt"),
            "status": ("status", "last_timestamp", "err"),
            "balance": ("balance", "credit"),
        }[operation]
        return dict(zip(names, values, strict=False))
    if text.upper().startswith("OK"):
        # "OK - 2 SMS, ID - 12345, COST - 4.48"
        answer = {}
        sms = re.search(r"(\d+)\s*SMS", text, re.I)
        if sms:
            answer["cnt"] = sms.group(1)
        for key, value in _FMT0_PAIR.findall(text):
            if key.upper() in ("ID", "COST", "BALANCE"):
                answer[key.lower()] = value.strip()
        return answer
    if "=" in text:
        # "Status = 1, check_time = 10.10.2010 10:10:10, err = 0"
        return {k.strip().lower(): v.strip() for k, v in _FMT0_PAIR.findall(text)}
    raise BodyError(f"unrecognised answer: {text[:80]!r}")


def error_of(answer: Any) -> tuple[str, str, str] | None:
    """(code, text, message id) of an error answer, else None."""
    if isinstance(answer, dict) and ("error" in answer or "error_code" in answer):
        code = str(to_int(answer.get("error_code"), 0) or "")
        return code, str(answer.get("error") or ""), str(answer.get("id") or "")
    return None


def moscow_time(value: Any) -> datetime | None:
    """'10.10.2010 10:10:10' (Moscow) -> aware datetime; blank -> None."""
    text = str(value or "").strip()
    if not text:
        return None
    for pattern in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%y %H:%M"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=MOSCOW)
        except ValueError:
            continue
    raise BodyError(f"not an SMSC date: {text!r}")


def moscow_time_if_readable(value: Any) -> datetime | None:
    """moscow_time, or None for a time written otherwise.

    A report or a reply is still worth taking without its time (the time it arrives
    stands in): refusing the callback for it makes the gateway retry the same body
    for ever, and a STOP in it would never reach the stop list.
    """
    try:
        return moscow_time(value)
    except BodyError:
        logger.warning("SMSC: time %r not understood; the arrival time is used", value)
        return None


def unix_time(value: Any) -> datetime | None:
    """Unix seconds -> aware UTC datetime; 0 or blank -> None."""
    seconds = to_int(value, 0)
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds else None


def status_report(item: dict[str, Any], gateway_message_id: str) -> StatusReport:
    """One status.php answer (or callback) -> StatusReport, never raising on odd codes."""
    code = str(to_int(item.get("status"), None))
    status, reason = STATUS_TABLE.get(code, (DeliveryStatus.UNKNOWN, None))
    err = str(to_int(item.get("err"), 0) or "0")
    if err != "0" and status in (DeliveryStatus.UNDELIVERED, DeliveryStatus.REJECTED):
        reason = ERR_REASONS.get(err, reason)
    if status in (DeliveryStatus.UNDELIVERED, DeliveryStatus.REJECTED) and not reason:
        reason = FailureReason.OTHER
    text = str(item.get("status_name") or "")
    if err != "0":
        text = f"{text}; err {err}: {ERR_TEXTS.get(err, '')}".lstrip("; ")
    occurred = unix_time(item.get("last_timestamp") or item.get("ts"))
    if occurred is None:
        occurred = moscow_time_if_readable(item.get("last_date") or item.get("time"))
    return StatusReport(
        gateway_message_id=gateway_message_id,
        status=status,
        reason=reason,
        vendor_code=code if err == "0" else f"{code}/{err}",
        vendor_text=text,
        occurred_at=occurred,
        cost=to_decimal(item.get("cost")),
        segments=to_int(item.get("sms_cnt") or item.get("cnt"), None),
        operator=str(item.get("operator") or ""),
    )


# The fields each callback signs, in order, before the secret (REFERENCE §2.6).
STATUS_SIGNED = ("id", "phone", "status")
# Assumption: the page gives the status report's string; an incoming message is
# signed over its own fields the same way.
INCOMING_SIGNED = ("id", "phone", "mes", "to")


# The charsets SMSC writes in (the account's setting; REFERENCE §2.1).
CHARSETS = ("utf-8", "cp1251", "koi8-r")


def callback_checksums(
    form: Mapping[str, str], secret: str, charset: str = "utf-8"
) -> tuple[tuple[str, ...], list[str]]:
    """The fields a callback signs and the md5 it may carry: its values and the
    secret joined by ':', in the charset the callback came in.

    Assumption: a secret in Cyrillic is hashed in the account's charset too; a
    callback whose values are all ASCII does not tell which that is, so then each
    charset SMSC writes in gives a digest it may carry.
    """
    signed = INCOMING_SIGNED if is_incoming(form) else STATUS_SIGNED
    joined = ":".join([*(form.get(key, "") for key in signed), secret])
    charsets = [charset]
    if not joined.isascii() and all(form.get(k, "").isascii() for k in signed):
        charsets += [other for other in CHARSETS if other != charset]
    digests = [
        hashlib.md5(joined.encode(name, "replace")).hexdigest()  # noqa: S324
        for name in charsets
    ]
    return signed, digests


# Identity and request building ---------------------------------------------------

# SMSC's `id`: 1..2147483647 or up to 40 of [A-Za-z0-9._-] (REFERENCE §2.2).
# Assumption: an all-digit reference past 2147483647 (ours start at 10^9 to 10^12,
# campaigns 0040) is taken in the string form, as the document's wording allows. Were
# SMSC to read it as a number and refuse it, the fix must still look up the messages
# sent before it by the bare form, or the reconciler would release and resend them.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")


def smsc_id(reference: str) -> str:
    """Our reference as SMSC's `id`; references SMSC cannot carry are hashed stably."""
    if _VALID_ID.match(reference):
        return reference
    return "x" + hashlib.sha1(reference.encode("utf-8")).hexdigest()[:39]  # noqa: S324


def split_gateway_id(gateway_message_id: str) -> tuple[str, str] | None:
    """'<id>:<phone digits>' -> (id, digits); None for ids we never issued."""
    message_id, sep, phone = gateway_message_id.rpartition(":")
    return (message_id, phone) if sep and message_id and phone.isdigit() else None


def message_params(sms: OutgoingSms) -> dict[str, str]:
    """The send.php fields of one message (no credentials, fmt or charset)."""
    # A leading "+" stops SMSC from "correcting" the number, which would break the
    # later (id, phone) lookups.
    params = {"phones": "+" + digits(sms.phone), "mes": sms.text,
              "id": smsc_id(sms.reference), "sender": sms.sender}  # fmt: skip
    if sms.channel == MessageChannel.FLASH:
        params["flash"] = "1"
    elif sms.channel == MessageChannel.VIBER:
        params["viber"] = "1"
        if sms.viber:  # Assumption: Viber buttons have no send.php parameter
            params["mes"] = sms.viber.text or sms.text
            params["sender"] = sms.viber.sender or sms.sender
            if sms.viber.image_url:
                params["fileurl"] = sms.viber.image_url
    elif sms.channel == MessageChannel.VOICE:
        params["call"] = "1"
        voice = sms.voice.voice if sms.voice else ""
        params["voice"] = {"male": "m", "female": "w"}.get(voice, voice or "m")
    if sms.translit:
        params["translit"] = "1"
    if sms.send_at:
        # DD.MM.YY hh:mm with tz=0: Moscow time, stated so the account's own zone
        # setting cannot shift it.
        params["time"] = moscow_minute(sms.send_at).strftime("%d.%m.%y %H:%M")
        params["tz"] = "0"
    if sms.valid_until:
        start = moscow_minute(sms.send_at) if sms.send_at else timezone.now()
        # Rounded up, as WEBSMS's: `start` is read after the caller's clock (or is
        # the send time rounded up to the minute), so a whole period counts a few
        # seconds short here and went out a minute short ("02:59" for 3 hours).
        minutes = math.ceil((sms.valid_until - start) / timedelta(minutes=1))
        minutes = min(max(minutes, 1), MAX_VALIDITY // timedelta(minutes=1))
        params["valid"] = f"{minutes // 60:02d}:{minutes % 60:02d}"
    return params


def phone_entry(answer: Any, phone: str) -> dict | None:
    for entry in answer.get("phones") or [] if isinstance(answer, dict) else []:
        if isinstance(entry, dict) and digits(str(entry.get("phone", ""))) == phone:
            return entry
    return None


def callback_fields(request: InboundRequest, *, strip: bool = True) -> dict[str, str]:
    """Query string and form fields together (SMSC may use either; form wins).

    Checksums are computed over the values as sent: verify with strip=False.
    """
    fields, _charset = callback_form(request)
    return {k: v.strip() if strip else v for k, v in fields.items()}


def is_incoming(fields: Mapping[str, str]) -> bool:
    """An incoming message has a text; a status report has none."""
    return "mes" in fields


# The last request decoded in this thread and its fields: verifying, telling a reply
# from a status and parsing each read the same callback.
_decoded = threading.local()


def callback_form(request: InboundRequest) -> tuple[dict[str, str], str]:
    """The callback's fields decoded from the bytes sent, and their charset (decoded
    once per request; each caller gets its own copy of the fields).

    Assumption: like every SMSC answer, a callback is in windows-1251 unless the
    account is set to UTF-8; whichever decodes is taken, so a reply in Cyrillic (a
    СТОП) arrives readable and its checksum matches.
    """
    last = getattr(_decoded, "last", None)
    if last is None or last[0] is not request:
        last = _decoded.last = (request, *_decode_callback(request))
    return dict(last[1]), last[2]


def _decode_callback(request: InboundRequest) -> tuple[dict[str, str], str]:
    query, charset = url_encoded_fields(request.query_string)
    if not request.query_string:
        query = dict(request.query)
    form: dict[str, str] = dict(request.form)
    if request.body and request.content_type == "application/x-www-form-urlencoded":
        form, form_charset = url_encoded_fields(request.body)
        charset = form_charset if form else charset
    return {**query, **{k: str(v) for k, v in form.items()}}, charset


def incoming_message(
    item: Mapping[str, Any], *, text_key: str, to_key: str
) -> IncomingMessage:
    received = moscow_time_if_readable(item.get("received") or item.get("time"))
    if received is None:
        received = unix_time(item.get("ts")) or moscow_time_if_readable(
            item.get("sent")
        )
    return IncomingMessage(
        gateway_message_id=str(item.get("id", "")),
        phone=sender_address(str(item.get("phone", ""))),
        text=str(item.get(text_key) or ""),
        received_at=received,
        to=str(item.get(to_key) or ""),
    )


def refused_result(
    sms: OutgoingSms, error: tuple[str, str, str], entry: Mapping[str, Any] | None
) -> SendResult:
    """A REJECTED result from a send error (7/8) and/or the recipient's `phones` entry.

    Assumption: with op=1 SMSC lists every number in `phones`, also in an error answer
    (REFERENCE §2.2 shows the list only in success answers).
    """
    err = str((entry or {}).get("error") or "")
    reason = ERR_REASONS.get(err) or {
        "7": FailureReason.INVALID_NUMBER,
        "8": FailureReason.UNREACHABLE,
    }.get(error[0], FailureReason.OTHER)
    return SendResult(
        reference=sms.reference,
        gateway_message_id="",
        status=DeliveryStatus.REJECTED,
        reason=reason,
        vendor_code="/".join(c for c in (error[0], err) if c),
        vendor_text="; ".join(t for t in (error[1], str(ERR_TEXTS.get(err, ""))) if t),
    )


def number_info(number: str, item: Mapping[str, Any], *, raw: str = "") -> NumberInfo:
    """An HLR status answer (status.php all=2) -> NumberInfo."""
    code = str(to_int(item.get("status"), None))
    operator = str(item.get("operator") or "")
    original = str(item.get("operator_orig") or "")
    return NumberInfo(
        phone=e164(number),
        operator=operator,
        region=str(item.get("region") or ""),
        country=str(item.get("country") or ""),
        ported=(operator != original) if operator and original else None,
        reachable={"1": True, "20": False, "22": False, "25": False}.get(code),
        raw=raw,
    )


def submitted_result(reference: str, report: StatusReport) -> SendResult:
    """The SendResult of a submit found afterwards through status.php."""
    status = report.status
    return SendResult(
        reference=reference,
        gateway_message_id=report.gateway_message_id,
        # Found but unmappable still means SMSC holds it: it was accepted.
        status=DeliveryStatus.QUEUED if status == DeliveryStatus.UNKNOWN else status,
        reason=report.reason,
        vendor_code=report.vendor_code,
        vendor_text=report.vendor_text,
        segments=report.segments,
        cost=report.cost,
    )

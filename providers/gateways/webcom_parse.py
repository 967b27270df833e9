"""Pure builders and parsers of the Webcom Mobi / mysmpp bodies (XML, JSON, HTTP GET).

No I/O here: `providers.gateways.webcom` sends what these build and feeds back what the
gateway answered. Everything is tolerant about form (REFERENCE.md §0.2, §1.17): padded
texts, unknown attributes (`id_turn`), numbers as strings, `Unlim` counts, empty times,
Russian or English error texts.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from lxml import etree

from providers.base import (
    DeliveryStatus,
    FailureReason,
    IncomingMessage,
    MessageChannel,
    NumberInfo,
    OutgoingSms,
    PhoneBookEntry,
    ScheduledMessage,
    SenderNameInfo,
    SendResult,
    StatusReport,
)
from providers.exceptions import (
    AuthenticationFailed,
    GatewayError,
    GatewayRefused,
    GatewayUnavailable,
    InsufficientBalance,
    SenderNotAllowed,
)
from providers.parsing import (
    MOSCOW,
    BodyError,
    digits,
    e164,
    match_text,
    moscow_minute,
    parse_xml,
    sender_address,
    to_decimal,
    to_int,
)
from smsportal.lib.values import quick_init

# Assumption: the platform's clock is Moscow time (the docs give bare local times).
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8" ?>'

STATUS_MAP: Mapping[str, DeliveryStatus] = {
    "send": DeliveryStatus.SENT,  # handed to the operator, no receipt yet (time="")
    "deliver": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,  # Viber read receipt; implies delivered
    "not_deliver": DeliveryStatus.UNDELIVERED,
    "expired": DeliveryStatus.UNDELIVERED,  # reason EXPIRED
    # "sent, but the status was not received": REFERENCE §1.6 proposes unknown. It
    # ranks below SENT, so it never erases a better status.
    "partly_deliver": DeliveryStatus.UNKNOWN,
}
STATUS_REASONS: Mapping[str, FailureReason] = {
    # Assumption: the doc gives no cause for not_deliver; the operator could not
    # reach the handset is the common one.
    "not_deliver": FailureReason.UNREACHABLE,
    "expired": FailureReason.EXPIRED,
}

# Document-level error texts (the whole request failed), RU and EN (seed 000, 004;
# REFERENCE §1.1). Matched as normalised substrings, longest first.
ERROR_MAP: Mapping[str, type[GatewayRefused]] = {
    "Неправильный логин или пароль": AuthenticationFailed,
    "Incorrect login or password": AuthenticationFailed,
    "Ваш аккаунт заблокирован": AuthenticationFailed,
    "Your account is locked": AuthenticationFailed,
    "аккаунт заблокирован": AuthenticationFailed,
    "Account blocked": AuthenticationFailed,
    "We have run out of SMS": InsufficientBalance,
    "Out of SMS": InsufficientBalance,
    # Assumption: Russian wording of the out-of-SMS texts (only the EN one is published).
    "закончились SMS": InsufficientBalance,
    "закончились СМС": InsufficientBalance,
    "No sender": SenderNotAllowed,
    "The sender must not exceed": SenderNotAllowed,
    "There is no such sender": SenderNotAllowed,
    "The sender has not been moderated": SenderNotAllowed,
    # Assumption: Russian wording of the sender texts (only the EN ones are published).
    "Не указан отправитель": SenderNotAllowed,
    "Такого отправителя не существует": SenderNotAllowed,
    "Отправитель не прошел модерацию": SenderNotAllowed,
    "Имя отправителя не должно превышать": SenderNotAllowed,
    "Неправильный формат XML документа": GatewayRefused,
    "Incorrect XML document format": GatewayRefused,
    "Неправильный формат JSON документа": GatewayRefused,
    "Incorrect JSON document format": GatewayRefused,
    "POST данные отсутствуют": GatewayRefused,
    "POST data is missing": GatewayRefused,
}

# Per-recipient error texts (seed 004 EN list; RU texts seen by public clients, plus
# assumed RU stems where only the EN text is published).
RECIPIENT_ERRORS: Mapping[str, FailureReason] = {
    "We have run out of SMS": FailureReason.INSUFFICIENT_BALANCE,
    "Out of SMS": FailureReason.INSUFFICIENT_BALANCE,
    "закончились SMS": FailureReason.INSUFFICIENT_BALANCE,
    "закончились СМС": FailureReason.INSUFFICIENT_BALANCE,
    "Account blocked": FailureReason.GATEWAY_ERROR,
    "аккаунт заблокирован": FailureReason.GATEWAY_ERROR,
    "Specify phone number": FailureReason.INVALID_NUMBER,
    "Укажите номер телефона": FailureReason.INVALID_NUMBER,
    "Phone number must be less than 15 characters": FailureReason.INVALID_NUMBER,
    "Номер телефона должен быть": FailureReason.INVALID_NUMBER,
    "Phone number is on the stop list": FailureReason.STOP_LIST,
    "стоп-лист": FailureReason.STOP_LIST,
    "This destination is closed": FailureReason.DESTINATION_CLOSED,
    "направление закрыто": FailureReason.DESTINATION_CLOSED,
    "SMS text rejected by moderator": FailureReason.CONTENT_REJECTED,
    "отклонен модератором": FailureReason.CONTENT_REJECTED,
    "No sender": FailureReason.SENDER_NOT_ALLOWED,
    "The sender must not exceed": FailureReason.SENDER_NOT_ALLOWED,
    "There is no such sender": FailureReason.SENDER_NOT_ALLOWED,
    "The sender has not been moderated": FailureReason.SENDER_NOT_ALLOWED,
    "отправител": FailureReason.SENDER_NOT_ALLOWED,
    "No message text": FailureReason.CONTENT_REJECTED,
    "Нет текста": FailureReason.CONTENT_REJECTED,
    "No link": FailureReason.OTHER,
    "Provide the contact name": FailureReason.OTHER,
}

UNLIMITED_WORDS = frozenset({"unlim", "безлимит", "unlimited"})


@quick_init  # one a message of a batch
@dataclass(frozen=True, slots=True)
class Information:
    """One recipient's line of a send answer."""

    number: int | None  # number_sms echoed back, when the dialect echoes it
    id_sms: str
    parts: int | None
    text: str  # "send" on success, otherwise the vendor's error text

    @property
    def accepted(self) -> bool:
        return self.text.strip().lower() == "send" and bool(self.id_sms)


# Times -----------------------------------------------------------------------------


_PADDED_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2})?\Z")


def parse_time(value: object) -> datetime | None:
    """'2011-01-01 12:57:46' / '2011-11-14 21:00' (Moscow) -> aware; blanks -> None."""
    text = str(value or "").strip()
    if not text or text.startswith("0000"):
        return None
    if _PADDED_TIME.match(text):
        # The usual zero-padded shape: fromisoformat is a tenth of strptime's cost,
        # which every delivery report paid.
        try:
            return datetime.fromisoformat(text).replace(tzinfo=MOSCOW)
        except ValueError:
            return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=MOSCOW)
        except ValueError:
            continue
    return None  # the docs show impossible dates (2012-02-31): never crash on one


def vendor_time(moment: datetime, *, seconds: bool = True) -> str:
    """An aware datetime as the platform's Moscow wall-clock text."""
    if moment.tzinfo is None:
        raise ValueError("vendor times need an aware datetime")
    local = moment.astimezone(MOSCOW)
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def send_time(moment: datetime) -> str:
    """`time_send` has minute precision: rounded up so nothing leaves before it is due."""
    return vendor_time(moscow_minute(moment), seconds=False)


# Our side of the request -----------------------------------------------------------


def client_id(reference: str) -> str:
    """Our reference as `client_id_sms`.

    Assumption: the JSON docs type the field as Int, so only digits are safe. Our
    message references are primary keys (digits) and go as they are; anything else is
    mapped to a stable 18-digit number, the same in every dialect, so a resend through
    another dialect still dedupes.
    """
    if reference.isdigit() and len(reference) <= 18:
        return reference
    digest = hashlib.sha256(reference.encode("utf-8")).hexdigest()
    return str(int(digest[:15], 16))


VIBER_CHANNELS = frozenset({MessageChannel.VIBER, MessageChannel.VIBER_THEN_SMS})


def sms_text(sms: OutgoingSms) -> str:
    """What goes in <text>. A Viber-only message has no SMS, but seed 004 marks
    <text> required without naming a channel: it carries the Viber text again.
    Assumption: the platform reads <text> of a Viber-only message as nothing it
    sends; this way no text the user did not mean to send leaves in the request,
    and a platform that insists on <text> ("No message text") still finds one."""
    if sms.channel == MessageChannel.VIBER and sms.viber and sms.viber.text:
        return sms.viber.text
    return sms.text


def message_fields(sms: OutgoingSms) -> dict[str, str]:
    """The message-level fields (shared by every recipient of one <message>)."""
    fields = {"sender": sms.sender, "text": sms_text(sms)}
    if sms.channel in VIBER_CHANNELS:
        viber = sms.viber
        fields["type_send_1"] = "viber"
        if sms.channel == MessageChannel.VIBER_THEN_SMS:
            fields["type_send_2"] = "sms"
        fields["sender_viber"] = (viber.sender if viber else "") or sms.sender
        fields["text_viber"] = (viber.text if viber else "") or sms.text
        if viber and viber.button_text:
            fields["button_viber"] = viber.button_text
        if viber and viber.button_url:
            fields["action_viber"] = viber.button_url
        if viber and viber.image_url:
            fields["image_viber"] = viber.image_url
    else:
        fields["type_send_1"] = "sms"
        fields["type"] = "flashsms" if sms.channel == MessageChannel.FLASH else "sms"
    return fields


def recipient_fields(sms: OutgoingSms, number: int) -> dict[str, str]:
    fields = {
        "phone": digits(sms.phone),
        "number_sms": str(number),
        "client_id_sms": client_id(sms.reference),
    }
    if sms.send_at is not None:
        fields["time_send"] = send_time(sms.send_at)
    if sms.valid_until is not None:
        until = vendor_time(sms.valid_until)
        viber = sms.channel in (MessageChannel.VIBER, MessageChannel.VIBER_THEN_SMS)
        fields["validity_period_viber" if viber else "validity_period"] = until
        if sms.channel == MessageChannel.VIBER_THEN_SMS:
            fields["validity_period"] = until
    return fields


MESSAGE_ATTRIBUTES = ("type_send_1", "type_send_2", "type")


def group_messages(
    batch: Sequence[OutgoingSms],
) -> list[tuple[dict[str, str], list[tuple[int, OutgoingSms]]]]:
    """Recipients sharing text, sender and channel go in one <message>, in batch order.

    Each recipient keeps its 1-based position in the batch as `number_sms`.
    """
    return [
        (message_fields(recipients[0][1]), recipients)
        for recipients in _grouped(batch).values()
    ]


def written_order(batch: Sequence[OutgoingSms]) -> list[int]:
    """The recipients' batch numbers (1-based) in the order a request lists them."""
    return [number for group in _grouped(batch).values() for number, _sms in group]


def _grouped(
    batch: Sequence[OutgoingSms],
) -> dict[tuple, list[tuple[int, OutgoingSms]]]:
    """The recipients of each <message>, by (channel, sender, Viber content, text): all
    that message_fields reads. Keyed on them, not on the fields: a personalised batch
    has a message per recipient, and building the fields to compare them cost more
    than writing them."""
    groups: dict[tuple, list[tuple[int, OutgoingSms]]] = {}
    for number, sms in enumerate(batch, start=1):
        channel = sms.channel
        viber = sms.viber if channel in VIBER_CHANNELS else None
        key = (channel, sms.sender, viber, sms_text(sms))
        recipients = groups.get(key)
        if recipients is None:
            groups[key] = [(number, sms)]
        else:
            recipients.append((number, sms))
    return groups


def security_element(credentials: Mapping[str, str]) -> etree._Element:
    security = etree.Element("security")
    if credentials.get("token"):
        etree.SubElement(security, "token", value=credentials["token"])
    else:
        etree.SubElement(security, "login", value=credentials.get("login", ""))
        etree.SubElement(security, "password", value=credentials.get("password", ""))
    return security


def xml_request(
    credentials: Mapping[str, str], *children: etree._Element, security_first=True
) -> bytes:
    """A <request> document as the platform wants it.

    The white-label doc of the same engine (REFERENCE §1.1): no raw line breaks in
    the posted XML, and a line break inside data is sent as `\\n`. The body is one
    line; a line break in a text goes as those two characters, as WEBSMS wants it
    too. Assumption: the platform reads them back as a line break (the doc says no
    more); attributes, which never hold message text, keep lxml's `&#10;`.
    """
    root = etree.Element("request")
    if security_first:
        root.append(security_element(credentials))
    root.extend(children)
    if not security_first:
        root.append(security_element(credentials))
    body = etree.tostring(root, encoding="utf-8").replace(b"\r", b"&#13;")
    # lxml writes a line break in an attribute as &#10;: a raw one is in a text.
    return XML_DECLARATION.encode() + body.replace(b"\n", b"\\n")


def xml_send_request(
    batch: Sequence[OutgoingSms], credentials: Mapping[str, str]
) -> bytes:
    """The send document, serialised as `xml_request` would serialise its elements.

    Built as text: with a personalised text every recipient is a <message> of its own,
    and four lxml elements per recipient cost more CPU than the request's HTTP.
    """
    out = [XML_DECLARATION, "<request>"]
    # Everything of a <message> up to its text, per (channel, sender, Viber content):
    # a personalised SMS batch shares it across its recipients' messages. A Viber
    # message's head may hold its text (text_viber, when the Viber text is empty).
    heads: dict[tuple, str] = {}
    for key, recipients in _grouped(batch).items():
        channel, sender, viber, text = key
        head_key = key if channel in VIBER_CHANNELS else (channel, sender)
        head = heads.get(head_key)
        if head is None:
            fields = message_fields(recipients[0][1])
            del fields["text"]  # the last of MESSAGE_ELEMENTS: written below
            head = heads[head_key] = _message_start(fields) + "<text>"
        out += [head, _xml_text(text), "</text>"]
        out += [_abonent(sms, number) for number, sms in recipients]
        out.append("</message>")
    # The documented order: messages first, then <security>.
    security = etree.tostring(security_element(credentials), encoding="unicode")
    out += [security, "</request>"]
    return "".join(out).encode()


def _message_start(fields: Mapping[str, str]) -> str:
    attributes = "".join(
        [f' {name}="{_xml_attribute(fields[name])}"'
         for name in MESSAGE_ATTRIBUTES if name in fields]
    )  # fmt: skip
    elements = "".join(
        [f"<{name}>{_xml_text(fields[name])}</{name}>"
         for name in MESSAGE_ELEMENTS if name in fields]
    )  # fmt: skip
    return f"<message{attributes}>{elements}"


def _abonent(sms: OutgoingSms, number: int) -> str:
    if sms.send_at is None and sms.valid_until is None:
        # Most recipients: recipient_fields' three attributes, written directly (digits
        # only, nothing to escape); a batch has hundreds of them.
        return (
            f'<abonent phone="{digits(sms.phone)}" number_sms="{number}"'
            f' client_id_sms="{client_id(sms.reference)}"/>'
        )
    attributes = "".join(
        [f' {name}="{_xml_attribute(value)}"'
         for name, value in recipient_fields(sms, number).items()]
    )  # fmt: skip
    return f"<abonent{attributes}/>"


# In the documented order; the text last (xml_send_request writes what comes before it
# once for all the messages that differ only in their text).
MESSAGE_ELEMENTS = ("sender_viber", "text_viber", "button_viber", "action_viber",
                    "image_viber", "sender", "text")  # fmt: skip
# What xml_request writes for these characters: lxml's escapes, and a line break in
# a text as the two characters \n (no raw line breaks in the posted XML).
_MARKUP_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))
_TEXT_ESCAPES = (*_MARKUP_ESCAPES, ("\n", "\\n"))
_ATTRIBUTE_ESCAPES = (*_MARKUP_ESCAPES, ("\n", "&#10;"), ('"', "&quot;"),
                      ("\t", "&#9;"))  # fmt: skip
# Characters XML 1.0 cannot carry at all; lxml refuses them with a ValueError.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Most values have none of the above: one search, and they go as they are.
_ANY_SPECIAL = re.compile(
    '[&<>"\t\r\n\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]'
)


def _escaped(value: str, escapes: tuple[tuple[str, str], ...]) -> str:
    if not _ANY_SPECIAL.search(value):
        return value
    if _NOT_XML.search(value):
        raise ValueError(
            "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or "
            "control characters"
        )
    for char, reference in escapes:
        value = value.replace(char, reference)
    return value


def _xml_text(value: str) -> str:
    return _escaped(value, _TEXT_ESCAPES)


def _xml_attribute(value: str) -> str:
    return _escaped(value, _ATTRIBUTE_ESCAPES)


def json_send_request(
    batch: Sequence[OutgoingSms], credentials: Mapping[str, str]
) -> bytes:
    """Assumption (REFERENCE §1.3): `message` mirrors the XML names with `phones[]`;
    several messages go as a list of such objects."""
    messages = []
    for fields, recipients in group_messages(batch):
        message: dict[str, Any] = dict(fields)
        message["phones"] = [recipient_fields(sms, n) for n, sms in recipients]
        messages.append(message)
    payload = {
        **credentials,
        "message": messages[0] if len(messages) == 1 else messages,
    }
    return json_bytes(payload)


def json_bytes(data: object) -> bytes:
    # ensure_ascii=False keeps Cyrillic readable and secrets redactable in the log.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def get_send_groups(
    batch: Sequence[OutgoingSms],
) -> list[list[tuple[int, OutgoingSms]]]:
    """The recipients of each sendsms.php request: one message, and one validity, as
    the request has one `validity_period` for all its recipients."""
    requests: list[list[tuple[int, OutgoingSms]]] = []
    for _fields, recipients in group_messages(batch):
        by_validity: dict[datetime | None, list[tuple[int, OutgoingSms]]] = {}
        for number, sms in recipients:
            by_validity.setdefault(sms.valid_until, []).append((number, sms))
        requests.extend(by_validity.values())
    return requests


def get_send_params(
    recipients: Sequence[OutgoingSms], credentials: Mapping[str, str]
) -> dict[str, str]:
    """sendsms.php parameters for recipients sharing one message (REFERENCE §1.4)."""
    first = recipients[0]
    fields = message_fields(first)
    params = {**credentials, "sadr": fields.pop("sender"), "text": fields.pop("text")}
    params["dadr"] = ",".join(digits(sms.phone) for sms in recipients)
    fields.pop("type", None)  # flash and scheduling are not in the GET spec
    # Assumption: the Viber and cascade fields (type_send_1/2, text_viber, ...) go
    # under the XML names; seed 003 lists only the pages' titles (REFERENCE §1.4).
    params.update(fields)
    if first.valid_until is not None:
        # The GET spec gives validity_period with minute precision.
        params["validity_period"] = vendor_time(first.valid_until, seconds=False)
    return params


# Answers ---------------------------------------------------------------------------


def read_xml(body: bytes) -> etree._Element:
    """Strict first; the recovering parser only for complete documents.

    A truncated answer (connection cut mid-body) must not pass as a shorter valid one:
    a balance of "50" read from "500.00" is worse than an error.
    """
    try:
        root = parse_xml(body, recover=False)
    except BodyError:
        end = body.rstrip()
        if not end.endswith(b">") or b"</response" not in end[-40:]:
            raise BodyError("truncated or malformed XML answer") from None
        root = parse_xml(body, recover=True)
    if root is None or not isinstance(root.tag, str):
        raise BodyError("no XML root element")
    return root


def xml_error(root: etree._Element) -> str | None:
    """The text of a document-level <error>, if the answer is one."""
    error = root if root.tag == "error" else root.find("error")
    if error is None:
        return None
    return (error.text or "").strip()


def json_error(data: Any) -> str | None:
    if isinstance(data, dict) and "error" in data and "information" not in data:
        return str(data.get("error") or "").strip()
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        only = data[0]
        if set(only) == {"error"}:
            return str(only["error"] or "").strip()
    return None


def parse_xml_send(root: etree._Element) -> list[Information]:
    return [
        Information(
            _plain_int(item.get("number_sms")),
            (item.get("id_sms") or "").strip(),
            _plain_int(item.get("parts")),
            (item.text or "").strip(),
        )
        for item in root.iter("information")
    ]


def _plain_int(value: str | None) -> int | None:
    """to_int for an attribute read for each recipient of every batch: the usual
    plain digits without its checks."""
    if value and value.isdigit() and value.isascii():
        return int(value)
    return to_int(value)


def parse_json_send(data: Any) -> list[Information]:
    items = data.get("information") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise BodyError("no 'information' list in the JSON send answer")
    result = []
    for item in items:
        if not isinstance(item, dict):
            raise BodyError(f"unexpected send answer item {item!r}")
        error = str(item.get("error") or "").strip()
        state = str(item.get("state") or "").strip()
        result.append(
            Information(
                number=to_int(item.get("number_sms")),
                id_sms="" if error else str(item.get("id_sms") or "").strip(),
                parts=to_int(item.get("parts")),
                text=error or state,
            )
        )
    return result


def parse_get_send(text: str, count: int) -> list[Information]:
    """sendsms.php answers comma-separated tokens, one per recipient, in `dadr` order.

    Assumption (REFERENCE §1.4, format unknown): a numeric token is the id, anything
    else that recipient's error text; a trailing `,0` terminator (seen in a public
    client) is dropped.
    """
    tokens = [token.strip() for token in text.strip().split(",")]
    if len(tokens) == count + 1 and tokens[-1] == "0":
        tokens = tokens[:-1]
    if len(tokens) != count:
        raise BodyError(f"{len(tokens)} answers for {count} recipients")
    return [
        Information(
            number=index,
            id_sms=token if token.isdigit() else "",
            parts=None,
            text="send" if token.isdigit() else token,
        )
        for index, token in enumerate(tokens, start=1)
    ]


def recipient_reason(text: str) -> FailureReason:
    return match_text(text, RECIPIENT_ERRORS) or FailureReason.GATEWAY_ERROR


def state_report(
    id_sms: object,
    state: object,
    *,
    time: object = "",
    channels: Mapping[str, str] | None = None,
    cost: Decimal | None = None,
    parts: int | None = None,
) -> StatusReport:
    word = str(state or "").strip()
    status = STATUS_MAP.get(word.lower(), DeliveryStatus.UNKNOWN)
    detail = " ".join(f"{k}={v}" for k, v in (channels or {}).items() if v)
    return StatusReport(
        gateway_message_id=str(id_sms).strip(),
        status=status,
        reason=STATUS_REASONS.get(word.lower()),
        vendor_code=word,
        vendor_text=detail,
        occurred_at=parse_time(time),
        cost=cost,
        segments=parts,
    )


def parse_xml_states(root: etree._Element) -> list[StatusReport]:
    """<state id_sms time sms viber>word</state>, from state.php and the webhook."""
    reports = []
    for item in root.iter("state"):
        id_sms = (item.get("id_sms") or "").strip()
        if not id_sms:
            continue  # nothing to attach it to; an unlisted id is re-sent by the vendor
        channels = {k: item.get(k, "").strip() for k in ("sms", "viber")}
        reports.append(
            state_report(id_sms, item.text, time=item.get("time"), channels=channels)
        )
    return reports


def parse_json_states(data: Any) -> list[StatusReport]:
    """json/state.php (`time_change_state`, detail prices) and the JSON webhook (`time`)."""
    if isinstance(data, list):
        items = data
    elif isinstance(data, dict) and isinstance(data.get("state"), list):
        items = data["state"]  # a wrapper object holding the list
    else:
        # Assumption: a lone object is one report (its "state" is the status word).
        items = [data]
    reports = []
    for item in items:
        if not isinstance(item, dict) or not str(item.get("id_sms") or "").strip():
            continue
        parts = to_int(item.get("num_parts"))
        price = to_decimal(item.get("price"))
        # Assumption: `price` is per part (doc: "price per part"), so cost = price x parts.
        cost = price * parts if price is not None and parts else price
        channels = {k: str(item.get(k) or "") for k in ("sms", "viber")}
        reports.append(
            state_report(
                item["id_sms"],
                item.get("state"),
                time=item.get("time_change_state", item.get("time")),
                channels=channels,
                cost=cost,
                parts=parts,
            )
        )
    return reports


@dataclass(frozen=True, slots=True)
class BalanceInfo:
    money: Decimal
    currency: str
    areas: dict[str, int | None]  # area -> messages left; None = unlimited / unknown


def _count(value: object) -> int | None:
    text = str(value or "").strip()
    if text.lower() in UNLIMITED_WORDS:
        return None
    try:
        return to_int(text)
    except BodyError:
        return None


def currency_code(value: str) -> str:
    # RUR is the pre-1998 code the platform still prints; we store ISO RUB.
    code = (value or "").strip().upper()
    return "RUB" if code in ("", "RUR", "РУБ", "RUB") else code


def parse_xml_balance(root: etree._Element) -> BalanceInfo:
    money = root.find("money")
    if money is None:
        raise BodyError("no <money> in the balance answer")
    areas = {(s.get("area") or "").strip(): _count(s.text) for s in root.iter("sms")}
    return BalanceInfo(
        to_decimal(money.text) or Decimal(0), currency_code(money.get("currency", "")),
        areas,
    )  # fmt: skip


def parse_json_balance(data: Any) -> BalanceInfo:
    if not isinstance(data, dict) or "money" not in data:
        raise BodyError("no 'money' in the balance answer")
    areas = {}
    for item in data.get("information") or []:
        if isinstance(item, dict):
            count = item.get("num_sms", item.get("sms"))  # the doc table says `sms`
            areas[str(item.get("area") or "").strip()] = _count(count)
    money = to_decimal(data["money"]) or Decimal(0)
    return BalanceInfo(money, currency_code(str(data.get("currency") or "")), areas)


def parse_get_balance(text: str) -> BalanceInfo:
    """Two lines: amount, then currency (public client webcom-js)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        raise BodyError("empty balance answer")
    return BalanceInfo(
        to_decimal(lines[0]) or Decimal(0),
        currency_code(lines[1] if len(lines) > 1 else ""), {},
    )  # fmt: skip


def home_area_count(areas: Mapping[str, int | None]) -> int | None:
    """Messages left for Russia: counts are per destination and never add up."""
    for name in ("Russia", "Россия", "RU"):
        if name in areas:
            return areas[name]
    return None


def parse_bool(value: object) -> bool:
    return str(value or "").strip().lower() in ("true", "yes", "1")


def pages(root: etree._Element) -> tuple[int, int]:
    """(page, num_pages) of a paged answer; (1, 1) when it does not say."""
    holder = root.find("phones")
    if holder is None:
        holder = root
    page = to_int(holder.get("page"), 1) or 1
    return page, max(page, to_int(holder.get("num_pages"), 1) or 1)


def ceil_segments(text: str) -> int:
    """SMS parts: GSM-7 160/153 septets, otherwise UCS-2 70/67 characters."""
    gsm = all(char in GSM7 or char in GSM7_EXT for char in text)
    if gsm:
        units = sum(2 if char in GSM7_EXT else 1 for char in text)
        single, multi = 160, 153
    else:
        units = sum(2 if ord(char) > 0xFFFF else 1 for char in text)
        single, multi = 70, 67
    if units <= single:
        return 1
    return math.ceil(units / multi)


GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXT = frozenset("^{}\\[~]|€\f")


# Account operations (XML only) -------------------------------------------------------


def parse_senders(root: etree._Element) -> tuple[bool, list[SenderNameInfo]]:
    """originator.php: (any sender allowed, the list). TRUE comes without a list."""
    any_allowed = parse_bool(root.findtext("any_originator"))
    names = []
    for item in root.iter("originator"):
        state = (item.get("state") or "").strip()
        operator = (item.get("operator") or "").strip()
        network = "/".join(v for v in (item.get("MCC"), item.get("MNC")) if v)
        names.append(
            SenderNameInfo(
                name=(item.text or "").strip(),
                state=state,
                usable=state.lower() == "completed",
                operators=f"{operator} ({network})" if network else operator,
                comment=(item.get("history") or item.get("comment") or "").strip(),
            )
        )
    return any_allowed, names


def parse_incoming(root: etree._Element) -> list[IncomingMessage]:
    """incoming.php; the same id may come twice (exclusive bounds, second resolution)."""
    seen: dict[str, IncomingMessage] = {}
    for item in root.iter("sms"):
        id_sms = (item.get("id_sms") or "").strip()
        if not id_sms or id_sms in seen:
            continue
        seen[id_sms] = IncomingMessage(
            gateway_message_id=id_sms,
            phone=sender_address(item.get("originator") or ""),
            text=item.text or "",
            received_at=parse_time(item.get("date_receive")),
            to=(item.get("phone") or "").strip(),
            keyword=(item.get("prefix") or "").strip(),
        )
    return list(seen.values())


def parse_phone_results(root: etree._Element) -> dict[str, str]:
    """stop.php / phones.php: phone -> add | delete | insert | edit | not_found."""
    return {
        digits(item.get("phone") or ""): (item.text or "").strip().lower()
        for item in root.iter("phone")
        if item.get("phone")
    }


def parse_scheduled(root: etree._Element) -> list[ScheduledMessage]:
    return [
        ScheduledMessage(
            gateway_message_id=(item.get("id_sms") or "").strip(),
            phone=e164(item.get("phone") or ""),
            text=item.get("text_sms") or "",
            send_at=parse_time(item.get("time_send")),
        )
        for item in root.iter("scheduled")
        if item.get("id_sms")
    ]


def parse_scheduled_delete(root: etree._Element) -> dict[str, str]:
    """scheduled.php: id_sms -> delete | not_found."""
    return {
        (item.get("id_sms") or "").strip(): (item.text or "").strip().lower()
        for item in root.iter("scheduled")
    }


def parse_number_info(root: etree._Element) -> list[NumberInfo]:
    """def.php: <phone operator region time_zone>7961...</phone>."""
    return [
        NumberInfo(
            phone=e164(item.text or ""),
            operator=(item.get("operator") or "").strip(),
            region=(item.get("region") or "").strip(),
            country="",
            raw=etree.tostring(item, encoding="unicode").strip(),
        )
        for item in root.iter("phone")
    ]


def parse_bases(root: etree._Element) -> dict[str, str]:
    """list_bases.php: id_base -> name_base."""
    return {
        (item.get("id_base") or "").strip(): (item.get("name_base") or "").strip()
        for item in root.iter("base")
        if item.get("id_base")
    }


PHONE_BOOK_FIELDS = (
    "surname", "name", "patronymic", "date_birth", "male", "addition_1",
    "addition_2", "operator", "region",
)  # fmt: skip


def parse_base_phones(root: etree._Element, group: str) -> list[PhoneBookEntry]:
    """list_phones.php. Assumption: <phone phone=".." surname=".." .../> elements."""
    entries = []
    for item in root.iter("phone"):
        phone = item.get("phone") or (item.text or "")
        if not digits(phone):
            continue
        extra = {k: item.get(k) for k in PHONE_BOOK_FIELDS if item.get(k)}
        name = " ".join(v for v in (extra.get("name"), extra.get("surname")) if v)
        entries.append(PhoneBookEntry(e164(phone), name=name, group=group, extra=extra))
    return entries


# Our replies and results ----------------------------------------------------------------


def json_id(value: str) -> int | str:
    """JSON ids go as numbers (the docs mix both; numbers are what state.php shows)."""
    return int(value) if str(value).isdigit() else value


def xml_ack(ids: Sequence[str]) -> bytes:
    """The webhook reply: every accepted id_sms, laid out as the documented example."""
    lines = [f"     <id_sms>{xml_escape(i)}</id_sms>" for i in ids]
    return "\n".join(
        [XML_DECLARATION, "<response>", *lines, "</response>", ""]
    ).encode()


def json_ack(ids: Sequence[str]) -> bytes:
    return json_bytes([{"id_sms": json_id(i)} for i in ids])


def failed_in(sms: OutgoingSms, error: GatewayError) -> SendResult:
    """A recipient of a GET request that failed after earlier ones of its batch went.

    UNKNOWN (OUTCOME_UNKNOWN) when the request may have been taken: without
    client_id_sms a person must decide. Not taken (PENDING) when it surely was not
    and a later try may pass (the gateway unavailable): the next batch takes it.
    Refused for the account's money: as the XML dialect answers it per recipient, so
    the campaign pauses and it waits for the top-up. Otherwise FAILED (the user can
    send it again).
    """
    if isinstance(error, GatewayUnavailable):
        if error.outcome_unknown:
            return _unsent(
                sms, error, DeliveryStatus.UNKNOWN, FailureReason.OUTCOME_UNKNOWN
            )
        return _unsent(sms, error, DeliveryStatus.PENDING, "")
    if isinstance(error, InsufficientBalance):
        return _unsent(
            sms, error, DeliveryStatus.REJECTED, FailureReason.INSUFFICIENT_BALANCE
        )
    return _unsent(sms, error, DeliveryStatus.FAILED, FailureReason.GATEWAY_ERROR)


def not_tried(sms: OutgoingSms, error: GatewayError) -> SendResult:
    """A recipient of a GET request never made, an earlier one having failed."""
    return _unsent(sms, error, DeliveryStatus.PENDING, "")


def _unsent(
    sms: OutgoingSms, error: GatewayError, status: DeliveryStatus, reason: str
) -> SendResult:
    return SendResult(
        reference=sms.reference,
        gateway_message_id="",
        status=status,
        reason=reason,
        vendor_text=error.message,
    )


def send_result(sms: OutgoingSms, info: Information) -> SendResult:
    if info.accepted:
        return SendResult(
            reference=sms.reference,
            gateway_message_id=info.id_sms,
            status=DeliveryStatus.QUEUED,
            vendor_text=info.text,
            segments=info.parts,
        )
    return SendResult(
        reference=sms.reference,
        gateway_message_id="",
        status=DeliveryStatus.REJECTED,
        reason=recipient_reason(info.text),
        vendor_text=info.text,
        segments=info.parts,
    )


def match_results(
    batch: Sequence[OutgoingSms], infos: Sequence[Information]
) -> list[SendResult]:
    """One result per recipient: by the echoed number_sms (XML), else by position
    (JSON) in the request as written, message by message (group_messages), which is
    not the batch's order once a batch has two texts."""
    if all(info.number for info in infos):
        by_number = {info.number: info for info in infos}
    else:
        by_number = dict(zip(written_order(batch), infos, strict=False))
    results = []
    for number, sms in enumerate(batch, start=1):
        info = by_number.get(number)
        if info is None:
            raise BodyError(f"the answer does not cover recipient {number}")
        results.append(send_result(sms, info))
    return results


def escalation(results: Sequence[SendResult]) -> type[GatewayRefused] | None:
    """The account-level error when every recipient was refused for the same one."""
    if not results or any(r.status != DeliveryStatus.REJECTED for r in results):
        return None
    classes = {match_text(r.vendor_text, ERROR_MAP) for r in results}
    error_class = classes.pop() if len(classes) == 1 else None
    return None if error_class in (None, GatewayRefused) else error_class

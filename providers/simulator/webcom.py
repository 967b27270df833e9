"""Webcom Mobi / mysmpp as the simulator plays it: XML, JSON and HTTP GET.

Paths below /webcom mirror the platform (REFERENCE.md §1): POST /xml and /xml/*.php,
POST /json, /json/state.php, /json/balance.php, GET /sendsms.php. Bodies follow the
documented examples (samples/webcom/): 5-space indented XML with the platform's
declaration, document errors with HTTP 400, per-recipient error texts in Russian, or in
English when the request asks for it with `Accept-Language: en` (the EN cabinet).

Per-recipient `client_id_sms` is honoured: a known one returns the earlier id_sms and
sends nothing. Status callbacks are XML, or JSON for messages sent through /json.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from lxml import etree

from providers.simulator.parts import sms_parts
from providers.simulator.state import (
    ACCEPTED,
    CANCELLED,
    DELIVERED,
    EXPIRED,
    READ,
    UNDELIVERED,
    SimAccount,
    SimMessage,
    SimulatorState,
)
from providers.simulator.wsgi import SimRequest, SimResponse

GATEWAY = "webcom"
MOSCOW = ZoneInfo("Europe/Moscow")  # Assumption: the platform runs on Moscow time
DECLARATION = '<?xml version="1.0" encoding="utf-8" ?>'
ERROR_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'  # as in the error examples
PAGE_SIZE = 100

# (Russian, English). RU texts not published anywhere are marked; the EN ones are the
# seed 004 list, the RU ones from seed 000 and from public clients.
TEXTS = {
    "auth": ("Неправильный логин или пароль", "Incorrect login or password"),
    "blocked": ("Ваш аккаунт заблокирован", "Your account is locked"),
    "xml_format": (
        "Неправильный формат XML документа",
        "Incorrect XML document format",
    ),
    "json_format": (
        "Неправильный формат JSON документа",
        "Incorrect JSON document format",
    ),
    "no_post": ("POST данные отсутствуют", "POST data is missing"),
    "stop": (
        "Номер телефона присутствует в стоп-листе.",
        "Phone number is on the stop list",
    ),
    "closed": (
        "Данное направление закрыто для вас.",
        "This destination is closed for you",
    ),
    # Assumption: the RU wording of the texts below is not published.
    "no_phone": ("Укажите номер телефона", "Specify phone number"),
    "long_phone": (
        "Номер телефона должен быть меньше 15 символов",
        "Phone number must be less than 15 characters",
    ),
    "out_of_sms": (
        "У нас закончились SMS. Для решения проблемы обратитесь к менеджеру",
        "We have run out of SMS. Please contact your manager to resolve the problem",
    ),
    "no_sender": ("Не указан отправитель", "No sender"),
    "sender_rule": (
        "Имя отправителя не должно превышать 15 символов для цифровых "
        "и 11 символов для буквенных имён",
        "The sender must not exceed 15 characters for numeric numbers "
        "and 11 characters for alphanumeric numbers",
    ),
    "unknown_sender": ("Такого отправителя не существует", "There is no such sender"),
    "sender_moderation": (
        "Отправитель не прошел модерацию",
        "The sender has not been moderated",
    ),
    "no_text": ("Нет текста сообщения", "No message text"),
    "no_base": ("База не найдена", "Base not found"),
}
STATE_WORDS = {
    DELIVERED: "deliver",
    READ: "read",
    UNDELIVERED: "not_deliver",
    EXPIRED: "expired",
}
SENDER_STATES = {"active": "completed", "moderation": "order", "pending": "order"}
# DEF code -> (operator, region, time zone offset from Moscow): def.php answers.
NUMBER_INFO = {
    "7961": ("Vimpeltelecom", "Novosibirsk region", "3"),
    "7903": ("Vimpeltelecom", "Moscow", "0"),
    "7912": ("MTS", "Sverdlovsk region", "2"),
    "7916": ("MTS", "Moscow", "0"),
    "7921": ("MegaFon", "Saint Petersburg", "0"),
}


class Refusal(Exception):
    """A document-level error: the platform answers <error> / {"error"} with 400."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def handle(request: SimRequest, state: SimulatorState) -> SimResponse:
    english = request.headers.get("Accept-Language", "").lower().startswith("en")
    path = request.path.rstrip("/") or "/"
    if path == "/sendsms.php":
        return _get_api(request, state, english)
    if path in JSON_ROUTES:
        return _json_api(JSON_ROUTES[path], request, state, english)
    if path in XML_ROUTES:
        return _xml_api(XML_ROUTES[path], request, state, english)
    return SimResponse(b"<html><body>404 Not Found</body></html>", "text/html", 404)


def text(key: str, english: bool) -> str:
    return TEXTS[key][1 if english else 0]


# XML ---------------------------------------------------------------------------------

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _xml_api(handler, request: SimRequest, state: SimulatorState, english: bool):
    try:
        if request.method != "POST" or not request.body.strip():
            raise Refusal("no_post")
        try:
            root = etree.fromstring(request.body, parser=_PARSER)
        except etree.XMLSyntaxError:
            raise Refusal("xml_format") from None
        account = _authenticate(state, _xml_credentials(root))
        lines = handler(root, account, state, request, english)
    except Refusal as refusal:
        return SimResponse.xml(error_document(text(refusal.key, english)), status=400)
    return SimResponse.xml(document(lines))


def document(lines: list[str]) -> str:
    return "\n".join([DECLARATION, "<response>", *lines, "</response>", ""])


def error_document(message: str) -> str:
    inner = f"     <error>{escape(message)}</error>"
    return "\n".join([ERROR_DECLARATION, "<response>", inner, "</response>", ""])


def element(
    tag: str,
    content: str = "",
    *,
    indent: int = 5,
    empty: bool = False,
    **attrs: object,
) -> str:
    """One line of a documented answer: `<tag a="v">content</tag>` or `<tag a="v" />`."""
    quoted = {'"': "&quot;"}
    rendered = "".join(f' {k}="{escape(str(v), quoted)}"' for k, v in attrs.items())
    if empty:
        return f"{' ' * indent}<{tag}{rendered} />"
    return f"{' ' * indent}<{tag}{rendered}>{escape(content)}</{tag}>"


def _xml_credentials(root) -> dict[str, str]:
    security = root.find("security")
    if security is None:
        return {}
    return {
        name: (security.find(name).get("value") or "")
        for name in ("login", "password", "token")
        if security.find(name) is not None
    }


def _authenticate(state: SimulatorState, credentials: dict[str, str]) -> SimAccount:
    account = state.authenticate(
        GATEWAY,
        login=credentials.get("login", ""),
        password=credentials.get("password", ""),
        token=credentials.get("token", ""),
    )
    if account is None:
        raise Refusal("auth")
    if account.blocked:
        raise Refusal("blocked")
    return account


def _xml_send(root, account, state, request, english) -> list[str]:
    refuse = request.headers.get("X-Sim-Refuse") == "1"
    lines = []
    for message in root.iter("message"):
        fields = {
            # A line break in a text comes as the two characters \n, as the doc asks.
            child.tag: (child.text or "").replace("\\n", "\n")
            for child in message
            if isinstance(child.tag, str)
        }
        fields.update({k: v for k, v in message.attrib.items()})
        for abonent in message.iter("abonent"):
            recipient = dict(abonent.attrib)
            id_sms, parts, outcome = submit(
                state, account, fields, recipient, "xml", english, refuse
            )
            # Attribute order as documented: number_sms, id_sms (on success), parts.
            attrs = {"number_sms": recipient.get("number_sms", "")}
            if id_sms:
                attrs["id_sms"] = id_sms
            attrs["parts"] = str(parts)
            lines.append(element("information", outcome, **attrs))
    return lines


def _xml_state(root, account, state, request, english) -> list[str]:
    lines = []
    for item in root.iter("id_sms"):
        message = _own(state, account, (item.text or "").strip())
        if message is None:
            continue
        word, when, channels = status_of(message)
        lines.append(element("state", word, id_sms=message.id, time=when, **channels))
    return lines


def _xml_balance(root, account, state, request, english) -> list[str]:
    return [
        element("money", f"{account.balance}"),
        element("sms", str(_messages_left(account)), area="Russia"),
    ]


def _xml_incoming(root, account, state, request, english) -> list[str]:
    window = root.find("time")
    start = _moscow_epoch((window.get("start") if window is not None else "") or "")
    end = _moscow_epoch((window.get("end") if window is not None else "") or "")
    lines = []
    with state.lock:
        items = [
            i
            for i in state.incoming
            if (i.gateway, i.login) == (GATEWAY, account.login)
        ]
    for item in items:
        # The platform keeps whole seconds, as date_receive shows them.
        received = int(item.received_at)
        if (start is not None and received <= start) or (
            end is not None and received >= end
        ):
            continue  # both bounds are exclusive (seed 000)
        lines.append(
            element(
                "sms",
                item.text,
                id_sms=item.id,
                date_receive=_moscow(item.received_at),
                originator=item.phone.lstrip("+"),
                prefix=item.prefix,
                phone=item.to or "79611111111",
            )  # fmt: skip
        )
    return lines


def _xml_originators(root, account, state, request, english) -> list[str]:
    lines = [element("any_originator", "FALSE"), "     <list_originator>"]
    for name, raw_state in sorted(account.senders.items()):
        lines.append(
            element(
                "originator",
                name,
                indent=10,
                MCC="250",
                MNC="01",
                template="",
                comment="",
                history="",
                operator="MTS",
                state=SENDER_STATES.get(raw_state, raw_state),
            )  # fmt: skip
        )
    return [*lines, "     </list_originator>"]


def _xml_add_originator(root, account, state, request, english) -> list[str]:
    item = root.find("originator")
    name = (item.text or "").strip() if item is not None else ""
    if not name:
        raise Refusal("no_sender")
    if len(name) > (15 if name.isdigit() else 11):
        raise Refusal("sender_rule")
    with state.lock:
        account.senders.setdefault(name, "order")
        current = SENDER_STATES.get(account.senders[name], account.senders[name])
    # Assumption: the answer's attributes are not published (REFERENCE §1.9).
    return [element("originator", name, state=current)]


def _xml_stop(root, account, state, request, english) -> list[str]:
    lines = []
    with state.lock:
        for action, tag in (("delete", "delete_stop"), ("add", "add_stop")):
            for item in root.iter(tag):
                for phone_el in item.iter("phone"):
                    phone = _digits(phone_el.get("phone") or "")
                    if action == "add":
                        account.stop_list.add(phone)
                        answer = "add"
                    elif phone in account.stop_list:
                        account.stop_list.discard(phone)
                        answer = "delete"
                    else:
                        answer = "not_found"
                    lines.append(element("phone", answer, indent=4, phone=phone))
    return lines


def _xml_list_stop(root, account, state, request, english) -> list[str]:
    # Assumption (REFERENCE §1.13): list_stop.php, paged like list_scheduled.php.
    with state.lock:
        phones = sorted(account.stop_list)
    return _paged(root, "stop", phones, lambda p: element("phone", p, indent=10))


def _xml_list_scheduled(root, account, state, request, english) -> list[str]:
    state.advance()
    now = state.clock()
    with state.lock:
        due = [
            m
            for m in state.messages.get(GATEWAY, {}).values()
            if m.login == account.login
            and m.state == ACCEPTED
            and (m.send_at or 0) > now
        ]
    return _paged(root, "scheduled", due, _scheduled_line)


def _scheduled_line(m: SimMessage) -> str:
    return element(
        "scheduled", indent=10, empty=True, id_sms=m.id, time_put_turn=_moscow(m.created_at),
        originator=m.sender, phone=m.phone, type_sms=m.extra.get("type", "sms"),
        text_sms=m.text, count_sms=m.parts, name_delivery="",
        time_send=_moscow(m.send_at or 0)[:16],
        validity_period=m.extra.get("validity_period", ""),
    )  # fmt: skip


def _paged(root, tag: str, items: list, render: Callable) -> list[str]:
    query = root.find(tag)
    page = max(1, int((query.get("page") if query is not None else "1") or 1))
    num_pages = max(1, -(-len(items) // PAGE_SIZE))
    chunk = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return [
        f'     <phones page="{page}" num_pages="{num_pages}">',
        *(render(item) for item in chunk),
        "     </phones>",
    ]


def _xml_delete_scheduled(root, account, state, request, english) -> list[str]:
    lines = []
    for item in root.iter("schedule"):
        id_sms = (item.get("id_sms") or "").strip()
        own = _own(state, account, id_sms)
        done = own is not None and state.cancel(GATEWAY, id_sms)
        lines.append(
            element(
                "scheduled", "delete" if done else "not_found", indent=4, id_sms=id_sms
            )
        )
    return lines


def _xml_def(root, account, state, request, english) -> list[str]:
    lines = []
    for item in root.iter("phone"):
        phone = _digits(item.text or "")
        operator, region, zone = NUMBER_INFO.get(phone[:4], ("Unknown", "", "0"))
        lines.append(
            element("phone", phone, operator=operator, region=region, time_zone=zone)
        )
    return lines


def _xml_list_bases(root, account, state, request, english) -> list[str]:
    # The simulator's bases are named by their id (SimAccount.phone_book keys).
    return [
        element(
            "base",
            "",
            id_base=base,
            name_base=base,
            time_birth="12:00",
            local_time_birth="no",
            day_before="0",
            originator_birth="",
            on_birth="no",
        )  # fmt: skip
        for base in sorted(account.phone_book)
    ]


def _xml_list_phones(root, account, state, request, english) -> list[str]:
    query = root.find("base")
    id_base = query.get("id_base", "") if query is not None else ""
    if id_base not in account.phone_book:
        raise Refusal("no_base")
    rows = sorted(account.phone_book[id_base].items())
    # Assumption: the answer's shape is not published; paged like list_scheduled.
    return _paged(
        root, "base", rows,
        lambda row: element("phone", indent=10, empty=True, phone=row[0], **row[1]),
    )  # fmt: skip


def _xml_phones(root, account, state, request, english) -> list[str]:
    query = root.find("base")
    id_base = query.get("id_base", "") if query is not None else ""
    if id_base not in account.phone_book:
        raise Refusal("no_base")
    book = account.phone_book[id_base]
    lines = []
    with state.lock:
        for number, item in enumerate(query.iter("phone"), start=1):
            phone = _digits(item.get("phone") or "")
            fields = {
                k: v for k, v in item.attrib.items() if k not in ("phone", "action")
            }
            if item.get("action") == "delete":
                answer = "delete" if book.pop(phone, None) is not None else "not_found"
            else:
                answer = "edit" if phone in book else "insert"
                book[phone] = {**book.get(phone, {}), **fields}
            lines.append(
                element("phone", answer, indent=10, phone=phone, number_phone=number)
            )
    return [f'     <base id_base="{escape(id_base)}">', *lines, "     </base>"]


XML_ROUTES = {
    "/xml": _xml_send,
    "/xml/state.php": _xml_state,
    "/xml/balance.php": _xml_balance,
    "/xml/incoming.php": _xml_incoming,
    "/xml/originator.php": _xml_originators,
    "/xml/add_originator.php": _xml_add_originator,
    "/xml/stop.php": _xml_stop,
    "/xml/list_stop.php": _xml_list_stop,
    "/xml/list_scheduled.php": _xml_list_scheduled,
    "/xml/scheduled.php": _xml_delete_scheduled,
    "/xml/def.php": _xml_def,
    "/xml/list_bases.php": _xml_list_bases,
    "/xml/list_phones.php": _xml_list_phones,
    "/xml/phones.php": _xml_phones,
}


# JSON --------------------------------------------------------------------------------


def _json_api(handler, request: SimRequest, state: SimulatorState, english: bool):
    try:
        if request.method != "POST" or not request.body.strip():
            raise Refusal("no_post")
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise Refusal("json_format") from None
        if not isinstance(data, dict):
            raise Refusal("json_format")
        account = _authenticate(
            state, {k: str(data.get(k) or "") for k in ("login", "password", "token")}
        )
        return handler(data, account, state, request, english)
    except Refusal as refusal:
        return SimResponse.json({"error": text(refusal.key, english)}, status=400)


def _json_send(data, account, state, request, english) -> SimResponse:
    refuse = request.headers.get("X-Sim-Refuse") == "1"
    messages = data.get("message")
    messages = messages if isinstance(messages, list) else [messages]
    information = []
    for message in messages:
        if not isinstance(message, dict):
            raise Refusal("json_format")
        fields = {k: str(v) for k, v in message.items() if k != "phones"}
        for recipient in message.get("phones") or []:
            recipient = {k: str(v) for k, v in recipient.items()}
            id_sms, _parts, outcome = submit(
                state, account, fields, recipient, "json", english, refuse
            )
            information.append(
                {"state": "send", "id_sms": id_sms} if id_sms else {"error": outcome}
            )
    return SimResponse.json({"information": information})


def _json_state(data, account, state, request, english) -> SimResponse:
    ids = data.get("id_sms")
    ids = ids if isinstance(ids, list) else [ids]
    detail = str(data.get("detail") or "0") == "1"
    items = []
    for id_sms in ids:
        message = _own(state, account, str(id_sms))
        if message is None:
            continue
        word, when, channels = status_of(message)
        item = {
            "id_sms": int(message.id),
            "time_change_state": when,
            "state": word,
            **channels,
        }
        text_item = json.dumps(item, ensure_ascii=False)
        if detail:
            # price is a JSON number with 7 decimals (W5): json cannot print a Decimal so.
            price = (message.cost / message.parts) if message.parts else message.cost
            text_item = (
                text_item[:-1]
                + f', "num_parts": {message.parts}, "price": {price:.7f}}}'
            )
        items.append(text_item)
    return SimResponse(
        ("[" + ",".join(items) + "]").encode(), "application/json; charset=utf-8"
    )


def _json_balance(data, account, state, request, english) -> SimResponse:
    return SimResponse.json(
        {
            "money": str(account.balance),
            "currency": "RUR",
            "information": [
                {
                    "type_sms": "sms",
                    "area": "Russia",
                    "num_sms": str(_messages_left(account)),
                }
            ],
        }
    )


JSON_ROUTES = {
    "/json": _json_send,
    "/json/state.php": _json_state,
    "/json/balance.php": _json_balance,
}


# HTTP GET ----------------------------------------------------------------------------


def _get_api(request: SimRequest, state: SimulatorState, english: bool) -> SimResponse:
    params = request.query("utf-8")
    try:
        account = _authenticate(
            state,
            {
                "login": params.get("user", ""),
                "password": params.get("pwd", ""),
                "token": params.get("token", ""),
            },
        )
    except Refusal as refusal:
        return SimResponse.text(text(refusal.key, english))
    if params.get("balance") == "1":
        return SimResponse.text(f"{account.balance}\nRUR\n")
    if "smsid" in params:
        message = _own(state, account, params["smsid"].strip())
        return SimResponse.text(status_of(message)[0] if message else "")
    refuse = request.headers.get("X-Sim-Refuse") == "1"
    fields = {"sender": params.get("sadr", ""), "text": params.get("text", "")}
    fields.update(
        {
            k: v
            for k, v in params.items()
            if k.endswith(("_viber", "_send_1", "_send_2"))
        }
    )
    tokens = []
    for phone in params.get("dadr", "").split(","):
        recipient = {
            "phone": phone.strip(),
            "validity_period": params.get("validity_period", ""),
        }
        id_sms, _parts, outcome = submit(
            state, account, fields, recipient, "get", english, refuse
        )
        tokens.append(id_sms or outcome)
    # Assumption (REFERENCE §1.4): comma-separated, one token per recipient.
    return SimResponse.text(",".join(tokens))


# Shared ------------------------------------------------------------------------------


def submit(
    state: SimulatorState,
    account: SimAccount,
    fields: dict[str, str],
    recipient: dict[str, str],
    dialect: str,
    english: bool,
    refuse: bool,
) -> tuple[str, int, str]:
    """One recipient: (id_sms or "", parts, "send" or the error text)."""
    reference = recipient.get("client_id_sms", "").strip()
    if reference:
        earlier = state.find_by_reference(GATEWAY, account.login, reference)
        if earlier is not None:
            return earlier.id, earlier.parts, "send"  # never a second message
    phone = _digits(recipient.get("phone", ""))
    channel = _channel(fields)
    body = (
        fields.get("text", "") if channel != "viber" else fields.get("text_viber", "")
    )
    sender = (
        fields.get("sender", "")
        if channel != "viber"
        else fields.get("sender_viber", "")
    )
    error = _refusal(state, account, phone, sender, body, refuse)
    if error is None and not fields.get("text", ""):
        # Seed 004 marks <text> required, whatever the channel.
        error = "no_text"
    parts = sms_parts(body) if channel != "viber" else 1
    cost = account.price_per_part * parts
    if error is None and account.balance < cost:
        error = "out_of_sms"
    if error is not None:
        return "", parts, text(error, english)
    message = SimMessage(
        id=state.next_id(), gateway=GATEWAY, login=account.login, phone=phone,
        text=body, sender=sender, channel=channel, reference=reference, parts=parts,
        cost=cost, send_at=_moscow_epoch(recipient.get("time_send", "")),
        extra={
            "dialect": dialect, "type": fields.get("type", "sms") or "sms",
            "validity_period": recipient.get("validity_period", ""),
            "validity_period_viber": recipient.get("validity_period_viber", ""),
            # The message's fields as they came, for tests of what reached us.
            **{name: fields[name] for name in MESSAGE_FIELDS if name in fields},
        },
    )  # fmt: skip
    state.submit(message)
    return message.id, parts, "send"


# Seed 004's message fields (the SMS's and the Viber message's), kept per message.
MESSAGE_FIELDS = ("sender", "text", "type_send_1", "type_send_2", "sender_viber",
                  "text_viber", "button_viber", "action_viber", "image_viber")  # fmt: skip


def _refusal(state, account, phone, sender, body, refuse) -> str | None:
    if refuse:
        return "closed"
    if not phone or state.refused_at_submit(phone):
        return "no_phone"
    if len(phone) >= 15:
        return "long_phone"
    if phone in account.stop_list:
        return "stop"
    if not sender:
        return "no_sender"
    if len(sender) > (15 if sender.isdigit() else 11):
        return "sender_rule"
    known = {name.lower(): value for name, value in account.senders.items()}
    if sender.lower() not in known:
        return "unknown_sender"
    if SENDER_STATES.get(known[sender.lower()], known[sender.lower()]) != "completed":
        return "sender_moderation"
    if not body:
        return "no_text"
    return None


def _channel(fields: dict[str, str]) -> str:
    first, second = fields.get("type_send_1", "sms"), fields.get("type_send_2", "")
    if first == "viber":
        return "viber_sms" if second == "sms" else "viber"
    return "flash" if fields.get("type") == "flashsms" else "sms"


def status_of(message: SimMessage) -> tuple[str, str, dict[str, str]]:
    """(state word, time, per-channel attributes) as state.php and the webhook say it."""
    word = STATE_WORDS.get(message.state, "send")
    when = "" if word == "send" else _moscow(message.changed_at)
    if message.channel == "viber_sms" and message.state in (UNDELIVERED, EXPIRED):
        return word, when, {"sms": word, "viber": "expired"}
    key = "viber" if message.channel.startswith("viber") else "sms"
    return word, when, {key: word}


# Assumption: the webhook's body is a list of states (REFERENCE §1.7 shows two in one
# <response>) and no document says how many it may hold; a hundred, as many as one
# state request asks about.
CALLBACK_BATCH = 100


def build_status_callback(message: SimMessage, account: SimAccount):
    """The webhook of one message: XML, or JSON for messages sent through /json."""
    return next(iter(build_status_callbacks([message], account)), None)


def build_status_callbacks(
    messages: list[SimMessage], account: SimAccount
) -> list[tuple[str, bytes, str]]:
    """The webhooks reporting these messages, up to CALLBACK_BATCH states each: XML,
    and JSON for the messages sent through the JSON spec."""
    url = account.status_callback_url
    if not url:
        return []
    lines: list[str] = []
    rows: list[dict[str, str]] = []
    for message in messages:
        if message.state in (ACCEPTED, CANCELLED):
            continue
        word, when, channels = status_of(message)
        if message.extra.get("dialect") == "json":
            rows.append({"id_sms": message.id, "time": when, "state": word})
        else:
            lines.append(
                element("state", word, id_sms=message.id, time=when, **channels)
            )
    xml = "text/xml; charset=utf-8"
    json_type = "application/json; charset=utf-8"
    return [
        *(
            (url, document(lines[at : at + CALLBACK_BATCH]).encode(), xml)
            for at in range(0, len(lines), CALLBACK_BATCH)
        ),
        *(
            (url, json.dumps(rows[at : at + CALLBACK_BATCH]).encode(), json_type)
            for at in range(0, len(rows), CALLBACK_BATCH)
        ),
    ]


_ECHOED_XML = re.compile(rb"<id_sms>\s*([^<\s]+)\s*</id_sms>")
_STATE_ID = re.compile(r'<state id_sms="([^"]+)"')


def callback_unacknowledged(
    body: bytes, status: int | None, reply: bytes
) -> bytes | None:
    """The webhook to post again: its states whose id_sms the reply did not list
    (REFERENCE §1.7: ids not echoed are re-sent, 5 attempts in total), in the same
    format; None when every one was. Assumption: an answer other than 2xx, or none,
    echoes nothing; the reply is read as XML or JSON whichever the webhook was."""
    echoed = _echoed_ids(reply) if status is not None and 200 <= status < 300 else set()
    if body.lstrip().startswith(b"["):
        rows = [r for r in json.loads(body) if str(r.get("id_sms")) not in echoed]
        return json.dumps(rows).encode() if rows else None
    lines = body.decode().split("\n")
    states = [line for line in lines if _STATE_ID.search(line)]
    owed = [line for line in states if _STATE_ID.search(line).group(1) not in echoed]
    if not owed:
        return None
    if len(owed) == len(states):
        return body
    return document(owed).encode()


def _echoed_ids(reply: bytes) -> set[str]:
    if reply.lstrip().startswith(b"["):
        try:
            rows = json.loads(reply)
        except ValueError:
            return set()
        return {
            str(row.get("id_sms")) for row in rows if isinstance(row, dict)
        } if isinstance(rows, list) else set()  # fmt: skip
    return {found.decode() for found in _ECHOED_XML.findall(reply)}


def _own(state: SimulatorState, account: SimAccount, id_sms: str) -> SimMessage | None:
    message = state.get(GATEWAY, id_sms)
    if message is None or message.login != account.login or message.state == CANCELLED:
        return None
    return message


def _messages_left(account: SimAccount) -> int:
    if account.price_per_part <= 0:
        return 0
    return int(account.balance // account.price_per_part)


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def _moscow(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, MOSCOW).strftime("%Y-%m-%d %H:%M:%S")


def _moscow_epoch(value: str) -> float | None:
    value = (value or "").strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=MOSCOW).timestamp()
        except ValueError:
            continue
    return None

"""WEBSMS as the simulator plays it (seed 002; REFERENCE.md §3).

Pages are matched case-insensitively, as are parameter names (public clients send
`Http_username`), except `fromPhone` inside JSON, which the doc says is case-sensitive.
http_in6.asp and the json pages read UTF-8; every other page reads windows-1251, and
txt replies of the cp1251 pages are windows-1251 too. Where the doc is silent the
choices are marked "Assumption:" and mirrored in docs/gateways/websms.md.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

from providers.simulator.parts import is_gsm7, sms_parts
from providers.simulator.state import (
    ACCEPTED,
    CANCELLED,
    DELIVERED,
    EXPIRED,
    READ,
    SENT,
    UNDELIVERED,
    SimAccount,
    SimMessage,
    SimulatorState,
)
from providers.simulator.wsgi import SimRequest, SimResponse

GATEWAY = "websms"
SAMPLES = Path(__file__).parent / "samples" / GATEWAY
MOSCOW = ZoneInfo("Europe/Moscow")
CP1251, UTF8 = "cp1251", "utf-8"
SENDER_RULE = re.compile(r"[A-Za-z0-9]{1,11}")
TEST_SENDERS = frozenset({"TESTSMS", "79021100083", "70000000000"})
ERRORS = {
    1: "error login, password",
    2: "blocked user",
    3: "insufficient funds",
    10: "error manual phone list",
    11: "empty message text",
    12: "empty phone list",
    14: "error format date",
    20: "Incorrect Group",
    21: "empty password",
    22: "empty login",
    23: "Invalid FromPhone",
}
RESULTS = {
    "ready": ("2", "готово к отправке"),
    ACCEPTED: ("3", "принято к отправке"),
    SENT: ("4", "передано оператору"),
    DELIVERED: ("6", "доставлено"),
    READ: ("6", "доставлено"),
    UNDELIVERED: ("7", "не доставлено"),
    CANCELLED: ("9", "удалено пользователем"),
    EXPIRED: ("11", "время доставки сообщения истекло"),
}
CALLBACK_WORDS = {
    DELIVERED: "delivered",
    UNDELIVERED: "undeliverable",
    EXPIRED: "expired",
}
_PHONE = re.compile(r"(?:\+|00)?\d{10,15}")


class Refusal(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(ERRORS[code])
        self.code = code


def handle(request: SimRequest, state: SimulatorState) -> SimResponse:
    page = request.path.strip("/").lower()
    is_json = page.startswith("json_")
    encoding = UTF8 if page in ("http_in6.asp",) or is_json else CP1251
    params = _json_params(request) if is_json else _params(request, encoding)
    fmt = "json" if is_json else params.get("format", "txt").lower()
    reply = _Reply(fmt, "httpOut" if "out5" in page else "httpIn", encoding)
    try:
        if page in ("http_in5.asp", "http_in6.asp", "json_in5.asp"):
            return _send(request, state, params, reply, page)
        if page in ("http_out5.asp", "json_out5.asp"):
            return _results(state, params, reply)
        if page == "http_credit.asp":
            return _credit(state, params)
        if page == "http_delete.asp":
            return _delete(state, params, fmt)
        if page == "http_addrbook.asp":
            return _addrbook(state, params)
        if page == "get_statistic.asp":
            return _statistics(state, params)
    except Refusal as refusal:
        return reply.error(refusal.code)
    return SimResponse.text("Page not found", status=404)


# Requests ---------------------------------------------------------------------------


def _params(request: SimRequest, encoding: str) -> dict[str, str]:
    return {k.lower(): v for k, v in request.params(encoding).items()}


def _json_params(request: SimRequest) -> dict[str, str]:
    raw = request.params(UTF8).get("json", "{}")
    try:
        data = json.loads(raw)
    except ValueError:
        data = {}
    # The doc: "the case of the field name fromPhone matters" in JSON.
    return {
        (k.lower() if k.lower() != "fromphone" or k == "fromPhone" else "_" + k): str(v)
        for k, v in (data.items() if isinstance(data, dict) else [])
    }


def _account(state: SimulatorState, params: dict[str, str]) -> SimAccount:
    login, password = params.get("http_username", ""), params.get("http_password", "")
    if not login:
        raise Refusal(22)
    if not password:
        raise Refusal(21)
    account = state.authenticate(GATEWAY, login=login, password=password)
    if account is None:
        raise Refusal(1)
    if account.blocked:
        raise Refusal(2)
    return account


# Sending ----------------------------------------------------------------------------


def _send(request, state, params, reply, page) -> SimResponse:
    test = params.get("test", "")
    if test == "-1":
        # "A simulated result, no credentials needed": the document's own example.
        return reply.sample("send_ok")
    account = _account(state, params)
    text = params.get("message", "").replace("\\n", "\n")
    if not text:
        raise Refusal(11)
    phones = _recipients(
        state, account, params, refuse=bool(request.headers.get("X-Sim-Refuse"))
    )
    sender = params.get("fromphone", "")
    if sender and (
        # Seed 002: "only Latin letters and digits, at most 11", and in the archive.
        not SENDER_RULE.fullmatch(sender)
        or (sender not in TEST_SENDERS and account.senders.get(sender) != "active")
    ):
        raise Refusal(23)
    send_at = _send_on(params.get("send_on", ""), params.get("gmt", ""), account)
    replay = _packet(state, account.login, params.get("packet_id", ""))
    if replay:
        # Assumption: a repeated user packet_id (uniqueness check on) answers the
        # packet it already holds instead of sending it again.
        return reply.packet(account, replay, account.balance, account.balance)
    parts = _parts(text, params.get("translit") == "1", params.get("nosplit") == "1")
    cost = account.price_per_part * parts
    charge = test not in ("1", "-1")
    if charge and account.balance < cost * len(phones):
        raise Refusal(3)
    before, packet = account.balance, state.next_id()
    messages = []
    for phone in phones:
        message = SimMessage(
            id=state.next_id() if charge else "0",
            gateway=GATEWAY,
            login=account.login,
            phone=phone,
            text=text,
            sender=sender,
            channel=_channel(params),
            reference=params.get("message_id", ""),
            packet=packet,
            parts=parts,
            cost=cost,
            send_at=send_at,
            extra=_extra(params, page, request),
        )
        messages.append(state.submit(message) if charge else message)
    return reply.packet(account, messages, before, account.balance)


def _recipients(state, account, params, *, refuse: bool) -> list[str]:
    listed = [p.strip() for p in params.get("phone_list", "").split(",") if p.strip()]
    if params.get("group"):
        group = account.phone_book.get(params["group"])
        if group is None:
            raise Refusal(20)
        listed += [u["phone"] for k, u in group.items() if k != "_group"]
    phones = []
    for phone in listed:
        # The simulator's rule: ...9999 is an invalid number (state.py).
        if not _PHONE.fullmatch(phone) or state.refused_at_submit(phone):
            raise Refusal(10)
        digits = phone.lstrip("+")
        digits = digits[2:] if digits.startswith("00") else digits
        if digits not in phones:  # duplicates are removed (doc, error 12)
            phones.append(digits)
    # Blocked numbers are removed too; nothing left is "empty phone list".
    phones = [p for p in phones if p not in account.stop_list and not refuse]
    if not phones:
        raise Refusal(12)
    return phones


def _send_on(value: str, gmt: str, account: SimAccount) -> float | None:
    """Seed 002: send_on `dd.mm.yyyy hh:nn` in the zone `gmt` gives (+12..-12), or
    with gmt=0 or none in the zone of the cabinet's settings. Assumption: a gmt
    outside that range, or no number, is a time that cannot be read: error 14."""
    if not value:
        return None
    try:
        hours = int(gmt.strip() or "0")
        if not -12 <= hours <= 12:
            raise ValueError(gmt)
        stamp = f"{value.strip()} {hours or account.utc_offset_hours:+03d}00"
        when = datetime.strptime(stamp, "%d.%m.%Y %H:%M %z")
    except ValueError:
        raise Refusal(14) from None
    return when.timestamp()


def _packet(state: SimulatorState, login: str, user_packet: str) -> list[SimMessage]:
    if not user_packet:
        return []
    with state.lock:
        held = state.messages.get(GATEWAY, {}).values()
        return [
            m
            for m in held
            if m.login == login and m.extra.get("user_packet_id") == user_packet
        ]


def _parts(text: str, translit: bool, nosplit: bool) -> int:
    """Seed 002's splitting table, which it charges by: parts of 156 GSM-7 septets
    or 66 UCS-2 units, and Cyrillic past 594 characters transliterated (so 156
    again); at most 10 parts (the prose)."""
    if nosplit:
        return 1
    if (translit or len(text) > 594) and not is_gsm7(text):
        # Transliterated by the gateway: counted as Latin letters.
        parts = 1 if len(text) <= 160 else math.ceil(len(text) / 156)
    else:
        # Assumption: as the composer counts it (campaigns.segments.WEBSMS): the
        # seed counts "characters" and is silent on the GSM extension table.
        parts = sms_parts(text, multi_gsm=156, multi_ucs2=66)
    return min(10, parts)


def _channel(params: dict[str, str]) -> str:
    mode = params.get("mode", "").lower()
    if mode == "viber":
        return "viber_sms" if params.get("to_sms") else "viber"
    return "voice" if mode == "voice" else "sms"


def _extra(params: dict[str, str], page: str, request: SimRequest) -> dict[str, str]:
    names = (
        "button", "id_fileid", "to_sms", "lang", "voice", "temp", "emotion",
        "fulltext", "chat", "translit", "nosplit", "valid_period", "send_on",
        "gmt", "test", "fromphone",
    )  # fmt: skip
    extra = {name: params[name] for name in names if name in params}
    extra["user_packet_id"] = params.get("packet_id", "")
    extra["page"] = page
    # The bytes as they arrived, for encoding checks (percent-encoded, so ASCII).
    extra["raw_body"] = request.body.decode("latin-1")
    extra["raw_query"] = request.query_string
    return extra


# Results, balance, delete ---------------------------------------------------------


def _results(state: SimulatorState, params: dict[str, str], reply) -> SimResponse:
    if params.get("test"):  # any value: a simulated result, no credentials needed
        return reply.sample("status_ok")
    account = _account(state, params)
    state.advance()
    with state.lock:
        held = [m for m in state.messages.get(GATEWAY, {}).values()]
    mine = [m for m in held if m.login == account.login]
    if params.get("packet_id"):
        found = [m for m in mine if m.packet == params["packet_id"]]
    elif params.get("user_packet_id"):
        found = [
            m for m in mine if m.extra.get("user_packet_id") == params["user_packet_id"]
        ]
    else:
        found = [m for m in mine if m.id == params.get("message_id")]
    # Assumption: an unknown id answers an empty packet, not an error.
    return reply.results(found)


def _credit(state: SimulatorState, params: dict[str, str]) -> SimResponse:
    xml = params.get("format", "").upper() == "XML"
    try:
        if params.get("test"):  # a simulated balance: the document's example
            name, kind = (
                ("balance.xml", "text/xml") if xml else ("balance.txt", "text/plain")
            )
            return SimResponse(_sample(name), f"{kind}; charset=utf-8")
        amount = _account(state, params).balance
    except Refusal as refusal:
        # Assumption: the bare error text, as in the txt error_num.
        text = ERRORS[refusal.code]
        if xml:
            return SimResponse.xml(f"<XML><ERROR>{text}</ERROR></XML>")
        return _cp1251_text(text)
    value = _money(amount)
    return (
        SimResponse.xml(f"<BALANCE>{value}</BALANCE>") if xml else _cp1251_text(value)
    )


def _delete(state: SimulatorState, params: dict[str, str], fmt: str) -> SimResponse:
    try:
        account, error = _account(state, params), 0
    except Refusal as refusal:
        account, error = None, refusal.code
    parts, money = 0, Decimal("0")
    with state.lock:
        held = list(state.messages.get(GATEWAY, {}).values())
    for message in held:
        if (
            account
            and message.login == account.login
            and message.packet == params.get("packet_id")
            and state.cancel(GATEWAY, message.id)
        ):
            parts, money = parts + message.parts, money + message.cost
    if fmt == "xml":
        return SimResponse.xml(
            f"<XML><PARTSDELETE>{parts}</PARTSDELETE><MONEYBACK>{money:.2f}</MONEYBACK>"
            f"<ERROR>{error or 'OK'}</ERROR></XML>"
        )
    # Dot decimal here, unlike every other page (seed).
    return _cp1251_text(
        f"SMSDELETE: {parts} \r\nMONEYBACK:{money:.2f} \r\nERROR: {error} \r\n"
    )


# Phone book and statistics ----------------------------------------------------------


def _addrbook(state: SimulatorState, params: dict[str, str]) -> SimResponse:
    try:
        account = _account(state, params)
        book, act = account.phone_book, params.get("act", "").lower()
        group = params.get("group") or params.get("id", "")
        if act == "getgroups":
            sections = [
                (g, {"group_id": g, "group_name": v["_group"]["name"]})
                for g, v in book.items()
            ]
            return _book_reply("ok", sections)
        if act == "addgroup":
            gid = state.next_id()
            book[gid] = {"_group": {"name": params.get("name", "")}}
            return _book_reply(
                f"ok, group {gid} added",
                [(gid, {"group_id": gid, "group_name": params.get("name", "")})],
            )
        if act in ("getphones", "delgroup", "editgroup") and group not in book:
            raise Refusal(20)
        if act == "getphones":
            return _book_reply(
                "ok", [(uid, u) for uid, u in book[group].items() if uid != "_group"]
            )
        if act == "delgroup":
            del book[group]
            return _book_reply(
                f"ok, group {group} deleted", [(group, {"group_id": group})]
            )
        if act == "editgroup":
            book[group]["_group"]["name"] = params.get("name", "")
            return _book_reply(
                "ok",
                [(group, {"group_id": group, "group_name": params.get("name", "")})],
            )
        return _book_user(state, book, act, params)
    except Refusal as refusal:
        # Assumption: errors come as result=<error_num>, mess=<its text>.
        return _book_reply(ERRORS[refusal.code], [], result=refusal.code)


def _book_user(state, book, act, params) -> SimResponse:
    fields = ("phone", "nick", "name", "family", "date")
    if act == "adduser":
        gid = params.get("group") or next(iter(book), "")
        if not gid:
            gid = state.next_id()
            book[gid] = {"_group": {"name": "1"}}
        if gid not in book:
            raise Refusal(20)
        uid = state.next_id()
        user = {"id": uid, "datereg": _stamp(state.clock())}
        user.update({f: params.get(f, "") for f in fields})
        user.update({"group": gid, "oper_id": "0", "region_id": "0"})
        book[gid][uid] = user
        return _book_reply("ok", [(uid, user)])
    if act in ("deluser", "edituser"):
        target, phone = params.get("id", ""), params.get("phone", "").lstrip("+")
        touched = ""
        for gid, users in book.items():
            if params.get("group") and gid != params["group"]:
                continue
            for uid, user in list(users.items()):
                if uid != "_group" and (
                    uid == target or (phone and user["phone"] == phone)
                ):
                    touched = uid
                    if act == "deluser":
                        del users[uid]
                    else:
                        user.update({f: params[f] for f in fields if f in params})
        if act == "deluser":
            return _book_reply(
                f"ok, user {touched} deleted", [(touched, {"user_id": touched})]
            )
        return _book_reply("ok", [(touched, {"user_id": touched})])
    return _book_reply("unknown act", [], result=99)


def _book_reply(mess: str, sections, *, result: int = 0) -> SimResponse:
    lines = ["[result]", f"result={result}", f"mess={mess}", ""]
    for name, fields in sections:
        lines += [f"[{name}]", *(f"{k}={v}" for k, v in fields.items()), ""]
    return _cp1251_text("\r\n".join(lines))


def _statistics(state: SimulatorState, params: dict[str, str]) -> SimResponse:
    account = _account(state, params)
    state.advance()
    with state.lock:
        held = [
            m
            for m in state.messages.get(GATEWAY, {}).values()
            if m.login == account.login
        ]
    begin = _day(params.get("recdate_beg", ""))
    end = _day(params.get("recdate_end", ""))
    rows = []
    for m in held:
        created = datetime.fromtimestamp(m.created_at, MOSCOW).date()
        if params.get("packet_id") and m.packet != params["packet_id"]:
            continue
        if (begin and created < begin) or (end and created > end):
            continue
        result_id, info = _result(m)
        attrs = {
            "packet_id": m.packet, "message_id": m.id, "message_phone": m.phone,
            "message_parts": m.parts, "message_zone": "1",
            "delivered_date": _delivered(m), "result_Id": result_id,
            "result_Info": info, "operator": "MTS-Moscow",
            "message_cost": f"{m.cost:.2f}", "reg_date": _stamp(m.created_at),
            "send_on": _stamp(m.send_at or m.created_at),
        }  # fmt: skip
        rows.append(
            "<z:row "
            + " ".join(f"{k}={quoteattr(str(v))}" for k, v in attrs.items())
            + " />"
        )
    body = (
        '<?xml version="1.0" encoding="UTF-8" ?>\r\n'
        '<xml xmlns:s="uuid:BDC6E3F0-6DA3-11d1-A2A3-00AA00C14882" '
        'xmlns:dt="uuid:C2F41010-65B3-11d1-A29F-00AA00C14882" '
        'xmlns:rs="urn:schemas-microsoft-com:rowset" xmlns:z="#RowsetSchema">\r\n'
        "<rs:data>\r\n" + "\r\n".join(rows) + "\r\n</rs:data>\r\n</xml>\r\n"
    )
    return SimResponse.xml(body)


def _day(value: str) -> date | None:
    if not value:
        return None
    try:
        day, month, year = (int(part) for part in value.strip().split("."))
        return date(year, month, day)
    except ValueError:
        raise Refusal(14) from None


# Replies ----------------------------------------------------------------------------


class _Reply:
    """Writes the send/results replies in txt, xml or json."""

    def __init__(self, fmt: str, root: str, encoding: str) -> None:
        self.fmt, self.root, self.encoding = fmt, root, encoding

    def error(self, code: int) -> SimResponse:
        text = ERRORS[code]
        if self.fmt == "json":
            return SimResponse.json({"error": text, "err_num": code})
        if self.fmt == "xml":
            return self._xml(f"<{self.root} error_num='{code}' />")
        return self._txt(f"[Common]\r\nerror_num={text}\r\nerror_code={code}\r\n")

    def packet(self, account, messages, before, after) -> SimResponse:
        packet = messages[0].packet if messages else ""
        items = [
            {
                "message_id": m.id,
                "message_phone": m.phone,
                "message_text": m.text,
                "message_parts": m.parts,
                "message_zone": "1",
                "message_cost": _money(m.cost),
            }  # fmt: skip
            for m in messages
        ]
        common = {
            "error_num": "OK" if self.fmt == "txt" else "0",
            "packet_id": packet, "balance_before": _money(before),
            "sender_ip": "127.0.0.1",
        }  # fmt: skip
        summary = {
            "summ_phone": len(messages),
            "summ_parts": sum(m.parts for m in messages),
            "packet_cost": _money(sum((m.cost for m in messages), Decimal(0))),
            "balance_after": _money(after),
        }
        return self._document(common, items, summary, "packet_#")

    def results(self, messages) -> SimResponse:
        items = []
        for m in messages:
            result_id, info = _result(m)
            items.append(
                {
                    "message_id": m.id,
                    "message_phone": m.phone,
                    "message_text": m.text,
                    "message_parts": m.parts,
                    "message_zone": "1",
                    "delivered_date": _delivered(m),
                    "result_Id": result_id,
                    "result_Info": info,
                    "message_cost": _money(m.cost),
                }  # fmt: skip
            )
        common = {
            "packet_id": messages[0].packet if messages else "",
            "sender_ip": "127.0.0.1",
        }
        if self.fmt != "txt":
            common["error_num"] = "0"
        summary = {
            "summ_phone": len(messages),
            "summ_parts": sum(m.parts for m in messages),
            "packet_cost": _money(sum((m.cost for m in messages), Decimal(0))),
        }
        return self._document(common, items, summary, "num_#")

    def _document(self, common, items, summary, ordinal) -> SimResponse:
        if self.fmt == "json":
            data = {
                "error": "OK", "err_num": 0, **common,
                "sms": [{k.lower(): str(v) for k, v in i.items()} for i in items],
            }  # fmt: skip
            data["err_num"] = 0
            if self.root == "httpOut":
                data["summary"] = [{k: str(v) for k, v in summary.items()}]
            else:
                data.update({k: str(v) for k, v in summary.items()})
            return SimResponse.json(data)
        if self.fmt == "xml":
            head = {**common, **(summary if self.root == "httpIn" else {})}
            lines = [f"<{self.root} {_attrs(head)} >"]
            lines += [f"<sms num='{n}' {_attrs(i)} />" for n, i in enumerate(items, 1)]
            if self.root == "httpOut":
                lines.append(f"<Summary {_attrs(summary)} />")
            return self._xml("\r\n".join([*lines, f"</{self.root}>"]))
        # The seed's spacing: "packet_id =", "summ_ phone =" (spaces inside keys).
        lines = [
            "[Common]",
            *(
                f"{k} ={v}" if k == "packet_id" else f"{k}={v}"
                for k, v in common.items()
            ),
            "",
        ]
        for n, item in enumerate(items, 1):
            lines += [
                f"[{n}]",
                f"{ordinal}={n}",
                *(f"{k}={v}" for k, v in item.items()),
                "",
            ]
        lines.append("[Summary]")
        lines += [f"{k.replace('summ_', 'summ_ ')}={v}" for k, v in summary.items()]
        return self._txt("\r\n".join(lines) + "\r\n")

    def sample(self, name: str) -> SimResponse:
        """The document's example reply in this format (samples/websms/)."""
        ext = {"json": "json", "xml": "xml"}.get(self.fmt, "txt")
        body = _sample(f"{name}.{ext}")
        if ext == "json":
            return SimResponse(body, "application/json; charset=utf-8")
        if ext == "xml":
            return SimResponse(body, "text/xml; charset=utf-8")
        return self._txt(body.decode(UTF8))

    def _xml(self, inner: str) -> SimResponse:
        return SimResponse.xml(
            f"<?xml version='1.0' encoding='UTF-8' ?>\r\n<XML>\r\n{inner}\r\n</XML>\r\n"
        )

    def _txt(self, text: str) -> SimResponse:
        if self.encoding == CP1251:
            return _cp1251_text(text)
        return SimResponse.text(text)


def _attrs(fields: dict) -> str:
    # Single-quoted attributes, as in the seed.
    return " ".join(f"{k}='{_escape(str(v))}'" for k, v in fields.items())


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;")


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _cp1251_text(text: str) -> SimResponse:
    # Assumption: txt replies of the windows-1251 pages are windows-1251 (§3.12).
    data = text.encode(CP1251, "replace")
    return SimResponse(data, "text/plain; charset=windows-1251")


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")  # decimal comma, as in the seed


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, MOSCOW).strftime("%d.%m.%Y %H:%M:%S")


def _result(message: SimMessage) -> tuple[str, str]:
    if message.state == ACCEPTED and message.send_at:
        return RESULTS["ready"]
    return RESULTS[message.state]


def _delivered(message: SimMessage) -> str:
    final = message.state in (DELIVERED, READ, UNDELIVERED, EXPIRED, CANCELLED)
    return _stamp(message.changed_at) if final else ""


# Callbacks --------------------------------------------------------------------------


def build_status_callback(
    message: SimMessage, account: SimAccount
) -> tuple[str, bytes, str] | None:
    """WEBSMS posts only outcomes; both documented XML shapes are used."""
    word = CALLBACK_WORDS.get(message.state)
    if word is None or not account.status_callback_url:
        return None
    moment = datetime.fromtimestamp(message.changed_at, MOSCOW)
    stamp = moment.strftime("%a, %d %b %Y %H:%M:%S %z")
    if message.state == DELIVERED:
        result_id, _info = _result(message)
        body = (
            f"<status id='{message.id}' date='{stamp}' package='{message.packet}'>\n"
            f"    <state>{word}</state>\n    <result_id>{result_id}</result_id>\n"
            "</status>"
        )
    else:
        error = "Абонент недоступен" if message.state == UNDELIVERED else "Истёк срок"
        body = (
            f'<status id="{message.id}" date="{stamp}">\n'
            f'<state error="{error}">{word}</state> </status>'
        )
    # Assumption: the XML is the raw POST body (the doc says only "http request").
    return account.status_callback_url, body.encode(UTF8), "text/xml; charset=utf-8"


_ACCEPTED = re.compile(rb"<status>\s*accepted\s*</status>", re.IGNORECASE)


def callback_unacknowledged(
    body: bytes, status: int | None, reply: bytes
) -> bytes | None:
    """The status to post again unless the reply is `<status>accepted</status>`
    (seed 002: otherwise, or with no answer, it is sent again). Assumption: read from
    the body whatever the HTTP status, with spaces and case let pass."""
    return None if _ACCEPTED.search(reply) else body

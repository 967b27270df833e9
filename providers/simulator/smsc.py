"""SMSC as the simulator plays it: `/sys/send.php`, `status.php`, `balance.php`,
`get.php?get_answers=1`, `senders.php`, `phones.php` (REFERENCE.md §2, seed 001).

Parameters arrive as query string or form body in windows-1251 unless `charset=utf-8`
(or koi8-r) says otherwise, and the answer uses the same charset. Answers follow `fmt`:
0 text, 1 comma numbers, 2 XML, 3 JSON. Identical requests are refused with error 9 as
SMSC does (send: 2nd within a minute; cost=1: 6th; get_answers: 4th; balance: 11th).
status.php's own limits (5 polls per message per minute) are not enforced, so tests
may poll; callbacks are signed as REFERENCE §2.6 and providers/gateways/smsc.py
describe, with the secret set in the account's cabinet (`callback_secret`).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from providers.simulator.parts import sms_parts
from providers.simulator.state import (
    ACCEPTED,
    CANCELLED,
    DELIVERED,
    EXPIRED,
    READ,
    SENT,
    UNDELIVERED,
    SimAccount,
    SimIncoming,
    SimMessage,
    SimulatorState,
)  # fmt: skip
from providers.simulator.wsgi import SimRequest, SimResponse

MOSCOW = ZoneInfo("Europe/Moscow")
WINDOW = 60.0  # seconds over which identical requests are counted

# Error descriptions: 2, 6 and 8 as quoted in public sources (REFERENCE §2.1, §5.2 S5,
# S7); the others are worded from the code tables.
ERRORS = {
    1: "parameters error",
    2: "authorise error",
    3: "no money",
    4: "IP address is temporarily blocked",
    5: "wrong date format",
    6: "message is denied",
    7: "invalid number",
    8: "can't to deliver",
    9: "duplicate request, wait a minute",
}
STATUS_ERRORS = {**ERRORS, 5: "error deleting a message", 9: "too many requests"}
STATUS_NAMES = {
    -3: "Сообщение не найдено", -1: "Ожидает отправки", 0: "Передано оператору",
    1: "Доставлено", 2: "Прочитано", 3: "Просрочено", 20: "Невозможно доставить",
}  # fmt: skip
# Lifecycle state -> (status code, err code) (REFERENCE §2.5).
STATE_CODES = {
    ACCEPTED: (-1, 0), SENT: (0, 0), DELIVERED: (1, 0), READ: (2, 0),
    UNDELIVERED: (20, 6), EXPIRED: (3, 0), CANCELLED: (-3, 0),
}  # fmt: skip
TYPE_FLAGS = {"sms": 0, "flash": 1, "hlr": 4, "voice": 7, "viber": 10}
# Assumption: black-listed numbers are refused with err 250 ("number forbidden by
# account settings"), invalid ones with 249, the "refuse" fault with 255.
ERR_INVALID, ERR_BLACK_LIST, ERR_REFUSED = "249", "250", "255"

# Per-account memory of recent requests: id(account) -> (account, {fingerprint: [t]}).
_recent: dict[int, tuple[SimAccount, dict[tuple, list[float]]]] = {}


def handle(request: SimRequest, state: SimulatorState) -> SimResponse:
    raw = request.params("latin-1")
    charset = _charset(raw.get("charset", ""))
    params = request.params(charset)
    fmt = params.get("fmt", "0")
    out = _Out(fmt, charset)
    route = ROUTES.get(request.path)
    if route is None:
        return SimResponse.text("Not Found", status=404)
    account = _authenticate(state, params)
    if account is None:
        return out.error(2)
    return route(request, state, account, params, out)


# Endpoints -------------------------------------------------------------------------


def send(request, state, account, params, out) -> SimResponse:
    cost_only = params.get("cost") == "1"
    limit = 5 if cost_only else 1
    if _too_frequent(state, account, request.path, params, limit):
        return out.error(9)
    hlr = params.get("hlr") == "1"
    text = params.get("mes", "")
    phones = [p for p in re.split(r"[,;]", params.get("phones", "")) if p.strip()]
    if not phones or (not text and not hlr):
        return out.error(1)
    if not _documented_form(params):
        return out.error(1)  # error in parameters
    send_at = _parse_time(params.get("time", ""), state.clock())
    if send_at is False:
        return out.error(5)
    channel = _channel(params)
    if channel == "voice" and params.get("voice", "m") not in VOICES:
        return out.error(1)  # error in parameters
    sender = params.get("sender", "")
    if sender and account.senders.get(sender) != "active" and channel != "hlr":
        return out.error(6, message_id=params.get("id") or "0")
    message_id = params.get("id") or state.next_id()
    parts = 1 if channel in ("viber", "voice", "hlr") else sms_parts(text)
    refuse_all = request.headers.get("X-Sim-Refuse") == "1"
    rows, accepted = [], []
    for phone in phones:
        number = re.sub(r"\D", "", phone)
        error = _refusal(account, number, refuse_all)
        cost = Decimal(0) if error else account.price_per_part * parts
        row = {"phone": number, "mccmnc": "" if error else "25001",
               "cost": f"{cost:.2f}", "status": "-1" if error else "0"}  # fmt: skip
        if error:
            row["error"] = error
        else:
            accepted.append((number, cost))
        rows.append(row)
    total = sum((cost for _number, cost in accepted), Decimal(0))
    if cost_only:
        return out.data({"cost": f"{total:.2f}", "cnt": parts * len(accepted)}, "cost")
    if not accepted:
        code = 7 if all(r["error"] == ERR_INVALID for r in rows) else 8
        extra = {"phones": rows} if params.get("op") == "1" else {}
        return out.error(code, message_id=message_id, extra=extra)
    if total > account.balance:
        return out.error(3, message_id=message_id)
    for number, cost in accepted:
        state.submit(
            SimMessage(
                id=f"{message_id}:{number}", gateway="smsc", login=account.login,
                phone=number, text=text, sender=sender, channel=channel,
                reference=message_id, packet=message_id, parts=parts, cost=cost,
                send_at=send_at or None,
                extra={k: params[k] for k in KIND_PARAMS if k in params},
            )
        )  # fmt: skip
    answer: dict = {"id": _number_or_text(message_id), "cnt": parts * len(accepted)}
    if params.get("cost") in ("2", "3"):
        answer["cost"] = f"{total:.2f}"
    if params.get("cost") == "3":
        answer["balance"] = f"{account.balance:.2f}"
    if params.get("op") == "1":
        answer["phones"] = rows
    elif params.get("err") == "1" and len(accepted) < len(rows):
        answer["phones"] = [r for r in rows if "error" in r]
    return out.data(answer, "send")


def status(request, state, account, params, out) -> SimResponse:
    ids, phones = params.get("id", ""), params.get("phone", "")
    multi = "," in ids or "," in phones
    pairs = list(zip(_split(ids), (re.sub(r"\D", "", p) for p in _split(phones)), strict=False))  # fmt: skip
    if not pairs or len(_split(ids)) != len(_split(phones)):
        return out.error(1, texts=STATUS_ERRORS)
    if params.get("del") == "1":
        message_id, number = pairs[0]
        if not state.cancel("smsc", f"{message_id}:{number}"):
            return out.error(5, texts=STATUS_ERRORS)
        return out.data({"result": "OK"}, "del")  # Assumption: success body
    # More than one mass request a minute is refused (REFERENCE §2.5), whatever ids
    # it names; a single message's status is not a mass request.
    if multi and _too_frequent(state, account, "mass status", {}, 1):
        return out.error(9, texts=STATUS_ERRORS)
    detail = params.get("all", "0")
    items = [_status_item(state, account, i, n, detail, multi) for i, n in pairs]
    return out.data(items if multi else items[0], "status")


def balance(request, state, account, params, out) -> SimResponse:
    if _too_frequent(state, account, request.path, params, 10):
        return out.error(9)
    answer = {"balance": f"{account.balance:.2f}"}
    if params.get("cur") == "1":
        answer["currency"] = "RUR" if account.currency == "RUB" else account.currency
    return out.data(answer, "balance")


def get(request, state, account, params, out) -> SimResponse:
    if params.get("get_answers") != "1":
        return out.error(1)
    if _too_frequent(state, account, request.path, params, 3):
        return out.error(9)
    now = state.clock()
    if params.get("hour"):
        start = now - float(params["hour"]) * 3600
    else:  # the current day, Moscow time
        today = datetime.fromtimestamp(now, MOSCOW).replace(hour=0, minute=0, second=0)
        start = today.timestamp()
    after = int(params.get("after_id") or 0)
    with state.lock:
        rows = [
            _incoming_row(item) for item in state.incoming
            if item.gateway == "smsc" and item.login == account.login
            and item.received_at >= start and int(item.id) > after
            and params.get("to_phone", item.to) in (item.to, "")
        ]  # fmt: skip
    count = int(params.get("cnt") or 0)  # Assumption: `cnt` caps the list
    return out.data(rows[:count] if count else rows, "list")


def senders(request, state, account, params, out) -> SimResponse:
    name = params.get("sender", "")
    with state.lock:
        if params.get("get") == "1":
            rows = [
                {"sender": s} for s, st in account.senders.items() if st == "active"
            ]
            return out.data(rows, "list")
        if params.get("add") == "1" and name:
            account.senders.setdefault(name, "moderation")
            return out.data({"id": _number_or_text(state.next_id())}, "list")
        if params.get("del") == "1" and name in account.senders:
            del account.senders[name]
            return out.data({"result": "OK"}, "list")
    return out.error(1)


def phones(request, state, account, params, out) -> SimResponse:
    number = re.sub(r"\D", "", params.get("phone", ""))
    group = params.get("grp", "")
    with state.lock:
        if params.get("add_black") == "1" and number:
            account.stop_list.add(number)
            return out.data({"id": _number_or_text(state.next_id())}, "list")
        if params.get("del_black") == "1" and number:
            account.stop_list.discard(number)
            return out.data({"result": "OK"}, "list")
        if params.get("add") == "1" and number:
            book = account.phone_book.setdefault(group, {})
            book[number] = {"name": params.get("name", "")}
            return out.data({"id": _number_or_text(state.next_id())}, "list")
        if params.get("del") == "1" and number:
            for book in account.phone_book.values():
                book.pop(number, None)
            return out.data({"result": "OK"}, "list")
        if params.get("get") == "1":
            rows = [
                {"phone": phone, "name": fields.get("name", ""), "grp": grp}
                for grp, book in account.phone_book.items() if not group or grp == group
                for phone, fields in book.items()
            ]  # fmt: skip
            return out.data(rows, "list")
    return out.error(1)


ROUTES = {
    "/sys/send.php": send,
    "/sys/status.php": status,
    "/sys/balance.php": balance,
    "/sys/get.php": get,
    "/sys/senders.php": senders,
    "/sys/phones.php": phones,
}


# Callbacks (format: the assumption of REFERENCE §2.6) ------------------------------


def callback_unacknowledged(
    body: bytes, status: int | None, reply: bytes
) -> bytes | None:
    """Assumption: SMSC's callback page could not be read (REFERENCE §2.6, §6): a
    callback the handler does not answer with 2xx, or at all, is posted again, as
    the other gateways do with theirs; the body is not read."""
    return None if status is not None and 200 <= status < 300 else body


def build_status_callback(
    message: SimMessage, account: SimAccount
) -> tuple[str, bytes, str] | None:
    if not account.status_callback_url or message.state == CANCELLED:
        return None
    code, err = STATE_CODES[message.state]
    fields = {
        "id": message.packet, "phone": message.phone, "status": str(code),
        "err": str(err), "ts": str(int(message.changed_at)),
        "time": _moscow(message.changed_at), "cnt": str(message.parts),
        "type": str(TYPE_FLAGS.get(message.channel, 0)),
    }  # fmt: skip
    signed = [fields["id"], fields["phone"], fields["status"]]
    return account.status_callback_url, *_signed_form(fields, signed, account)


def build_incoming_callback(
    item: SimIncoming, account: SimAccount
) -> tuple[str, bytes, str] | None:
    if not account.incoming_callback_url:
        return None
    fields = {
        "id": item.id, "phone": item.phone, "mes": item.text, "to": item.to,
        "sent": _moscow(item.received_at - 2), "time": _moscow(item.received_at),
        "ts": str(int(item.received_at)),
    }  # fmt: skip
    signed = [item.id, item.phone, item.text, item.to]
    return account.incoming_callback_url, *_signed_form(fields, signed, account)


def _signed_form(
    fields: dict[str, str], signed: list[str], account: SimAccount
) -> tuple[bytes, str]:
    """The form in the account's charset; with a secret set in the cabinet, md5 of
    the signed values and the secret joined by ':', in that charset too (REFERENCE
    §2.6; providers/gateways/smsc.py). Without one, no md5 (an assumption)."""
    if account.callback_secret:
        joined = ":".join([*signed, account.callback_secret])
        digest = hashlib.md5(joined.encode(account.charset, "replace"))  # noqa: S324
        fields["md5"] = digest.hexdigest()
    body = urlencode(fields, encoding=account.charset, errors="replace")
    return body.encode("ascii"), "application/x-www-form-urlencoded"


# Helpers --------------------------------------------------------------------------


class _Out:
    """Renders answers in the requested fmt and charset."""

    def __init__(self, fmt: str, charset: str) -> None:
        self.fmt, self.charset = fmt, charset

    def error(self, code, *, message_id="", texts=ERRORS, extra=None) -> SimResponse:
        text = texts[code]
        if self.fmt == "1":
            return self._text(f"{message_id or 0},-{code}")
        if self.fmt == "2":
            tail = f"<id>{message_id}</id>" if message_id else ""
            return self._xml(f"<result><error>{text}</error><error_code>{code}</error_code>{tail}</result>")  # fmt: skip
        if self.fmt == "3":
            body = {"error": text, "error_code": code}
            if message_id:
                body["id"] = _number_or_text(message_id)
            return self._json({**body, **(extra or {})})
        tail = f", ID - {message_id}" if message_id else ""
        return self._text(f"ERROR = {code} ({text}){tail}")

    def data(self, answer, operation: str) -> SimResponse:
        if self.fmt == "3" or isinstance(answer, list) or operation in ("list", "del"):
            return self._json(answer)  # lists and phones/senders answers: JSON only
        if operation == "send":
            if self.fmt == "1":
                keys = ("id", "cnt", "cost", "balance")
                return self._text(",".join(str(answer[k]) for k in keys if k in answer))
            if self.fmt == "2":
                return self._xml("".join(f"<{k}>{v}</{k}>" for k, v in answer.items() if k != "phones"))  # fmt: skip
            text = f"OK - {answer['cnt']} SMS, ID - {answer['id']}"
            if "cost" in answer:
                text += f", COST - {answer['cost']}"
            if "balance" in answer:
                text += f", BALANCE - {answer['balance']}"
            return self._text(text)
        if operation == "cost":
            return self._text(f"{answer['cost']},{answer['cnt']}")
        if operation == "status":
            if self.fmt == "1":
                return self._text(f"{answer['status']},{answer['last_timestamp']},{answer['err']}")  # fmt: skip
            if self.fmt == "2":
                return self._xml("<sms>" + "".join(f"<{k}>{v}</{k}>" for k, v in answer.items()) + "</sms>")  # fmt: skip
            return self._text(
                f"Status = {answer['status']}, check_time = {answer['last_date']}, "
                f"err = {answer['err']}"
            )
        if self.fmt == "2":
            return self._xml(f"<balance>{answer['balance']}</balance>")
        return self._text(answer["balance"])

    def _json(self, data) -> SimResponse:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return SimResponse(body.encode(self.charset, "replace"), self._type("application/json"))  # fmt: skip

    def _text(self, text: str) -> SimResponse:
        return SimResponse(text.encode(self.charset, "replace"), self._type("text/plain"))  # fmt: skip

    def _xml(self, text: str) -> SimResponse:
        return SimResponse(text.encode(self.charset, "replace"), self._type("text/xml"))  # fmt: skip

    def _type(self, mime: str) -> str:
        # windows-1251 answers come without a charset label (REFERENCE §5.2 S18).
        return mime if self.charset == "cp1251" else f"{mime}; charset={self.charset}"


def _charset(value: str) -> str:
    value = value.strip().lower()
    if "utf" in value:
        return "utf-8"
    return "koi8-r" if "koi8" in value else "cp1251"


def _authenticate(state: SimulatorState, params: dict) -> SimAccount | None:
    if params.get("apikey"):
        return state.authenticate("smsc", token=params["apikey"])
    login, psw = params.get("login", ""), params.get("psw", "")
    account = state.authenticate("smsc", login=login, password=psw)
    if account is None:  # psw may also be the lower-case MD5 of the password
        with state.lock:
            candidate = state.accounts.get(("smsc", login))
        digest = hashlib.md5(candidate.password.encode()).hexdigest() if candidate else ""  # noqa: S324  # fmt: skip
        if candidate and candidate.password and psw == digest:
            account = candidate
    return account


def forget_requests(now: float) -> None:
    """Drop the requests out of the one-minute window: a long-running simulator kept
    every distinct request (a send's whole phone list) for good."""
    for _account, memory in list(_recent.values()):
        for fingerprint, times in list(memory.items()):
            if not times or now - times[-1] >= WINDOW:
                memory.pop(fingerprint, None)


def _too_frequent(state, account, path, params, limit: int) -> bool:
    """Record this request; True when `limit` identical ones came within a minute."""
    now = state.clock()
    fingerprint = (path, tuple(sorted(params.items())))
    with state.lock:
        owner, memory = _recent.get(id(account), (None, {}))
        if owner is not account:
            memory = {}
            _recent[id(account)] = (account, memory)
        times = [t for t in memory.get(fingerprint, []) if now - t < WINDOW]
        if len(times) >= limit:
            memory[fingerprint] = times
            return True
        memory[fingerprint] = [*times, now]
        return False


# The voices send.php takes (REFERENCE §2.2: smsc-sql's enum).
VOICES = frozenset({"m", "m2", "w", "w2", "w3"})
# The message-kind parameters kept per message, for tests of what reached us.
KIND_PARAMS = ("flash", "viber", "call", "voice", "param", "fileurl", "translit",
               "valid", "time", "tz")  # fmt: skip


def _refusal(account: SimAccount, number: str, refuse_all: bool) -> str:
    if len(number) < 10 or len(number) > 15 or number.endswith("9999"):
        return ERR_INVALID
    if number in account.stop_list:
        return ERR_BLACK_LIST
    return ERR_REFUSED if refuse_all else ""


def _channel(params: dict) -> str:
    for flag, channel in (("hlr", "hlr"), ("viber", "viber"), ("flash", "flash"), ("call", "voice")):  # fmt: skip
        if params.get(flag) == "1":
            return channel
    return "sms"


# REFERENCE §2.2: `valid` is hh:mm or whole hours 1..24; `id` a number or at most 40
# of [A-Za-z0-9._-]. Assumption: SMSC answers anything else with error 1, as it does
# other malformed parameters; accepting it would let a wrong value we send pass.
_VALID_HOURS = re.compile(r"(?:[01]?[0-9]|2[0-4])(?::[0-5][0-9])?")
_MESSAGE_ID = re.compile(r"[A-Za-z0-9._-]{1,40}")


def _documented_form(params: dict[str, str]) -> bool:
    valid, message_id = params.get("valid", ""), params.get("id", "")
    if valid:
        hours, _sep, minutes = valid.partition(":")
        total = (
            int(hours) * 60 + int(minutes or 0) if _VALID_HOURS.fullmatch(valid) else 0
        )
        if not 1 <= total <= 24 * 60:
            return False
    return not message_id or bool(_MESSAGE_ID.fullmatch(message_id))


def _parse_time(value: str, now: float) -> float | None | bool:
    """send.php `time` -> epoch seconds; None for "now"; False when malformed."""
    value = value.strip()
    if not value:
        return None
    try:
        if value.startswith("+"):
            return now + int(value[1:]) * 60
        if value.startswith("0") and value.isdigit() and len(value) > 10:
            return float(value[1:])
        if re.fullmatch(r"\d{1,2}-\d{1,2}", value):
            return None  # an hour window: the simulator sends at once
        for pattern in ("%d.%m.%y %H:%M", "%d%m%y%H%M", "%d.%m.%Y %H:%M"):
            try:
                return datetime.strptime(value, pattern).replace(tzinfo=MOSCOW).timestamp()  # fmt: skip
            except ValueError:
                continue
    except ValueError:
        return False
    return False


def _status_item(state, account, message_id, number, detail, multi) -> dict:
    message = state.get("smsc", f"{message_id}:{number}")
    if message is None or message.login != account.login:
        item: dict = {"status": -3, "err": 0}
        return {"id": _number_or_text(message_id), "phone": number, **item} if multi else item  # fmt: skip
    code, err = STATE_CODES[message.state]
    item = {"status": code, "last_date": _moscow(message.changed_at),
            "last_timestamp": int(message.changed_at),
            "flag": TYPE_FLAGS.get(message.channel, 0), "err": err}  # fmt: skip
    if detail in ("1", "2"):
        item.update(
            send_date=_moscow(message.created_at), send_timestamp=int(message.created_at),
            phone=message.phone, cost=f"{message.cost:.2f}", sender_id=message.sender,
            status_name=STATUS_NAMES.get(code, ""), message=message.text, comment="",
            type=TYPE_FLAGS.get(message.channel, 0), sms_cnt=message.parts,
        )  # fmt: skip
    if detail == "2":
        item.update(country="Россия", operator="МТС", operator_orig="МТС",
                    region="г.Москва и Московская область", mccmnc="25001")  # fmt: skip
        if message.channel == "hlr":
            item.update(imsi="250010000000001", msc="79168999999", mcc="250",
                        mnc="01", cn="Россия", net="МТС", rcn="", rnet="")  # fmt: skip
    if multi:
        item = {"id": _number_or_text(message_id), "phone": message.phone, **item}
    return item


def _incoming_row(item: SimIncoming) -> dict:
    return {
        "id": int(item.id), "received": _moscow(item.received_at),
        "phone": item.phone, "message": item.text, "to_phone": item.to,
        "sent": _moscow(item.received_at - 2),
    }  # fmt: skip


def _moscow(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, MOSCOW).strftime("%d.%m.%Y %H:%M:%S")


def _split(value: str) -> list[str]:
    return [v for v in value.split(",") if v.strip()]


def _number_or_text(value: str) -> int | str:
    return int(value) if value.isdigit() and len(value) < 10 else value


__all__ = [
    "build_incoming_callback",
    "build_status_callback",
    "callback_unacknowledged",
    "forget_requests",
    "handle",
]

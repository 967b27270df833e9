"""SMSC (smsc.ru / smscentre.com): `/sys/*.php` with JSON answers (`fmt=3`).

Docs: https://smscentre.com/api/http/ (seed 001 for get_answers and the table of
contents); REFERENCE.md §2 and §5.2 restate the rest. Quirks are commented where they
bite; guesses are marked "Assumption:". docs/gateways/smsc.md lists every operation.

Identity and idempotency. SMSC returns one `id` per request and identifies a message by
(id, phone); our gateway_message_id is "<id>:<phone digits>". SMSC has no server-side
idempotency, only a refusal (error 9) of an identical request within a minute, so:
- every message goes out in its own send.php request with `id` = our reference, which
  makes each message findable later by (reference, phone) alone: `resolve_references`
  asks status.php for exactly that. One request per message costs throughput, but a
  multi-phone request would share one id and leave no per-reference way to reconcile;
- error 9 on send means SMSC saw this exact request (same id, phone, text) within the
  last minute. We ask status.php at once: if SMSC holds the message, the earlier
  request was accepted and we return its result (QUEUED), never sending again; if not,
  we raise RateLimited with outcome_unknown=True, so the caller waits `retry_after` and
  reconciles with `resolve_references` instead of resending blindly;
- an error after part of a batch went out raises PartlySent: the results of the
  messages sent so far, the error of the one that failed (reconciled by reference if
  its outcome is unknown), and the rest known not to be sent.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from providers.base import (
    LATIN_OR_NUMERIC_SENDER,
    LATIN_OR_NUMERIC_SENDER_RULE,
    TOKEN_OR_LOGIN_AND_PASSWORD,
    Balance,
    Capability,
    CostEstimate,
    DeliveryStatus,
    FailureReason,
    InboundRequest,
    IncomingBatch,
    IncomingMessage,
    MessageChannel,
    NumberInfo,
    OutgoingSms,
    PhoneBookEntry,
    SenderNameInfo,
    SendResult,
    SmsGateway,
    StatusReport,
    ViberField,
)
from providers.exceptions import (
    AuthenticationFailed,
    CallbackForged,
    CallbackRejected,
    GatewayError,
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
    InsufficientBalance,
    MessageDenied,
    NotSupported,
    PartlyCancelled,
    RateLimited,
    WithdrawalRefused,
)
from providers.gateways import smsc_parse as p
from providers.parsing import BodyError, digits, e164, to_decimal, to_int

logger = logging.getLogger("providers.smsc")

# get_answers, a page at a time. Assumption: `cnt` caps the list (REFERENCE §2.9 infers
# it from seed 001's "first 10 / 15 / 20"); asking for a page keeps us reading on
# after_id whatever the gateway's own cap, and a gateway that ignores `cnt` answers
# all at once, followed by one empty page.
INCOMING_PAGE = 200
# Pages read by one fetch (10,000 messages): a runaway after_id must not loop for ever,
# and a fetch must end; the next one goes on after the last id this one read.
INCOMING_PAGES_MAX = 50

SEND, STATUS, BALANCE = "/sys/send.php", "/sys/status.php", "/sys/balance.php"
GET, SENDERS, PHONES = "/sys/get.php", "/sys/senders.php", "/sys/phones.php"
DUPLICATE_WAIT = 60.0  # error 9: identical requests are refused for a minute
HLR_POLL = (0.5, 1.0, 1.5, 2.0)  # seconds between HLR status polls (≤5 per message)


class SmscGateway(SmsGateway):
    kind = "smsc"
    label = "SMSC"
    default_base_url = "https://smsc.ru"
    sender_pattern = LATIN_OR_NUMERIC_SENDER
    sender_rule = LATIN_OR_NUMERIC_SENDER_RULE
    credential_sets = TOKEN_OR_LOGIN_AND_PASSWORD
    credentials_rule = _(
        "an API key (in the API token field), or a login and a password"
    )
    # senders.php?get=1 lists registered and approved names only (REFERENCE §2.10).
    sender_list_complete = False
    capabilities = frozenset(
        {
            Capability.SEND,
            Capability.FLASH,
            Capability.VIBER,
            Capability.VOICE,
            Capability.SCHEDULED_SEND,
            Capability.VALIDITY,
            Capability.TRANSLIT,
            Capability.STATUS_POLL,
            Capability.STATUS_CALLBACK,
            Capability.BALANCE,
            Capability.INCOMING,
            Capability.INCOMING_CALLBACK,
            Capability.SENDER_NAMES,
            Capability.SENDER_NAME_ADD,
            Capability.SENDER_NAME_DELETE,
            Capability.STOP_LIST_WRITE,
            Capability.SCHEDULED_CANCEL,
            Capability.PHONE_BOOK,
            Capability.COST_ESTIMATE,
            Capability.NUMBER_LOOKUP,
            Capability.RESOLVE_REFERENCE,
            Capability.TEST_MODE,  # cost=1 on send: priced, not sent (_send_test)
        }
    )
    channels = frozenset(
        {
            MessageChannel.SMS,
            MessageChannel.FLASH,
            MessageChannel.VIBER,
            MessageChannel.VOICE,
        }
    )
    # REFERENCE §2.3: send.php takes a Viber image as `fileurl`; no parameter for a
    # button is known (the list of sections only names a Viber page).
    viber_fields = frozenset({ViberField.IMAGE_URL})
    viber_refusals: ClassVar[Mapping[ViberField, str]] = {
        ViberField.BUTTON_TEXT: _(
            "SMSC's sending API has no parameter for a Viber button, so it would be "
            "dropped. Leave it empty."
        ),
        ViberField.BUTTON_URL: _(
            "SMSC's sending API has no parameter for a Viber button, so it would be "
            "dropped. Leave it empty."
        ),
        ViberField.IMAGE_ID: _(
            "SMSC takes a Viber picture by its link (fileurl), not by a number of a "
            "gallery, so the number would be dropped. Give the picture's link "
            "instead."
        ),
    }
    max_validity = p.MAX_VALIDITY
    max_batch = 20  # messages per send() call; one send.php request each (see above)
    max_status_batch = 100
    # More than one mass status request a minute is refused with error 9 (REFERENCE
    # §2.5); polling runs once a minute per account (campaigns.polling).
    status_requests_per_poll = 1
    status_map: ClassVar[Mapping[str, DeliveryStatus]] = {
        code: status for code, (status, _reason) in p.STATUS_TABLE.items()
    }
    # Document-level error codes (REFERENCE §2.1/§2.2) -> what the caller must do.
    error_map: ClassVar[Mapping[str, type[GatewayError]]] = {
        "1": GatewayRefused,  # error in parameters
        "2": AuthenticationFailed,  # login/password, or IP not in the allow-list
        "3": InsufficientBalance,
        "4": RateLimited,  # IP temporarily blocked after frequent errors
        "5": GatewayRefused,  # date format (send) / cannot delete (status del=1)
        "6": MessageDenied,  # message denied by text or sender name
        "7": GatewayRefused,  # phone format (per recipient on send)
        "8": GatewayRefused,  # cannot deliver (per recipient on send)
        "9": RateLimited,  # identical/too frequent requests
    }
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    # Every gateway ------------------------------------------------------------

    def send(self, batch: Sequence[OutgoingSms]) -> list[SendResult]:
        for sms in batch:
            if sms.channel not in self.channels:
                raise NotSupported(self.kind, f"channel {sms.channel}")
        return self.send_each(batch, self._send_one)

    def fetch_statuses(self, gateway_ids: Sequence[str]) -> list[StatusReport]:
        pairs = [pair for gid in gateway_ids if (pair := p.split_gateway_id(gid))]
        reports = []
        for start in range(0, len(pairs), self.max_status_batch):
            chunk = pairs[start : start + self.max_status_batch]
            for (message_id, phone), item in self._statuses(chunk):
                if str(to_int(item.get("status"), None)) != "-3":
                    reports.append(p.status_report(item, f"{message_id}:{phone}"))
        return reports

    def balance(self) -> Balance:
        answer = self._call(BALANCE, {"cur": "1"}, operation="balance")
        if not isinstance(answer, dict) or "balance" not in answer:
            raise self._protocol_error("balance answer without balance")
        currency = str(answer.get("currency") or "RUB").upper()
        return Balance(
            amount=to_decimal(answer["balance"]) or Decimal(0),
            currency="RUB" if currency == "RUR" else currency,  # SMSC says RUR
            raw=self.http.redact(json.dumps(answer, ensure_ascii=False)),
        )

    # Callbacks ----------------------------------------------------------------
    # SMSC posts form fields (or a query string) to the handler URL set in its
    # cabinet: status reports id, phone, status, err, ts, time, cnt, type; incoming
    # messages id, phone, mes, to, sent, ts. It expects the reply "OK".
    # Assumption: the signature, as the public integrations built from SMSC's page
    # "Передача статусов и сообщений на обработчик Клиента" agree on it (REFERENCE
    # §2.6 could not retrieve that page, and calls the algorithm unknown):
    # md5 = md5("<id>:<phone>:<status>:<secret>"), hex, the secret
    # being the one set in the cabinet's settings, not the account's password.
    callback_secret_rule = _(
        "the secret set for the handler of statuses and incoming messages in SMSC's "
        "cabinet (“Настройки”): SMSC signs each callback with it"
    )

    def verify_callback(self, request: InboundRequest) -> None:
        secret = self.config.callback_secret
        if not secret:
            # Assumption: the page describes the signature with a secret only; with
            # none set here there is nothing to check it against, and the URL's
            # unguessable token authenticates the callback, as for Webcom and WEBSMS,
            # which sign none.
            return
        fields, charset = p.callback_form(request)
        signed, expected = p.callback_checksums(fields, secret, charset)
        given = fields.get("md5", "").strip().lower().encode()
        if given and any(hmac.compare_digest(given, e.encode()) for e in expected):
            return
        # Refusing loses nothing genuine: status.php polling and get_answers still
        # read every status and reply, should the secret typed here be wrong.
        what = ", ".join(f"{key}={fields.get(key, '')[:40]!r}" for key in signed)
        problem = (
            f"md5 {given.decode()!r} does not match md5({':'.join(signed)}:<secret>) of {what}"
            if given
            else f"no md5 in the callback of {what}, though a signing secret is set"
        )
        raise CallbackForged(self.kind, problem)

    one_callback_url = True

    def is_incoming_callback(self, request: InboundRequest) -> bool:
        """An incoming message (it has a text), whichever URL it reached: the cabinet's
        handler URL may serve both (REFERENCE §2.6)."""
        return p.is_incoming(p.callback_fields(request))

    def parse_status_callback(self, request: InboundRequest) -> list[StatusReport]:
        fields = p.callback_fields(request)
        if not fields.get("id") or not digits(fields.get("phone", "")):
            raise CallbackRejected(self.kind, "status callback without id and phone")
        try:
            gid = f"{fields['id']}:{digits(fields['phone'])}"
            report = p.status_report(fields, gid)
        except BodyError as exc:
            raise CallbackRejected(self.kind, f"unreadable callback: {exc}") from exc
        return [report]

    def parse_incoming_callback(self, request: InboundRequest) -> list[IncomingMessage]:
        fields = p.callback_fields(request)
        try:
            return [p.incoming_message(fields, text_key="mes", to_key="to")]
        except BodyError as exc:
            raise CallbackRejected(self.kind, f"unreadable callback: {exc}") from exc

    # Optional operations ------------------------------------------------------

    def resolve_references(
        self, references: Sequence[str], *, phones: Mapping[str, str] | None = None
    ) -> dict[str, SendResult]:
        """status.php?id=<reference>&phone=<phone>: which submits SMSC holds.

        SMSC finds a message only by (id, phone), so `phones` (reference -> phone) is
        required here; references SMSC does not know are left out of the answer.
        """
        missing = [ref for ref in references if not (phones or {}).get(ref)]
        if missing:
            raise GatewayRefused(self.kind, f"no phone given for {missing[:3]}")
        pairs = {(p.smsc_id(ref), digits(phones[ref])): ref for ref in references}  # type: ignore[index]
        found: dict[str, SendResult] = {}
        keys = list(pairs)
        for start in range(0, len(keys), self.max_status_batch):
            for key, item in self._statuses(
                keys[start : start + self.max_status_batch]
            ):
                report = p.status_report(item, f"{key[0]}:{key[1]}")
                if report.vendor_code.split("/")[0] == "-3":
                    continue
                found[pairs[key]] = p.submitted_result(pairs[key], report)
        return found

    def _incoming_page(self, answer: Any) -> list[IncomingMessage]:
        if not isinstance(answer, list):
            raise self._protocol_error("get_answers answer is not a list")
        try:
            return [
                p.incoming_message(item, text_key="message", to_key="to_phone")
                for item in answer
            ]
        except BodyError as exc:
            raise self._protocol_error(str(exc)) from exc

    def incoming(
        self, *, since: datetime, until: datetime | None = None
    ) -> list[IncomingMessage]:
        """Every message received in [since, until), read from the window's first."""
        messages = self.incoming_after(cursor="", since=since).messages
        return [
            m
            for m in messages
            if m.received_at is None
            or (m.received_at >= since and (until is None or m.received_at < until))
        ]

    def incoming_after(self, *, cursor: str, since: datetime) -> IncomingBatch:
        # Seed 001 lists "the first N" messages "with ids larger than" after_id: read
        # on page by page after the last id seen, from the cursor (the last id an
        # earlier fetch stored) or from the window's first message. INCOMING_PAGES_MAX
        # bounds one fetch only; the batch's cursor is where the next one goes on.
        # get_answers refuses a 4th identical request within a minute (seed 001, error
        # 9): look back whole hours, never repeat the last window from this instance,
        # and on error 9 widen the window once.
        hours = max(1, math.ceil((timezone.now() - since).total_seconds() / 3600))
        if hours == getattr(self, "_last_hours", None):
            hours += 1
        window = {"get_answers": "1", "hour": str(hours), "cnt": str(INCOMING_PAGE)}
        after = to_int(cursor) or 0
        messages: list[IncomingMessage] = []
        for page_number in range(INCOMING_PAGES_MAX):
            params = {**window, "after_id": str(after)} if after else window
            try:
                answer = self._call(GET, params)
            except RateLimited:
                if page_number:
                    break  # the next fetch goes on from the cursor
                window["hour"] = str(hours := hours + 1)
                answer = self._call(GET, {**params, "hour": window["hour"]})
            self._last_hours = hours
            page = [
                m for m in self._incoming_page(answer) if not after or _id(m) > after
            ]
            if not page:
                break  # the end, or a gateway that ignores after_id: nothing new
            messages += page
            after = max(_id(m) for m in page)
            if len(answer) != INCOMING_PAGE:
                # A short page is the list's end; a longer one, a gateway that
                # ignores `cnt` and answered all at once.
                break
        return IncomingBatch(messages, cursor=str(after) if after else cursor)

    def sender_names(self) -> list[SenderNameInfo]:
        answer = self._call(SENDERS, {"get": "1"})
        if not isinstance(answer, list):
            raise self._protocol_error("senders answer is not a list")
        # The answer lists registered and approved names; `status`/`cmt` are
        # Assumption: read when present (only `sender` is confirmed).
        return [
            SenderNameInfo(
                name=str(item.get("sender", "")),
                state=str(item.get("status") or "active"),
                usable=str(item.get("status") or "active") == "active",
                comment=str(item.get("cmt") or ""),
            )
            for item in answer
            if isinstance(item, dict) and item.get("sender")
        ]

    def sender_name_add(self, name: str, *, comment: str = "") -> SenderNameInfo:
        self._call(SENDERS, {"add": "1", "sender": name, "cmt": comment})
        # Assumption: a new name waits for SMSC's moderation before it can be used.
        return SenderNameInfo(
            name=name, state="moderation", usable=False, comment=comment
        )

    def sender_name_delete(self, name: str) -> None:
        # REFERENCE §2.10: senders.php?del=1&sender=<name>. Assumption: an answer
        # without "error" is success (its body is not documented).
        self._call(SENDERS, {"del": "1", "sender": name})

    def stop_list_add(self, phones: Sequence[str]) -> None:
        # type=0: block every kind of message (1 mass only, 2 single only).
        for phone in phones:
            self._call(PHONES, {"add_black": "1", "phone": digits(phone), "type": "0"})

    def stop_list_remove(self, phones: Sequence[str]) -> None:
        for phone in phones:
            self._call(PHONES, {"del_black": "1", "phone": digits(phone)})

    def cancel_scheduled(self, gateway_ids: Sequence[str]) -> list[str]:
        cancelled: list[str] = []
        refused: list[str] = []
        for gid in gateway_ids:
            pair = p.split_gateway_id(gid)
            if pair is None:
                continue
            try:
                answer = self._call(
                    STATUS, {"del": "1", "id": pair[0], "phone": pair[1]}, check=False
                )
                error = p.error_of(answer)
                if error and error[0] == "5":  # "error deleting": too late, or gone
                    if not self._deleted_already(pair):
                        # Going out: polling records what became of it; the user
                        # is told why it was not withdrawn.
                        refused.append(gid)
                        continue
                elif error:
                    self.raise_for_answer(answer)
            except GatewayError as exc:
                if not cancelled:
                    raise
                # One request per message: those withdrawn before the failure are
                # withdrawn, and are said to be; the rest stay scheduled for the
                # next cancel to try.
                raise PartlyCancelled(
                    self.kind, cancelled=cancelled, cause=exc
                ) from exc
            cancelled.append(gid)  # Assumption: any answer without `error` is success
        if refused:
            cause = WithdrawalRefused(self.kind, refused=refused)
            if cancelled:
                raise PartlyCancelled(self.kind, cancelled=cancelled, cause=cause)
            raise cause
        return cancelled

    def _deleted_already(self, pair: tuple[str, str]) -> bool:
        """After error 5 to a deletion: whether SMSC no longer has the message (it was
        deleted: by an earlier request whose answer was lost, or in the cabinet),
        rather than sent it or sending it now (too late to delete).

        Assumption: SMSC's status codes (REFERENCE §2.5) have none for a deleted
        message; status.php no longer finds one (-3, "not found"), while one sent,
        delivered or refused keeps its status. A message SMSC gave us an id for and
        no longer finds was deleted, not sent. Asked in the single form: a mass
        request would spend the minute's one, polling's (REFERENCE §2.5).
        """
        [(_key, item)] = self._statuses([pair])
        return str(to_int(item.get("status"), None)) == "-3"

    def phone_book_list(self, *, group: str = "") -> list[PhoneBookEntry]:
        answer = self._call(PHONES, {"get": "1", **({"grp": group} if group else {})})
        if not isinstance(answer, list):
            raise self._protocol_error("phones.php get answer is not a list")
        # Assumption: contacts come as objects with phone, name and grp.
        return [
            PhoneBookEntry(
                phone=e164(str(item.get("phone", ""))),
                name=str(item.get("name") or ""),
                group=str(item.get("grp") or ""),
                extra={
                    k: str(v)
                    for k, v in item.items()
                    if k not in ("phone", "name", "grp")
                },
            )
            for item in answer
            if isinstance(item, dict)
        ]

    def phone_book_push(self, entries: Sequence[PhoneBookEntry], *, group: str) -> int:
        for entry in entries:
            self._call(
                PHONES,
                {
                    "add": "1",
                    "phone": digits(entry.phone),
                    "name": entry.name,
                    "grp": group,
                },
            )
        return len(entries)

    def estimate_cost(self, batch: Sequence[OutgoingSms]) -> CostEstimate:
        groups: dict[tuple, list[OutgoingSms]] = {}
        for sms in batch:
            groups.setdefault((sms.text, sms.sender, sms.channel), []).append(sms)
        total, segments = Decimal(0), 0
        for items in groups.values():
            params = p.message_params(items[0])
            params.update(cost="1", phones=",".join(digits(s.phone) for s in items))
            params.pop("id", None)
            answer = self._call(SEND, params, operation="cost")
            total += to_decimal(answer.get("cost")) or Decimal(0)
            segments += to_int(answer.get("cnt"), 0) or 0
        return CostEstimate(total=total, segments=segments, messages=len(batch))

    def lookup_number(self, phone: str) -> NumberInfo:
        number = digits(phone)
        request_id = f"hlr{number}t{int(time.time())}"
        self._call(SEND, {"hlr": "1", "phones": number, "id": request_id})
        item: dict[str, Any] = {}
        for pause in HLR_POLL:  # the HLR answer arrives asynchronously
            self.sleep(pause)
            [(_key, item)] = self._statuses([(request_id, number)], detail="2")
            if str(to_int(item.get("status"), None)) in ("1", "20", "22", "25"):
                break
        return p.number_info(number, item, raw=self.http.redact(json.dumps(item)))

    # Helpers ------------------------------------------------------------------

    def _send_one(self, sms: OutgoingSms) -> SendResult:
        if self.config.test_mode:
            return self._send_test(sms)
        params = p.message_params(sms)
        params.update(cost="3", op="1", err="1")
        message_id, phone = params["id"], digits(sms.phone)
        try:
            answer = self._call(SEND, params, check=False, unknown_outcome=True)
        except GatewayUnavailable as exc:
            if exc.status is None or not exc.outcome_unknown or exc.status >= 500:
                raise  # no answer at all: the caller reconciles later
            return self._lookup_submitted(sms, message_id, phone, exc)  # unreadable
        error = p.error_of(answer)
        if error and error[0] in ("7", "8"):  # this (only) recipient was refused
            return p.refused_result(sms, error, p.phone_entry(answer, phone))
        if error and error[0] == "9":
            cause = RateLimited(
                self.kind,
                "identical request refused (error 9)",
                vendor_code="9",
                raw=self.http.redact(json.dumps(answer, ensure_ascii=False)),
                retry_after=DUPLICATE_WAIT,
                outcome_unknown=True,
            )
            return self._lookup_submitted(sms, message_id, phone, cause)
        if error:
            self.raise_for_answer(answer)
        entry = p.phone_entry(answer, phone)
        if entry and str(entry.get("error") or "0") not in ("", "0"):
            return p.refused_result(sms, ("", "", ""), entry)
        return SendResult(
            reference=sms.reference,
            gateway_message_id=f"{answer.get('id') or message_id}:{phone}",
            status=DeliveryStatus.QUEUED,
            segments=to_int(answer.get("cnt"), None),
            cost=to_decimal((entry or answer).get("cost")),
        )

    def _send_test(self, sms: OutgoingSms) -> SendResult:
        """Test mode: the same send.php request with cost=1, which SMSC answers with
        the price and the parts and does not send (REFERENCE §2.4, §0.1).

        Assumption: a cost request is checked as a send is (credentials, sender name,
        numbers), so a test meets what the real send would. SMSC's own "virtual
        sending (test mode)" page (seed 001's contents; status 200) is not among our
        documents, while cost=1 is documented to send nothing: it is the one used.
        Nothing left, so no id to poll: the message ends cancelled, as WEBSMS's.
        """
        params = p.message_params(sms)
        params.pop("id", None)  # no message is made: nothing to find it by later
        params["cost"] = "1"
        answer = self._call(SEND, params, operation="cost", check=False)
        error = p.error_of(answer)
        if error and error[0] in ("7", "8"):  # this recipient would be refused
            return p.refused_result(sms, error, None)
        if error:
            self.raise_for_answer(answer)  # nothing was sent: no outcome in doubt
        return SendResult(
            reference=sms.reference,
            gateway_message_id="",
            status=DeliveryStatus.CANCELLED,
            reason=FailureReason.TEST_MODE,
            segments=to_int(answer.get("cnt"), None),
            cost=to_decimal(answer.get("cost")),
        )

    def _lookup_submitted(
        self, sms: OutgoingSms, message_id: str, phone: str, cause: GatewayUnavailable
    ) -> SendResult:
        """Did SMSC take this message after all? Its result if so, else raise `cause`.

        Used after error 9 (SMSC saw this exact request within a minute) and after an
        unreadable answer to a send. `cause` has outcome_unknown=True: a miss here is
        not proof that nothing went out (the first request may still be in flight).
        """
        try:
            [(_key, item)] = self._statuses([(message_id, phone)])
        except GatewayError as exc:
            raise cause from exc
        if str(to_int(item.get("status"), None)) in ("-3", "None"):
            raise cause
        report = p.status_report(item, f"{message_id}:{phone}")
        return p.submitted_result(sms.reference, report)

    def _statuses(self, pairs: Sequence[tuple[str, str]], detail: str = "1") -> list:
        """status.php for (id, phone) pairs -> [((id, phone), item)] in that order."""
        # One message is asked in the single form (an object, without the id echoed,
        # matched by position below): a list, or one id with a trailing comma, is a
        # mass request, of which SMSC takes one a minute (REFERENCE §2.5), the
        # poll's; a lookup after a send or an HLR poll must not spend it.
        ids, phones = ",".join(i for i, _ in pairs), ",".join(ph for _, ph in pairs)
        answer = self._call(
            STATUS, {"id": ids, "phone": phones, "all": detail}, operation="status"
        )
        items = answer if isinstance(answer, list) else [answer]
        if len(items) != len(pairs) or not all(isinstance(i, dict) for i in items):
            raise self._protocol_error("status answer does not match the request")
        by_key = {(str(i.get("id")), digits(str(i.get("phone", "")))): i for i in items}
        # Match by the echoed id and phone where present, else by position.
        return [
            (pair, by_key.get(pair, item))
            for pair, item in zip(pairs, items, strict=True)
        ]

    def _call(
        self,
        path: str,
        params: Mapping[str, str],
        *,
        operation: str = "",
        check: bool = True,
        unknown_outcome: bool = False,
    ) -> Any:
        """POST form fields (credentials in the body, not the URL) and read the answer."""
        auth = (
            {"apikey": self.config.token}
            if self.config.token
            else {"login": self.config.login, "psw": self.config.password}
        )
        data = {**auth, "fmt": "3", "charset": "utf-8", **params}
        response = self.http.request("POST", path, data=data)
        text = p.decode(response.content, response.headers.get("content-type", ""))
        try:
            answer = p.read_answer(text, operation=operation or "send")
        except BodyError as exc:
            # A send whose answer is unreadable may have gone out: never resend blindly.
            # (A 4xx page means the request was turned away before processing.)
            if unknown_outcome and response.status_code < 400:
                raise GatewayUnavailable(
                    self.kind,
                    f"unreadable answer to a send: {exc}",
                    raw=self.http.redact(text),
                    status=response.status_code,
                    outcome_unknown=True,
                ) from exc
            raise self._protocol_error(str(exc), text, response.status_code) from exc
        if check and p.error_of(answer):
            self.raise_for_answer(answer, response.status_code)
        return answer

    def raise_for_answer(self, answer: Any, status: int | None = None) -> None:
        """Raise the error_map exception for an SMSC error answer `{"error_code": N}`."""
        code, text, _id = p.error_of(answer) or ("", "", "")
        cls = self.error_map.get(code, GatewayRefused)
        raw = self.http.redact(json.dumps(answer, ensure_ascii=False))
        message = f"SMSC error {code}: {text}".strip()
        if issubclass(cls, RateLimited):
            wait = DUPLICATE_WAIT if code == "9" else 600.0
            raise cls(
                self.kind,
                message,
                vendor_code=code,
                raw=raw,
                status=status,
                retry_after=wait,
            )
        raise cls(self.kind, message, vendor_code=code, raw=raw, status=status)

    def _protocol_error(self, message, text="", status=None) -> GatewayProtocolError:
        raw = self.http.redact(text) if text else ""
        return GatewayProtocolError(self.kind, message, raw=raw, status=status)


def _id(message: IncomingMessage) -> int:
    """A get_answers id as a number (ids grow in the order SMSC received them)."""
    return to_int(message.gateway_message_id) or 0

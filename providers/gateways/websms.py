"""WEBSMS (websms.ru): the HTTP/JSON API of `https://cab.websms.ru/<page>.asp`.

Docs: seed 002 (shared/seeds/002_b06946c35b5024d1.txt), restated in REFERENCE.md §3.
Dialects choose the send page: "http_in6" (default: UTF-8 parameters, any script),
"http_in5" (windows-1251 parameters) and "json" (json_in5/json_out5, one `json` field).
Reply format of the http pages: `options["format"]`, "txt" (vendor default) or "xml".
Every other page (http_out5, http_credit, http_delete, http_addrbook, get_statistic)
takes windows-1251 parameters whatever the dialect. Guesses are marked "Assumption:".

One message is one request (one packet): WEBSMS carries a client `message_id` only for
a single recipient, has no per-recipient text and reports refused numbers only as the
request's error_num. Our numeric reference goes out as both `packet_id` and
`message_id`, so the cabinet's uniqueness checks can refuse a resend and
`resolve_references` can find a submit through http_out5.asp `user_packet_id`.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar
from urllib.parse import urlencode

from django.utils.translation import gettext_lazy as _

from providers.base import (
    Balance,
    CallbackAck,
    Capability,
    CostEstimate,
    DeliveryStatus,
    FailureReason,
    GatewayOption,
    InboundRequest,
    MessageChannel,
    OutgoingSms,
    PhoneBookEntry,
    SendResult,
    SmsGateway,
    StatisticsRow,
    StatusReport,
    ViberField,
)
from providers.exceptions import (
    AuthenticationFailed,
    GatewayError,
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
    InsufficientBalance,
    NotSupported,
    PartlyCancelled,
    SenderNotAllowed,
)
from providers.gateways import websms_parse as wp
from providers.parsing import BodyError, e164, to_decimal, to_int

CP1251, UTF8 = wp.CP1251, wp.UTF8
ACK = b"<status>accepted</status>"


class WebsmsGateway(SmsGateway):
    kind = "websms"
    label = "WEBSMS"
    dialects = ("http_in6", "http_in5", "json")
    capabilities = frozenset(
        {
            Capability.SEND,
            Capability.VIBER,
            Capability.CASCADE,
            Capability.VOICE,
            Capability.SCHEDULED_SEND,
            Capability.VALIDITY,
            Capability.TRANSLIT,
            Capability.NO_SPLIT,
            Capability.PERSONAL_LINK,
            # Dedupes only with the cabinet's uniqueness checks switched on (docs).
            Capability.CLIENT_REFERENCE,
            Capability.RESOLVE_REFERENCE,
            Capability.STATUS_POLL,
            Capability.STATUS_CALLBACK,
            Capability.BALANCE,
            Capability.SCHEDULED_CANCEL,
            Capability.PHONE_BOOK,
            Capability.STATISTICS,
            Capability.COST_ESTIMATE,
            Capability.TEST_MODE,  # test=1 on send (seed 002): priced, not sent
        }
    )
    channels = frozenset(
        {
            MessageChannel.SMS,
            MessageChannel.VIBER,
            MessageChannel.VIBER_THEN_SMS,
            MessageChannel.VOICE,
        }
    )
    # Seed 002 (http_in5/http_in6, §5): `button` is the button's caption and nothing
    # gives its link; `id_fileid` ("integer, only for Viber and voice messages: the
    # id of a picture or sound file of the gallery in the personal cabinet") is a
    # picture of the cabinet's gallery, by its number: no parameter takes a link.
    # Assumption: a button with a caption alone is what WEBSMS sends (the link set
    # with the button in its cabinet, or none); we refuse a link rather than drop it.
    viber_fields = frozenset({ViberField.BUTTON_TEXT, ViberField.IMAGE_ID})
    viber_refusals: ClassVar[Mapping[ViberField, str]] = {
        ViberField.BUTTON_URL: _(
            "WEBSMS's sending API takes a Viber button's caption but no link for it, "
            "so the link would be dropped. Leave it empty."
        ),
        ViberField.IMAGE_URL: _(
            "WEBSMS takes a Viber picture only from the gallery of its cabinet, by "
            "its number, not by a link, so the link would be dropped. Give the "
            "picture's number in the gallery instead."
        ),
    }
    # Assumption: no documented limit; one request per message, so this only bounds
    # how long one call runs.
    max_validity = wp.MAX_VALIDITY
    max_batch = 50
    max_status_batch = 50  # http_out5 takes one message_id per request
    # Seed 002, fromPhone: "only Latin letters and digits, at most 11 characters";
    # anything else is error 23 (Invalid FromPhone).
    sender_pattern = re.compile(r"[A-Za-z0-9]{1,11}\Z")
    sender_rule = _("only Latin letters and digits, at most 11")
    credentials_rule = _(
        "a login and a password (its HTTP password; it takes no API token)"
    )
    default_base_url = "https://cab.websms.ru"
    # What `options` may hold (read by _format and websms_parse.send_params).
    account_options: ClassVar[Mapping[str, GatewayOption]] = {
        "format": GatewayOption(
            ("txt", "xml"), "txt", _("the reply format of its HTTP pages: txt or xml")
        ),
        "viber_to_sms": GatewayOption(
            ("1", "2", "3"),
            wp.VIBER_TO_SMS_EITHER,
            _(
                "when a Viber-then-SMS message falls back to SMS: 1 no Viber "
                "installed, 2 subscriber unavailable, 3 either"
            ),
        ),
        "personal_link_chat": GatewayOption(
            ("0", "1", "2", "3"),
            "0",
            _("the feedback of a personal link: 0 none, 1 chat, 2 comment, 3 poll"),
        ),
    }
    # The docs forbid polling earlier than a minute after sending: the campaigns
    # layer schedules fetch_statuses no earlier than sent_at + min_poll_delay.
    min_poll_delay: ClassVar[timedelta] = timedelta(minutes=1)

    # result_Id (§6.4) and callback state words (§6.5) -> ours.
    status_map: ClassVar[Mapping[str, DeliveryStatus]] = {
        "1": DeliveryStatus.UNKNOWN,
        "2": DeliveryStatus.QUEUED,  # READY
        "3": DeliveryStatus.QUEUED,  # SPOOLED
        "4": DeliveryStatus.SENT,
        "5": DeliveryStatus.UNDELIVERED,  # refused by the operator after submit
        "6": DeliveryStatus.DELIVERED,
        "7": DeliveryStatus.UNDELIVERED,
        "8": DeliveryStatus.SENT,  # ENROUTE
        "9": DeliveryStatus.CANCELLED,  # deleted by the user
        "10": DeliveryStatus.REJECTED,  # not accepted by the system
        "11": DeliveryStatus.UNDELIVERED,  # EXPIRED
        "12": DeliveryStatus.QUEUED,  # DELAYED
        "13": DeliveryStatus.UNKNOWN,  # "status not received"
        "14": DeliveryStatus.UNDELIVERED,  # RESTRICTED
        "15": DeliveryStatus.UNDELIVERED,  # UNROUTABLE
        "delivered": DeliveryStatus.DELIVERED,
        "undeliverable": DeliveryStatus.UNDELIVERED,
        "expired": DeliveryStatus.UNDELIVERED,
        "rejected": DeliveryStatus.UNDELIVERED,  # "отказано оператором"
        "unknown": DeliveryStatus.UNKNOWN,
    }
    reason_map: ClassVar[Mapping[str, FailureReason]] = {
        "5": FailureReason.GATEWAY_ERROR,
        "7": FailureReason.UNREACHABLE,
        # Assumption: DELETED ("deleted by user") is our own del=1 of a cancelled
        # campaign; deleted in the cabinet by hand, it was withdrawn all the same.
        "9": FailureReason.CANCELLED,
        "10": FailureReason.GATEWAY_ERROR,
        "11": FailureReason.EXPIRED,
        "14": FailureReason.DESTINATION_CLOSED,
        "15": FailureReason.INVALID_NUMBER,
        "undeliverable": FailureReason.UNREACHABLE,
        "expired": FailureReason.EXPIRED,
        "rejected": FailureReason.GATEWAY_ERROR,
    }
    # error_num (§5.5) -> what the caller must do about the whole request.
    error_map: ClassVar[Mapping[int, type[GatewayError]]] = {
        1: AuthenticationFailed,
        2: AuthenticationFailed,  # blocked user
        3: InsufficientBalance,
        4: AuthenticationFailed,  # blocked IP: the account cannot work from here
        5: AuthenticationFailed,  # HTTP disabled in the cabinet
        6: AuthenticationFailed,  # our IP not in the cabinet's list
        9: AuthenticationFailed,
        13: GatewayUnavailable,  # service temporarily unavailable
        16: GatewayUnavailable,
        17: GatewayUnavailable,  # sending procedure busy
        21: AuthenticationFailed,
        22: AuthenticationFailed,
        23: SenderNotAllowed,
    }
    # With one recipient per request these error_nums concern that recipient only.
    recipient_errors: ClassVar[Mapping[int, FailureReason]] = {
        10: FailureReason.INVALID_NUMBER,  # bad characters in phone_list
        11: FailureReason.CONTENT_REJECTED,  # empty text
        # Assumption: "empty phone list" for one valid number means the vendor removed
        # it as blocked, i.e. it is on the account's stop list.
        12: FailureReason.STOP_LIST,
    }

    # Sending ------------------------------------------------------------------

    def send(self, batch: Sequence[OutgoingSms]) -> list[SendResult]:
        """One request per message; see the module docstring and `send_each`."""
        return self.send_each(batch, self._send_one)

    def fetch_statuses(self, gateway_ids: Sequence[str]) -> list[StatusReport]:
        reports = []
        for gateway_id in gateway_ids:
            doc = self._results({"message_id": gateway_id})
            reports += [
                self._report(item)
                for item in doc.items
                if item.get("message_id", "").strip() == gateway_id
            ]
        return reports

    def balance(self) -> Balance:
        fmt = "XML" if self._format == "xml" else "TEXT"
        body = self._call("http_credit.asp", {"format": fmt}, CP1251)
        try:
            raw = wp.parse_balance(body)
        except BodyError:
            self._raise_for(self._read(body), body)
            raise GatewayProtocolError(
                self.kind, "no balance", raw=self.http.redact(body)
            ) from None
        return Balance(amount=to_decimal(raw) or Decimal(0), raw=raw)

    # Callbacks ----------------------------------------------------------------

    def parse_status_callback(self, request: InboundRequest) -> list[StatusReport]:
        body = wp.callback_xml(request)
        try:
            found = wp.parse_callback(body)
        except BodyError as exc:
            raise GatewayProtocolError(self.kind, str(exc), raw=body) from exc
        code = found.result_id or found.state.lower()
        return [
            StatusReport(
                gateway_message_id=found.message_id,
                status=self.map_status(code),
                reason=self.reason_map.get(code),
                vendor_code=found.result_id or found.state,
                vendor_text=found.error or found.state,
                occurred_at=found.occurred_at,
            )
        ]

    def status_callback_ack(
        self, request: InboundRequest, reports: Sequence[StatusReport]
    ) -> CallbackAck:
        # Anything else makes WEBSMS send the status again.
        return CallbackAck(body=ACK, content_type="text/xml; charset=utf-8")

    # Optional operations -------------------------------------------------------

    def resolve_references(
        self, references: Sequence[str], *, phones: Mapping[str, str] | None = None
    ) -> dict[str, SendResult]:
        """Submits found by user_packet_id (our reference) without sending anything.

        One packet holds one message, so the reference alone finds it; `phones` is
        not needed. Only numeric references travel as ids (`wp.numeric`).
        """
        if not all(wp.numeric(ref) for ref in references):
            raise NotSupported(self.kind, "resolving non-numeric references")
        found = {}
        for ref in references:
            for item in self._results({"user_packet_id": ref}).items[:1]:
                found[ref] = SendResult(
                    reference=ref,
                    gateway_message_id=item.get("message_id", "").strip(),
                    status=DeliveryStatus.QUEUED,
                    segments=to_int(item.get("message_parts")),
                    cost=to_decimal(item.get("message_cost")),
                )
        return found

    def cancel_scheduled(self, gateway_ids: Sequence[str]) -> list[str]:
        """http_delete.asp takes the system packet id: look it up per message first.
        Stopped by a failure, it raises PartlyCancelled with those withdrawn before:
        they are gone from the gateway, and must not be lost with the error."""
        cancelled: list[str] = []
        for gateway_id in gateway_ids:
            try:
                if self._delete_one(gateway_id):
                    cancelled.append(gateway_id)
            except GatewayError as exc:
                if not cancelled:
                    raise
                raise PartlyCancelled(
                    self.kind, cancelled=cancelled, cause=exc
                ) from exc
        return cancelled

    def _delete_one(self, gateway_id: str) -> bool:
        """Withdraw one message's packet; whether the gateway deleted anything."""
        packet = self._results({"message_id": gateway_id}).common.get("packet_id")
        if not packet:
            return False
        body = self._call("http_delete.asp", {"packet_id": packet.strip()}, CP1251)
        try:
            deleted, _money, error = wp.parse_delete(body)
        except BodyError:
            self._raise_for(self._read(body), body)
            raise GatewayProtocolError(
                self.kind, "bad delete reply", raw=self.http.redact(body)
            ) from None
        if error.strip().upper() not in ("0", "OK", ""):
            self._raise_for(wp.VendorDoc(common={"error_num": error}), body)
        return deleted > 0

    def phone_book_list(self, *, group: str = "") -> list[PhoneBookEntry]:
        groups = [self._group_id(group, create=False)] if group else self._groups()
        entries = []
        for group_id in filter(None, groups):
            doc = self._addrbook({"act": "getphones", "group": group_id})
            entries += [
                wp.phone_book_entry(item, group_id)
                for item in doc.items
                if item.get("phone")
            ]
        return entries

    def phone_book_push(self, entries: Sequence[PhoneBookEntry], *, group: str) -> int:
        group_id = self._group_id(group, create=True)
        for entry in entries:
            extra = entry.extra
            self._addrbook(
                {
                    "act": "adduser",
                    "phone": e164(entry.phone).lstrip("+"),
                    "name": entry.name,
                    "nick": extra.get("nick", ""),
                    "family": extra.get("family", ""),
                    "date": extra.get("date", ""),
                    "group": group_id,
                }
            )
        return len(entries)

    def statistics(self, *, start: date, end: date) -> list[StatisticsRow]:
        params = {
            "repformat": "3",
            "recdate_beg": start.strftime("%d.%m.%Y"),
            "recdate_end": end.strftime("%d.%m.%Y"),
        }
        doc = self._checked(self._call("get_statistic.asp", params, CP1251))
        days: dict[date, list] = defaultdict(lambda: [0, 0, Decimal(0)])
        for row in doc.items:
            when = wp.parse_time(row.get("reg_date") or row.get("send_on"))
            if when is None:
                continue
            day = days[when.date()]
            day[0] += 1
            day[1] += row.get("result_id", "").strip() == "6"
            day[2] += to_decimal(row.get("message_cost")) or 0
        return [StatisticsRow(d, s, dl, c) for d, (s, dl, c) in sorted(days.items())]

    def estimate_cost(self, batch: Sequence[OutgoingSms]) -> CostEstimate:
        """test=1: the vendor computes the real cost and sends nothing."""
        groups: dict[tuple, list[OutgoingSms]] = defaultdict(list)
        for sms in batch:
            params = self._params(sms, with_reference=False)
            params.pop("phone_list")
            groups[tuple(sorted(params.items()))].append(sms)
        total, parts, messages = Decimal(0), 0, 0
        for key, members in groups.items():
            params = dict(key, test="1", phone_list=",".join(m.phone for m in members))
            sums = wp.totals(self._checked(self._send_request(params)))
            total += to_decimal(sums.get("packet_cost")) or 0
            parts += to_int(sums.get("summ_parts"), 0) or 0
            messages += to_int(sums.get("summ_phone"), 0) or 0
        return CostEstimate(total=total, segments=parts, messages=messages)

    # Requests -----------------------------------------------------------------

    @property
    def _format(self) -> str:
        default = self.account_options["format"].default
        return str(self.config.options.get("format", default)).lower()

    def _send_one(self, sms: OutgoingSms) -> SendResult:
        params = self._params(sms, with_reference=True)
        if self.config.test_mode:
            params["test"] = "1"  # the vendor computes the result, sends nothing
        body = self._send_request(params)
        doc = self._read(body)
        code, text = doc.error()
        if code in self.recipient_errors:
            return SendResult(
                reference=sms.reference,
                gateway_message_id="",
                status=DeliveryStatus.REJECTED,
                reason=self.recipient_errors[code],
                vendor_code=str(code),
                vendor_text=text,
            )
        self._raise_for(doc, body)
        item = doc.items[0] if doc.items else {}
        if self.config.test_mode:
            # Seed 002, test=1: "the message will not be sent; the real result comes
            # back". Its id ("0" at the simulator) names nothing to ask a status of:
            # queued, it would wait for the poller's three-day give-up.
            return SendResult(
                reference=sms.reference,
                gateway_message_id="",
                status=DeliveryStatus.CANCELLED,
                reason=FailureReason.TEST_MODE,
                segments=to_int(item.get("message_parts")),
                cost=to_decimal(item.get("message_cost")),
            )
        if not item.get("message_id"):
            raise GatewayProtocolError(
                self.kind, "no message_id in the reply", raw=self.http.redact(body)
            )
        return SendResult(
            reference=sms.reference,
            gateway_message_id=item["message_id"].strip(),
            status=DeliveryStatus.QUEUED,
            segments=to_int(item.get("message_parts")),
            cost=to_decimal(item.get("message_cost")),
        )

    def _send_request(self, params: dict[str, str]) -> str:
        if self.dialect == "json":
            return self._call_json("json_in5.asp", params)
        params["format"] = self._format
        if self.dialect == "http_in5" and wp.fits_cp1251(*params.values()):
            return self._call("http_in5.asp", params, CP1251)
        # http_in6 is the doc's page for text windows-1251 cannot carry.
        return self._call("http_in6.asp", params, UTF8)

    def _params(self, sms: OutgoingSms, *, with_reference: bool) -> dict[str, str]:
        if sms.channel not in self.channels:
            raise NotSupported(self.kind, f"{sms.channel} messages")
        return wp.send_params(
            sms,
            default_sender=self.config.default_sender,
            options=self.config.options,
            with_reference=with_reference,
        )

    def _results(self, params: dict[str, str]) -> wp.VendorDoc:
        """http_out5 / json_out5 for one message or packet."""
        if self.dialect == "json":
            return self._checked(self._call_json("json_out5.asp", params))
        body = self._call("http_out5.asp", {**params, "format": self._format}, CP1251)
        return self._checked(body)

    def _addrbook(self, params: dict[str, str]) -> wp.VendorDoc:
        params = {"format": "txt", **params}
        return self._checked(self._call("http_addrbook.asp", params, CP1251))

    def _groups(self) -> list[str]:
        doc = self._addrbook({"act": "getgroups"})
        return [item.get("group_id") or item.get("section", "") for item in doc.items]

    def _group_id(self, group: str, *, create: bool) -> str:
        if group.strip().isdigit():
            return group.strip()
        doc = self._addrbook({"act": "getgroups"})
        for item in doc.items:
            if item.get("group_name", "").strip().lower() == group.strip().lower():
                return item.get("group_id") or item["section"]
        if not create:
            return ""
        added = self._addrbook({"act": "addgroup", "name": group})
        return next((i["group_id"] for i in added.items if i.get("group_id")), "")

    def _call(self, page: str, params: Mapping[str, str], encoding: str) -> str:
        form = {**self._credentials(), **{k: v for k, v in params.items() if v != ""}}
        return self._post(page, form, encoding)

    def _call_json(self, page: str, params: Mapping[str, str]) -> str:
        payload = {**self._credentials(), **{k: v for k, v in params.items() if v}}
        # \u-escaped JSON is pure ASCII: it reads the same whether the page decodes
        # its parameter as UTF-8 or as the windows-1251 of the other *5.asp pages.
        return self._post(page, {"json": json.dumps(payload)}, UTF8)

    def _credentials(self) -> dict[str, str]:
        return {
            "http_username": self.config.login,
            "http_password": self.config.password,
        }

    def _post(self, page: str, form: Mapping[str, str], encoding: str) -> str:
        """POST a form whose bytes are encoded per page (never guessed globally)."""
        # Characters windows-1251 lacks can only become "?" on the cp1251 pages.
        content = urlencode(form, encoding=encoding, errors="replace").encode("ascii")
        charset = "windows-1251" if encoding == CP1251 else "utf-8"
        content_type = f"application/x-www-form-urlencoded; charset={charset}"
        response = self.http.request(
            "POST", page, content=content, headers={"Content-Type": content_type}
        )
        return wp.decode_body(response.content, response.charset_encoding)

    def _read(self, body: str) -> wp.VendorDoc:
        try:
            return wp.read_document(body)
        except BodyError as exc:
            raise GatewayProtocolError(
                self.kind, str(exc), raw=self.http.redact(body)
            ) from exc

    def _checked(self, body: str) -> wp.VendorDoc:
        doc = self._read(body)
        self._raise_for(doc, body)
        return doc

    def _raise_for(self, doc: wp.VendorDoc, body: str) -> None:
        """raise_for_response: a reply's error_num -> the exception it calls for."""
        code, text = doc.error()
        if code == 0:
            return
        raw = self.http.redact(body)
        if code is None:
            raise GatewayProtocolError(self.kind, f"unknown error: {text}", raw=raw)
        error = self.error_map.get(code, GatewayRefused)
        raise error(self.kind, text or f"error {code}", vendor_code=str(code), raw=raw)

    def _report(self, item: Mapping[str, str]) -> StatusReport:
        code = item.get("result_id", "").strip()
        return StatusReport(
            gateway_message_id=item.get("message_id", "").strip(),
            status=self.map_status(code),
            reason=self.reason_map.get(code),
            vendor_code=code,
            vendor_text=item.get("result_info", "").strip(),
            occurred_at=wp.parse_time(item.get("delivered_date")),
            cost=to_decimal(item.get("message_cost")),
            segments=to_int(item.get("message_parts")),
        )

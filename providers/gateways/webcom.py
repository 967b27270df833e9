"""Webcom Mobi / mysmpp A2P platform: XML (default), JSON and HTTP GET dialects.

Docs: https://apidocs.webcom.mobi/en/sposoby-vzaimodeistviya-s-a2p-platformoi/ (EN,
host lk.mysmpp.ru) and https://apidocs.webcom.mobi/ru/ (RU, host my3.webcom.mobi);
seeds 000, 003, 004 and REFERENCE.md §1. Bodies are built and read in `webcom_parse`.

The dialect (AccountConfig.dialect) picks how messages are sent, polled and the balance
read. The other operations exist only in the XML spec, so every dialect uses the XML
endpoints for them with the same credentials (Assumption: one account opens all specs).
Guesses are marked "Assumption:"; quirks are commented where they bite.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx
from lxml import etree

from django.utils.translation import gettext_lazy as _

from providers.base import (
    LATIN_OR_NUMERIC_SENDER,
    LATIN_OR_NUMERIC_SENDER_RULE,
    TOKEN_OR_LOGIN_AND_PASSWORD,
    AccountConfig,
    Balance,
    CallbackAck,
    Capability,
    CostEstimate,
    InboundRequest,
    IncomingMessage,
    MessageChannel,
    NumberInfo,
    OutgoingSms,
    PhoneBookEntry,
    PreparedSend,
    ScheduledMessage,
    SenderNameInfo,
    SendResult,
    SmsGateway,
    StatusReport,
    ViberField,
    not_taken,
    send_deadline_passed,
)
from providers.exceptions import (
    CallbackRejected,
    GatewayConfigurationError,
    GatewayError,
    GatewayProtocolError,
    GatewayRefused,
    NotSupported,
    SenderNotAllowed,
)
from providers.gateways import webcom_parse as wp
from providers.http import GatewayHttp
from providers.parsing import (
    BodyError,
    decode_text,
    digits,
    match_text,
    parse_json,
    sniff,
)

XML_HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
JSON_HEADERS = {"Content-Type": "text/json; charset=utf-8"}
SENDER_RULE = (
    "The sender must not exceed 15 characters for numeric numbers "
    "and 11 characters for alphanumeric numbers"
)
MAX_PAGES = 1000  # paged lists: a runaway num_pages must not loop for ever


class WebcomGateway(SmsGateway):
    kind = "webcom"
    label = "Webcom Mobi / mysmpp"
    dialects = ("xml", "json", "get")
    default_base_url = "https://my3.webcom.mobi"
    sender_pattern = LATIN_OR_NUMERIC_SENDER
    sender_rule = LATIN_OR_NUMERIC_SENDER_RULE
    credential_sets = TOKEN_OR_LOGIN_AND_PASSWORD
    credentials_rule = _("an API token, or a login and a password")
    # Everything but what the platform has no API for (REFERENCE §0.1, §1.15):
    # no voice, transliteration, no-split flag, personal links, statistics or pushed
    # incoming messages; resolve_references: see the note above incoming().
    capabilities = frozenset(Capability) - {
        Capability.VOICE,
        Capability.TRANSLIT,
        Capability.NO_SPLIT,
        Capability.PERSONAL_LINK,
        Capability.INCOMING_CALLBACK,
        Capability.STATISTICS,
        Capability.RESOLVE_REFERENCE,
        # originator.php lists and add_originator.php requests; nothing deletes.
        Capability.SENDER_NAME_DELETE,
        # No test or no-send flag in any of its APIs (seeds 003, 004): every send
        # is delivered and paid for.
        Capability.TEST_MODE,
    }
    # The GET spec has no client_id_sms, time_send or flash type: a resend through it
    # is a second message, so GET accounts do not claim server-side idempotency.
    get_lacks = frozenset(
        {Capability.CLIENT_REFERENCE, Capability.SCHEDULED_SEND, Capability.FLASH}
    )
    channels = frozenset(MessageChannel) - {MessageChannel.VOICE}
    cascade_has_sms_text = True  # text_viber for Viber, <text> for the SMS
    # Seed 004: button_viber, action_viber and image_viber (an image's address).
    viber_fields = frozenset(
        {ViberField.BUTTON_TEXT, ViberField.BUTTON_URL, ViberField.IMAGE_URL}
    )
    viber_refusals: ClassVar[Mapping[ViberField, str]] = {
        ViberField.IMAGE_ID: _(
            "Webcom takes a Viber picture by its link (image_viber), not by a number "
            "of a gallery, so the number would be dropped. Give the picture's link "
            "instead."
        ),
    }
    # Assumption: no limits are documented. 500 recipients make a ~80 KB document,
    # well within what the white-label engines of this platform accept; ids per
    # status request stay at 100.
    max_batch = 500
    max_status_batch = 100
    status_map = wp.STATUS_MAP
    error_map = wp.ERROR_MAP

    def __init__(
        self, config: AccountConfig, *, http: GatewayHttp | None = None
    ) -> None:
        super().__init__(config, http=http)
        if self.dialect not in self.dialects:
            raise GatewayConfigurationError(f"Webcom has no {self.dialect!r} dialect")
        if self.dialect == "get":
            self.capabilities = type(self).capabilities - self.get_lacks
            self.channels = type(self).channels - {MessageChannel.FLASH}

    # Every gateway --------------------------------------------------------------

    def send(self, batch: Sequence[OutgoingSms]) -> list[SendResult]:
        return self.send_prepared(self.prepare_send(batch))

    def prepare_send(self, batch: Sequence[OutgoingSms]) -> PreparedSend:
        if len(batch) > self.max_batch:
            raise ValueError(f"at most {self.max_batch} recipients per send")
        for sms in batch:
            if sms.channel not in self.channels:
                raise NotSupported(
                    self.kind, f"{sms.channel} messages ({self.dialect})"
                )
            if sms.send_at is not None and self.dialect == "get":
                raise NotSupported(self.kind, "scheduled sending over HTTP GET")
        if not batch or self.dialect == "get":
            # GET builds one request per distinct text as it sends: one for a batch
            # of one text (the campaign pump keeps two of those out at once).
            groups = wp.get_send_groups(batch) if batch else []
            return PreparedSend(batch, single_request=len(groups) == 1)
        if self.dialect == "json":
            return PreparedSend(batch, wp.json_send_request(batch, self._credentials()))
        return PreparedSend(batch, wp.xml_send_request(batch, self._credentials()))

    def send_prepared(self, prepared: PreparedSend) -> list[SendResult]:
        batch = prepared.batch
        if not batch:
            return []
        if self.dialect == "get":
            return self._send_get(batch)
        if self.dialect == "json":
            data = self._post_json("/json", prepared.body)
            with self._parsing():
                infos = wp.parse_json_send(data)
        else:
            root = self._post_xml("/xml", prepared.body)
            infos = wp.parse_xml_send(root)
        return self._results(batch, infos)

    def fetch_statuses(self, gateway_ids: Sequence[str]) -> list[StatusReport]:
        reports: list[StatusReport] = []
        ids = [str(i).strip() for i in gateway_ids if str(i).strip()]
        for start in range(0, len(ids), self.max_status_batch):
            chunk = ids[start : start + self.max_status_batch]
            if self.dialect == "get":
                reports.extend(self._get_state(id_sms) for id_sms in chunk)
            elif self.dialect == "json":
                payload = {
                    **self._credentials(),
                    "id_sms": [wp.json_id(i) for i in chunk],
                }
                data = self._post_json(
                    "/json/state.php", wp.json_bytes(payload | {"detail": 1})
                )
                with self._parsing():
                    reports.extend(wp.parse_json_states(data))
            else:
                query = etree.Element("get_state")
                for id_sms in chunk:
                    etree.SubElement(query, "id_sms").text = id_sms
                root = self._post_xml("/xml/state.php", self._xml(query))
                reports.extend(wp.parse_xml_states(root))
        return reports

    def balance(self) -> Balance:
        if self.dialect == "get":
            text = self._get({**self._credentials(), "balance": "1"})
            with self._parsing():
                info = wp.parse_get_balance(text)
        elif self.dialect == "json":
            data = self._post_json(
                "/json/balance.php", wp.json_bytes(self._credentials())
            )
            with self._parsing():
                info = wp.parse_json_balance(data)
        else:
            root = self._post_xml("/xml/balance.php", self._xml())
            with self._parsing():
                info = wp.parse_xml_balance(root)
        raw = self.http.last_exchange.response_body if self.http.last_exchange else ""
        return Balance(
            amount=info.money,
            currency=info.currency,
            messages_left=wp.home_area_count(info.areas),
            raw=raw,
        )

    # Callbacks ------------------------------------------------------------------

    def parse_status_callback(self, request: InboundRequest) -> list[StatusReport]:
        """The webhook posts the state.php vocabulary as XML or JSON (manager's choice)."""
        body = request.body
        try:
            if sniff(body) == "json":
                return wp.parse_json_states(parse_json(body))
            if sniff(body) == "xml":
                return wp.parse_xml_states(wp.read_xml(body))
        except BodyError as exc:
            raise CallbackRejected(
                self.kind, f"unreadable status callback: {exc}"
            ) from exc
        raise CallbackRejected(self.kind, "not a Webcom status callback")

    def status_callback_ack(
        self, request: InboundRequest, reports: Sequence[StatusReport]
    ) -> CallbackAck:
        """List every accepted id_sms; ids left out are re-sent (5 attempts)."""
        ids = list(dict.fromkeys(r.gateway_message_id for r in reports))
        if sniff(request.body) == "json":
            return CallbackAck(wp.json_ack(ids), "application/json; charset=utf-8")
        return CallbackAck(wp.xml_ack(ids), "text/xml; charset=utf-8")

    # Optional operations --------------------------------------------------------
    # resolve_references is not offered: the platform has no lookup by client_id_sms,
    # and a resend built from references alone (no phone, no text) could send a wrong
    # message if the first one never arrived. CLIENT_REFERENCE tells the caller that
    # resending the same OutgoingSms is safe (XML/JSON): the earlier id_sms comes back.

    def incoming(
        self, *, since: datetime, until: datetime | None = None
    ) -> list[IncomingMessage]:
        # The bounds are exclusive and have second resolution: widen by a second and
        # filter, so a message received exactly at `since` is not lost.
        attrs = {"start": wp.vendor_time(since - timedelta(seconds=1))}
        if until is not None:
            attrs["end"] = wp.vendor_time(until + timedelta(seconds=1))
        root = self._post_xml(
            "/xml/incoming.php", self._xml(etree.Element("time", attrs))
        )
        floor = since.replace(microsecond=0)
        return [
            m
            for m in wp.parse_incoming(root)
            if m.received_at is None
            or (m.received_at >= floor and (until is None or m.received_at <= until))
        ]

    def sender_names(self) -> list[SenderNameInfo]:
        # any_originator=TRUE comes without a list: every sender is allowed then.
        _any, names = wp.parse_senders(
            self._post_xml("/xml/originator.php", self._xml())
        )
        return names

    def sender_name_add(self, name: str, *, comment: str = "") -> SenderNameInfo:
        name = name.strip()
        limit = 15 if name.isdigit() else 11
        if not name or len(name) > limit:
            raise SenderNotAllowed(self.kind, SENDER_RULE)
        item = etree.Element("originator", {"comment": comment} if comment else {})
        item.text = name
        root = self._post_xml("/xml/add_originator.php", self._xml(item))
        _any, names = wp.parse_senders(root)
        # Assumption: the answer is <originator state="order">Name</originator>.
        return names[0] if names else SenderNameInfo(name, "order", usable=False)

    def stop_list(self) -> list[str]:
        # Assumption (REFERENCE §1.13): the STOP-list page's endpoint was not readable;
        # list_stop.php mirrors list_scheduled.php (<stop page=".."/>, paged <phones>).
        phones: list[str] = []
        for root in self._pages("/xml/list_stop.php", "stop"):
            for item in root.iter("phone"):
                number = digits(item.get("phone") or item.text or "")
                if number:
                    phones.append("+" + number)
        return list(dict.fromkeys(phones))

    def stop_list_add(self, phones: Sequence[str]) -> None:
        self._stop_change("add_stop", phones)

    def stop_list_remove(self, phones: Sequence[str]) -> None:
        self._stop_change("delete_stop", phones)

    def scheduled_list(self) -> list[ScheduledMessage]:
        result: list[ScheduledMessage] = []
        for root in self._pages("/xml/list_scheduled.php", "scheduled"):
            result.extend(wp.parse_scheduled(root))
        return result

    def cancel_scheduled(self, gateway_ids: Sequence[str]) -> list[str]:
        if not gateway_ids:
            return []
        query = etree.Element("delete_schedule")
        for id_sms in gateway_ids:
            etree.SubElement(query, "schedule", id_sms=str(id_sms))
        root = self._post_xml("/xml/scheduled.php", self._xml(query))
        answers = wp.parse_scheduled_delete(root)
        return [str(i) for i in gateway_ids if answers.get(str(i)) == "delete"]

    def phone_book_list(self, *, group: str = "") -> list[PhoneBookEntry]:
        bases = self._bases()
        wanted = [self._base_id(group, bases)] if group else list(bases)
        entries: list[PhoneBookEntry] = []
        for id_base in wanted:
            for root in self._pages("/xml/list_phones.php", "base", id_base=id_base):
                entries.extend(wp.parse_base_phones(root, bases.get(id_base, id_base)))
        return entries

    def phone_book_push(self, entries: Sequence[PhoneBookEntry], *, group: str) -> int:
        """Add or update subscribers of an existing base (by id or name)."""
        base = etree.Element("base", id_base=self._base_id(group, self._bases()))
        for entry in entries:
            attrs = {
                k: str(v) for k, v in entry.extra.items() if k in wp.PHONE_BOOK_FIELDS
            }
            if entry.name:
                attrs.setdefault("name", entry.name)
            etree.SubElement(base, "phone", {"phone": digits(entry.phone), **attrs})
        answers = wp.parse_phone_results(
            self._post_xml("/xml/phones.php", self._xml(base))
        )
        return sum(1 for v in answers.values() if v in ("insert", "edit"))

    def estimate_cost(self, batch: Sequence[OutgoingSms]) -> CostEstimate:
        """From the tariff the admin entered: the platform prices nothing in advance."""
        if self.config.tariff is None:
            raise NotSupported(self.kind, "cost estimate without a tariff")
        segments = sum(
            1 if sms.channel == MessageChannel.VIBER else wp.ceil_segments(sms.text)
            for sms in batch
        )
        return CostEstimate(
            total=self.config.tariff * segments,
            segments=segments,
            messages=len(batch),
            exact=False,
        )

    def lookup_number(self, phone: str) -> NumberInfo:
        query = etree.Element("phones")
        etree.SubElement(query, "phone").text = digits(phone)
        infos = wp.parse_number_info(self._post_xml("/xml/def.php", self._xml(query)))
        if not infos:
            raise GatewayProtocolError(self.kind, "no <phone> in the def.php answer")
        return infos[0]

    # Vendor errors ----------------------------------------------------------------

    def raise_for_text(self, text: str, response: httpx.Response) -> None:
        """A document-level error text -> the exception its meaning calls for."""
        error_class = match_text(text, self.error_map) or GatewayRefused
        raise error_class(
            self.kind,
            text or f"refused with HTTP {response.status_code}",
            raw=self._raw(),
            status=response.status_code,
        )

    # Transport ------------------------------------------------------------------

    def _credentials(self) -> dict[str, str]:
        token, login, password = (
            self.config.token,
            self.config.login,
            self.config.password,
        )
        get = self.dialect == "get"
        if token:
            return {"token": token}
        if not (login and password):
            raise GatewayConfigurationError(
                "Webcom needs a token or a login and password"
            )
        return (
            {"user": login, "pwd": password}
            if get
            else {"login": login, "password": password}
        )

    def _xml(self, *children: etree._Element) -> bytes:
        # XML security carries login/password or token whatever the dialect.
        credentials = self._credentials()
        if "user" in credentials:
            credentials = {"login": credentials["user"], "password": credentials["pwd"]}
        return wp.xml_request(credentials, *children)

    def _post_xml(self, path: str, body: bytes) -> etree._Element:
        return self._post(path, body, XML_HEADERS, wp.read_xml, wp.xml_error)

    def _post_json(self, path: str, body: bytes) -> Any:
        return self._post(path, body, JSON_HEADERS, parse_json, wp.json_error)

    def _post(self, path, body, headers, parse, find_error) -> Any:
        """POST a document; its answer parsed, or the vendor's error raised.

        Document errors come with HTTP 400 by the docs, but are read from any status.
        """
        response = self.http.request("POST", path, content=body, headers=headers)
        with self._parsing(response):
            parsed = parse(response.content)
        error = find_error(parsed)
        if error is not None or response.status_code >= 400:
            self.raise_for_text(error or "", response)
        return parsed

    def _get(self, params: dict[str, str]) -> str:
        response = self.http.request("GET", "/sendsms.php", params=params)
        # Assumption: the GET spec names no charset; UTF-8 like the other specs, but
        # a declared or windows-1251 body is read as such (Russian error texts).
        text = decode_text(response.content, response.charset_encoding).strip()
        # Plain-text answers carry document errors as the whole body.
        if "," not in text and match_text(text, self.error_map):
            self.raise_for_text(text, response)
        if response.status_code >= 400:
            self.raise_for_text(text, response)
        return text

    @contextlib.contextmanager
    def _parsing(self, response: httpx.Response | None = None) -> Iterator[None]:
        try:
            yield
        except BodyError as exc:
            status = response.status_code if response is not None else None
            raise GatewayProtocolError(
                self.kind, f"unreadable answer: {exc}", raw=self._raw(), status=status
            ) from exc

    def _raw(self) -> str:
        return self.http.last_exchange.response_body if self.http.last_exchange else ""

    # Send helpers ---------------------------------------------------------------

    def _send_get(self, batch: Sequence[OutgoingSms]) -> list[SendResult]:
        """One sendsms.php request per distinct message (`dadr` lists its recipients).

        If a later request fails, the earlier ones were sent: their results are kept,
        the failed request's recipients come back as its error says (wp.failed_in),
        and those of the requests after it, never made, come back not taken (PENDING):
        released, they go with the next batch. So do those left when the thread's
        send_deadline passes (a batch of personal texts is a request per recipient).
        """
        results: dict[int, SendResult] = {}
        failure: GatewayError | None = None
        for recipients in wp.get_send_groups(batch):
            smses = [sms for _number, sms in recipients]
            if failure is not None:
                for number, sms in recipients:
                    results[number] = wp.not_tried(sms, failure)
                continue
            if results and send_deadline_passed():  # out of time: sent later
                for number, sms in recipients:
                    results[number] = not_taken(sms)
                continue
            try:
                text = self._get(wp.get_send_params(smses, self._credentials()))
                with self._parsing():
                    infos = wp.parse_get_send(text, len(smses))
            except GatewayError as exc:
                if not results:
                    raise
                failure = exc
                for number, sms in recipients:
                    results[number] = wp.failed_in(sms, exc)
                continue
            for index, (number, sms) in enumerate(recipients):
                results[number] = wp.send_result(sms, infos[index])
        ordered = [results[n] for n in range(1, len(batch) + 1)]
        self._escalate(ordered)
        return ordered

    def _results(
        self, batch: Sequence[OutgoingSms], infos: list[wp.Information]
    ) -> list[SendResult]:
        # A short answer is safe to retry: client_id_sms keeps a resend from sending twice.
        with self._parsing():
            results = wp.match_results(batch, infos)
        self._escalate(results)
        return results

    def _escalate(self, results: list[SendResult]) -> None:
        """Every recipient refused for the account's own state: raise, don't reject."""
        error_class = wp.escalation(results)
        if error_class is not None:
            raise error_class(self.kind, results[0].vendor_text, raw=self._raw())

    # Other helpers --------------------------------------------------------------

    def _get_state(self, id_sms: str) -> StatusReport:
        text = self._get({**self._credentials(), "smsid": id_sms})
        word = text.strip()
        return wp.state_report(id_sms, word)

    def _stop_change(self, action: str, phones: Sequence[str]) -> None:
        if not phones:
            return
        query = etree.Element(action)
        for phone in phones:
            etree.SubElement(query, "phone", phone=digits(phone))
        self._post_xml("/xml/stop.php", self._xml(query))

    def _pages(self, path: str, tag: str, **attrs: str) -> Iterator[etree._Element]:
        page, num_pages = 1, 1
        while page <= min(num_pages, MAX_PAGES):
            root = self._post_xml(
                path, self._xml(etree.Element(tag, attrs | {"page": str(page)}))
            )
            yield root
            _page, num_pages = wp.pages(root)
            page += 1

    def _bases(self) -> dict[str, str]:
        return wp.parse_bases(self._post_xml("/xml/list_bases.php", self._xml()))

    def _base_id(self, group: str, bases: dict[str, str]) -> str:
        if group in bases:
            return group
        for id_base, name in bases.items():
            if name == group:
                return id_base
        raise GatewayRefused(self.kind, f"no base {group!r} in the account")

"""WEBSMS gateway: the contract in every dialect, parsers, operations and hazards."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote_plus, unquote_plus, urlencode

import httpx
import pytest
import respx

from providers.base import (
    AccountConfig,
    CallbackAck,
    Capability,
    DeliveryStatus,
    FailureReason,
    InboundRequest,
    MessageChannel,
    OutgoingSms,
    PhoneBookEntry,
    ViberContent,
    VoiceOptions,
)
from providers.exceptions import (
    AuthenticationFailed,
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
    InsufficientBalance,
    NotSupported,
    PartlyCancelled,
    PartlySent,
    SenderNotAllowed,
)
from providers.gateways import websms_parse as wp
from providers.gateways.websms import WebsmsGateway
from providers.parsing import to_decimal
from providers.simulator import Fault, SimAccount
from tests.providers.contract import GatewayContract, wait_for
from tests.providers.samples import vendor_sample

FIXTURES = Path(__file__).parent / "fixtures" / "websms"
LOGIN, PASSWORD = "ws-login", "ws-pa$$word"
ACK = b"<status>accepted</status>"


class TestWebsmsContract(GatewayContract):
    kind = "websms"  # default dialect http_in6, txt replies

    def assert_callback_ack(self, ack: CallbackAck, reports) -> None:
        assert ack.body == ACK
        assert ack.status == 200
        assert ack.content_type.startswith("text/xml")


class TestWebsmsHttpIn5Contract(TestWebsmsContract):
    dialect = "http_in5"


class TestWebsmsXmlContract(TestWebsmsContract):
    def account_kwargs(self) -> dict:
        return {**super().account_kwargs(), "options": {"format": "xml"}}


class TestWebsmsJsonContract(TestWebsmsContract):
    dialect = "json"


# helpers ------------------------------------------------------------------------------


def sample(name: str) -> str:
    return vendor_sample("websms", name).decode("utf-8")


def make(simulator, *, dialect="", password=PASSWORD, options=None, **account):
    if not any(k == ("websms", LOGIN) for k in simulator.state.accounts):
        fields = {"balance": Decimal("100.00"), **account}
        simulator.state.add_account(
            SimAccount(gateway="websms", login=LOGIN, password=PASSWORD, **fields)
        )
    config = AccountConfig(
        kind="websms",
        base_url=f"{simulator.url}/websms",
        login=LOGIN,
        password=password,
        dialect=dialect,
        default_sender="SMSPORTAL",
        options=options or {},
    )
    return WebsmsGateway(config)


def sms(phone="+79120000001", ref="1001", text="Hello", **kwargs) -> OutgoingSms:
    return OutgoingSms(
        reference=ref, phone=phone, text=text, sender="SMSPORTAL", **kwargs
    )


def offline() -> WebsmsGateway:
    return WebsmsGateway(AccountConfig(kind="websms", base_url="http://127.0.0.1:9"))


def messages(simulator) -> list:
    return list(simulator.state.messages.get("websms", {}).values())


# §5.3 test vectors --------------------------------------------------------------------


def test_b1_send_txt_reply_with_spaced_keys():
    doc = wp.read_document(sample("send_ok.txt"))
    assert doc.error() == (0, "OK")
    assert doc.common["packet_id"] == "1234"
    assert [i["message_id"] for i in doc.items] == ["7710258", "7710259"]
    assert [i["message_text"] for i in doc.items] == ["текст сообщения"] * 2
    sums = wp.totals(doc)
    assert (sums["summ_phone"], sums["summ_parts"], sums["packet_cost"]) == (
        "2",
        "2",
        "24",
    )
    assert (doc.common["balance_before"], sums["balance_after"]) == ("4680", "4656")


def test_b2_send_xml_reply_with_decimal_commas():
    doc = wp.read_document(sample("send_ok.xml"))
    assert doc.error()[0] == 0
    assert to_decimal(doc.common["balance_before"]) == Decimal("408.71")
    assert to_decimal(wp.totals(doc)["packet_cost"]) == Decimal("0.9")
    assert [i["message_zone"] for i in doc.items] == ["1", "2"]


def test_b3_send_json_reply():
    doc = wp.read_document(sample("send_ok.json"))
    assert doc.error() == (0, "OK")
    assert doc.common["packet_id"] == "12347310"
    assert to_decimal(doc.common["balance_after"]) == Decimal("7932.72")
    assert doc.items[0]["message_id"] == "220517990"


def test_b4_status_txt_reply_with_leading_spaces():
    doc = wp.read_document(sample("status_ok.txt"))
    reports = [offline()._report(item) for item in doc.items]
    assert [r.gateway_message_id for r in reports] == ["7710258", "7710259"]
    assert {r.status for r in reports} == {DeliveryStatus.DELIVERED}
    assert reports[0].vendor_text == "доставлено"
    assert reports[0].occurred_at == datetime(
        2009, 9, 17, 8, 34, 23, tzinfo=UTC
    )  # MSD, +4
    assert reports[1].cost == Decimal("14")


def test_b5_malformed_seed_xml_is_recovered():
    body = (FIXTURES / "status_seed_malformed.xml").read_text(encoding="utf-8")
    doc = wp.read_document(body)
    assert [i["result_id"] for i in doc.items] == ["6", "6"]
    assert [i["message_id"] for i in doc.items] == ["7710258", "771025"]
    assert doc.items[0]["result_info"] == "доставлено"


def test_status_xml_and_json_replies():
    xml = wp.read_document(sample("status_ok.xml"))
    assert xml.items[0]["delivered_date"] == "17.09.2009 12:34:23"
    assert xml.summary["packet_cost"] == "10"
    data = wp.read_document(sample("status_ok.json"))  # B6: summary is a list
    assert [i["message_id"] for i in data.items] == ["220517242", "220517243"]
    assert data.summary["packet_cost"] == "0,8"


@pytest.mark.parametrize(
    ("name", "code", "error"),
    [
        ("error_auth.txt", 1, AuthenticationFailed),
        ("error_funds.json", 3, InsufficientBalance),
        ("error_funds.xml", 3, InsufficientBalance),
    ],
)
def test_b7_error_replies_map_to_exceptions(name, code, error):
    body = sample(name)
    doc = wp.read_document(body)
    assert doc.error()[0] == code
    with pytest.raises(error) as caught:
        offline()._raise_for(doc, body)
    assert caught.value.vendor_code == str(code)


def test_b8_balance_in_text_and_xml():
    assert to_decimal(wp.parse_balance(sample("balance.txt"))) == Decimal("3530.04")
    assert to_decimal(wp.parse_balance(sample("balance.xml"))) == Decimal("3530.04")


def test_b9_delete_replies_in_both_spellings():
    assert wp.parse_delete(sample("delete_ok.txt")) == (1, "0.40", "0")
    assert wp.parse_delete(sample("delete_ok.xml")) == (0, "0", "OK")


def callback(body: bytes, **kwargs) -> InboundRequest:
    fields = {"method": "POST", "query": {}, "form": {}, "body": body}
    return InboundRequest(**{**fields, **kwargs})


def test_b10_both_callback_shapes_parse():
    gateway = offline()
    [first] = gateway.parse_status_callback(
        callback(vendor_sample("websms", "callback_delivered.xml"))
    )
    assert (first.gateway_message_id, first.status, first.vendor_code) == (
        "7710258", DeliveryStatus.DELIVERED, "6",
    )  # fmt: skip
    assert first.occurred_at == datetime(2007, 3, 28, 9, 35, tzinfo=UTC)
    [second] = gateway.parse_status_callback(
        callback(vendor_sample("websms", "callback_undeliverable.xml"))
    )
    assert second.status == DeliveryStatus.UNDELIVERED
    assert second.reason == FailureReason.UNREACHABLE
    assert second.vendor_text == "Абонент недоступен"


@pytest.mark.parametrize("field", ["xml", "data", "status"])
def test_b10_callback_as_a_form_field_or_query(field):
    xml = vendor_sample("websms", "callback_delivered.xml").decode()
    body = urlencode({field: xml}).encode()
    gateway = offline()
    as_form = callback(
        body, form={field: xml}, content_type="application/x-www-form-urlencoded"
    )
    as_raw_form = callback(body, content_type="text/plain")
    as_query = callback(b"", method="GET", query={field: xml})
    for request in (as_form, as_raw_form, as_query):
        [report] = gateway.parse_status_callback(request)
        assert report.gateway_message_id == "7710258"


def test_b10_a_windows_1251_form_field_keeps_its_russian_error_text():
    """Seed 002 §2: every parameter is windows-1251. The form, decoded as UTF-8 as
    Django decodes it, turned the error text into replacement characters."""
    xml = vendor_sample("websms", "callback_undeliverable.xml").decode("utf-8")
    body = urlencode({"xml": xml}, encoding="cp1251").encode()
    garbled = {"xml": body.decode("latin-1")}  # what a UTF-8 reading leaves

    [report] = offline().parse_status_callback(
        callback(body, form=garbled, content_type="application/x-www-form-urlencoded")
    )

    assert report.vendor_text == "Абонент недоступен"


def test_b10_ack_is_exactly_accepted():
    gateway = offline()
    request = callback(vendor_sample("websms", "callback_delivered.xml"))
    ack = gateway.status_callback_ack(request, gateway.parse_status_callback(request))
    assert ack.body == vendor_sample("websms", "callback_ack.xml") == ACK


def test_callback_without_status_xml_is_a_protocol_error():
    with pytest.raises(GatewayProtocolError):
        offline().parse_status_callback(callback(b"hello"))


def test_b11_address_book_reply():
    doc = wp.read_document(sample("addrbook_adduser.txt"))
    assert doc.error()[0] == 0
    [user] = doc.items
    assert (user["phone"], user["nick"], user["family"]) == (
        "71231234567",
        "Федор",
        "Иванов",
    )


def test_b12_statistics_rowset_survives_lookalike_letters_and_quotes():
    doc = wp.read_document(sample("statistics.xml"))
    [row] = doc.items
    assert row["operator"] == "Megafon-Москва"  # written with a Cyrillic "о"
    assert (row["message_id"], row["result_id"], row["message_cost"]) == (
        "7710258",
        "6",
        "0.8",
    )


def test_b13_xml_in5_status_with_one_digit_hour():
    found = wp.parse_callback(
        '<status id="1234567890" date="01.02.2019 3:45:17">'
        '<state error="" errcode="0">Accepted</state></status>'
    )
    assert (found.message_id, found.state) == ("1234567890", "Accepted")
    assert found.occurred_at == datetime(2019, 2, 1, 0, 45, 17, tzinfo=UTC)


def test_vendor_times():
    assert wp.parse_time("") is None
    assert wp.parse_time(None) is None
    assert wp.parse_time("24.06.2013 16:05:20").utcoffset() == timedelta(
        hours=4
    )  # 2013
    assert wp.parse_rfc2822("garbage") is None


# maps ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "reason"),
    [
        ("1", DeliveryStatus.UNKNOWN, None),
        ("2", DeliveryStatus.QUEUED, None),
        ("3", DeliveryStatus.QUEUED, None),
        ("4", DeliveryStatus.SENT, None),
        ("5", DeliveryStatus.UNDELIVERED, FailureReason.GATEWAY_ERROR),
        ("6", DeliveryStatus.DELIVERED, None),
        ("7", DeliveryStatus.UNDELIVERED, FailureReason.UNREACHABLE),
        ("8", DeliveryStatus.SENT, None),
        ("9", DeliveryStatus.CANCELLED, FailureReason.CANCELLED),
        ("10", DeliveryStatus.REJECTED, FailureReason.GATEWAY_ERROR),
        ("11", DeliveryStatus.UNDELIVERED, FailureReason.EXPIRED),
        ("12", DeliveryStatus.QUEUED, None),
        ("13", DeliveryStatus.UNKNOWN, None),
        ("14", DeliveryStatus.UNDELIVERED, FailureReason.DESTINATION_CLOSED),
        ("15", DeliveryStatus.UNDELIVERED, FailureReason.INVALID_NUMBER),
        ("expired", DeliveryStatus.UNDELIVERED, FailureReason.EXPIRED),
        ("rejected", DeliveryStatus.UNDELIVERED, FailureReason.GATEWAY_ERROR),
    ],
)
def test_result_ids_and_callback_words_map(code, status, reason):
    gateway = offline()
    assert gateway.map_status(code) == status
    assert gateway.reason_map.get(code) == reason


def test_every_documented_error_text_reads_back_as_its_code():
    for code, text in wp.ERROR_TEXTS.items():
        assert wp.VendorDoc(common={"error_num": text}).error()[0] == code


def test_declared_capabilities_match_the_document():
    caps = WebsmsGateway.capabilities
    assert {Capability.VOICE, Capability.CASCADE, Capability.COST_ESTIMATE} <= caps
    absent = {Capability.INCOMING, Capability.SENDER_NAMES, Capability.STOP_LIST_READ}
    assert not caps & absent
    with pytest.raises(NotSupported):
        offline().sender_names()
    assert WebsmsGateway.min_poll_delay == timedelta(minutes=1)


# operations against the simulator -----------------------------------------------------


def test_viber_cascade_parameters_reach_the_gateway(simulator):
    gateway = make(simulator)
    viber = ViberContent(text="Скидка 10%", button_text="Купить", image_id="77")
    gateway.send([sms(channel=MessageChannel.VIBER_THEN_SMS, viber=viber)])
    [message] = messages(simulator)
    assert (message.channel, message.text) == ("viber_sms", "Скидка 10%")
    assert message.extra["to_sms"] == "3"
    assert (message.extra["button"], message.extra["id_fileid"]) == ("Купить", "77")


def test_voice_parameters_reach_the_gateway(simulator):
    gateway = make(simulator)
    voice = VoiceOptions(language="en", voice="Захар", speed="1.5", tone="Good")
    gateway.send([sms(channel=MessageChannel.VOICE, voice=voice)])
    [message] = messages(simulator)
    assert message.channel == "voice"
    extra = message.extra
    assert (extra["lang"], extra["voice"], extra["temp"], extra["emotion"]) == (
        "2", "5", "1.5", "good",
    )  # fmt: skip


def test_flash_is_not_offered():
    with pytest.raises(NotSupported):
        offline().send([sms(channel=MessageChannel.FLASH)])


def test_schedule_validity_translit_nosplit_and_link(simulator):
    gateway = make(simulator, options={"personal_link_chat": "2"})
    send_at = datetime(2031, 5, 6, 7, 8, tzinfo=UTC)
    gateway.send(
        [
            sms(
                text="Строка 1\nСтрока 2",
                send_at=send_at,
                valid_until=send_at + timedelta(hours=3),
                translit=True,
                no_split=True,
                personal_link="<b>Полный текст</b>",
            )
        ]
    )
    [message] = messages(simulator)
    assert message.text == "Строка 1\nСтрока 2"  # sent as the two characters \n
    assert "%5Cn" in message.extra["raw_body"]
    assert message.extra["send_on"] == "06.05.2031 10:08"  # Moscow time
    assert message.extra["valid_period"] == "180"
    assert (message.extra["translit"], message.extra["nosplit"]) == ("1", "1")
    assert (message.extra["fulltext"], message.extra["chat"]) == (
        "<b>Полный текст</b>",
        "2",
    )


def test_send_on_is_rounded_up_to_the_minute(simulator):
    # send_on takes minutes: 10:08:30 cut to 10:08 would leave 30 s early.
    gateway = make(simulator)
    send_at = datetime(2031, 5, 6, 7, 8, 30, tzinfo=UTC)
    gateway.send([sms(send_at=send_at)])
    [message] = messages(simulator)
    assert message.extra["send_on"] == "06.05.2031 10:09"  # Moscow time


def test_numeric_reference_dedupes_and_resolves(simulator):
    gateway = make(simulator)
    [first] = gateway.send([sms(ref="4242")])
    [again] = gateway.send([sms(ref="4242")])
    assert again.gateway_message_id == first.gateway_message_id
    assert len(simulator.state.submissions) == 1
    found = gateway.resolve_references(["4242", "999999"])
    assert list(found) == ["4242"]
    assert found["4242"].gateway_message_id == first.gateway_message_id
    assert len(simulator.state.submissions) == 1  # resolving sent nothing


def test_non_numeric_references_cannot_be_resolved(simulator):
    with pytest.raises(NotSupported):
        make(simulator).resolve_references(["ref-a"])


def test_cost_estimate_sends_nothing(simulator):
    gateway = make(simulator)
    batch = [sms(phone=f"+7912000000{i}", ref=str(i)) for i in range(3)]
    batch.append(sms(phone="+79120000009", ref="9", text="Д" * 100))  # two parts
    estimate = gateway.estimate_cost(batch)
    assert (estimate.messages, estimate.segments) == (4, 5)
    assert estimate.total == Decimal("17.50")
    assert simulator.state.submissions == []
    assert gateway.balance().amount == Decimal("100.00")


@pytest.mark.parametrize("text", ["Д" * 134, "Д" * 594, "Д" * 700, "a" * 313])
def test_the_simulator_charges_the_parts_the_document_and_our_counter_count(
    simulator, text
):
    """Seed 002's table divides by 66 and 156 (Cyrillic past 594 is transliterated);
    the simulator divided by 67 and 153, so its cost estimate proved nothing."""
    from campaigns.segments import WEBSMS, count_segments

    [result] = make(simulator).send([sms(text=text)])

    expected = min(count_segments(text, table=WEBSMS).segments, 10)
    if len(text) > 594:  # the gateway transliterates it: Latin parts of 156
        expected = -(-len(text) // 156)
    assert result.segments == expected


def test_no_money_raises_insufficient_balance(simulator):
    gateway = make(simulator, balance=Decimal("0"))
    with pytest.raises(InsufficientBalance) as caught:
        gateway.send([sms()])
    assert caught.value.vendor_code == "3"


def test_money_running_out_mid_batch_keeps_accepted_results(simulator):
    gateway = make(simulator, balance=Decimal("4.00"))
    with pytest.raises(PartlySent) as caught:
        gateway.send([sms(ref="1"), sms(ref="2", phone="+79120000002"),
                      sms(ref="3", phone="+79120000003")])  # fmt: skip
    [accepted] = caught.value.results
    assert (accepted.reference, accepted.status) == ("1", DeliveryStatus.QUEUED)
    # Not a rejection of message 2: the campaign pauses and sends it after a top-up.
    assert isinstance(caught.value.cause, InsufficientBalance)
    assert len(simulator.state.submissions) == 1


def test_refuse_fault_rejects_the_recipient_with_the_vendor_code(simulator):
    gateway = make(simulator)
    simulator.state.add_fault("websms", Fault(mode="refuse"))
    [refused] = gateway.send([sms()])
    assert (refused.status, refused.reason) == (
        DeliveryStatus.REJECTED, FailureReason.STOP_LIST,
    )  # fmt: skip
    assert (refused.vendor_code, refused.vendor_text) == ("12", "empty phone list")
    assert simulator.state.submissions == []


def test_unknown_sender_raises_sender_not_allowed(simulator):
    gateway = make(simulator)
    with pytest.raises(SenderNotAllowed):
        gateway.send([OutgoingSms("1", "+79120000001", "Hi", sender="NOPE")])


@pytest.mark.parametrize("sender", ["Shop Name", "Магазин", "SHOPSHOPSHOP"])
def test_a_sender_against_the_documents_rule_is_refused_even_in_the_archive(
    simulator, sender
):
    """Seed 002, fromPhone: only Latin letters and digits, at most 11 (error 23)."""
    gateway = make(simulator)
    simulator.state.accounts[("websms", LOGIN)].senders[sender] = "active"

    with pytest.raises(SenderNotAllowed):
        gateway.send([OutgoingSms("1", "+79120000001", "Hi", sender=sender)])
    assert simulator.state.submissions == []


def test_test_mode_sends_nothing(simulator):
    gateway = make(simulator)
    gateway = WebsmsGateway(
        AccountConfig(**{**_fields(gateway.config), "test_mode": True})
    )
    [result] = gateway.send([sms()])
    # Final and said so: queued with the test answer's id "0", it waited three days
    # for a status no gateway would ever report.
    assert (result.status, result.reason, result.gateway_message_id) == (
        DeliveryStatus.CANCELLED, FailureReason.TEST_MODE, ""
    )  # fmt: skip
    assert result.segments == 1
    assert simulator.state.submissions == []


def _fields(config: AccountConfig) -> dict:
    return {name: getattr(config, name) for name in config.__slots__}


def test_http_in5_falls_back_to_http_in6_for_text_outside_windows_1251(simulator):
    gateway = make(simulator, dialect="http_in5")
    gateway.send([sms(text="Привет 👋")])
    [message] = messages(simulator)
    assert (message.extra["page"], message.text) == ("http_in6.asp", "Привет 👋")


def test_cancel_scheduled_refunds_and_reports_cancelled(simulator):
    gateway = make(simulator)
    later = datetime.now(UTC) + timedelta(days=1)
    [result] = gateway.send([sms(send_at=later)])
    assert gateway.balance().amount == Decimal("96.50")
    assert gateway.cancel_scheduled([result.gateway_message_id, "123"]) == [
        result.gateway_message_id
    ]
    [report] = gateway.fetch_statuses([result.gateway_message_id])
    assert report.status == DeliveryStatus.CANCELLED
    assert gateway.balance().amount == Decimal("100.00")


def test_a_cancel_that_fails_part_way_says_what_it_withdrew(simulator):
    gateway = make(simulator)
    later = datetime.now(UTC) + timedelta(days=1)
    ids = [
        gateway.send([sms(phone=f"+7912000000{i}", ref=f"r-{i}", send_at=later)])[
            0
        ].gateway_message_id
        for i in range(3)
    ]
    simulator.state.add_fault(
        "websms", Fault(mode="http503", count=-1, path="http_delete", after=1)
    )

    with pytest.raises(PartlyCancelled) as stopped:
        gateway.cancel_scheduled(ids)

    assert stopped.value.cancelled == ids[:1]
    assert isinstance(stopped.value.cause, GatewayUnavailable)
    held = [m for m in messages(simulator) if m.state == "accepted"]
    assert len(held) == 2


def test_status_poll_in_xml_and_unknown_ids_are_omitted(simulator):
    gateway = make(simulator, options={"format": "xml"})
    [result] = gateway.send([sms()])
    assert gateway.fetch_statuses(["424242"]) == []
    reports = wait_for(
        lambda: [
            r
            for r in gateway.fetch_statuses([result.gateway_message_id])
            if r.status == DeliveryStatus.DELIVERED
        ]
    )
    assert reports[0].occurred_at is not None
    assert reports[0].cost == Decimal("3.50")


def test_expired_message_reports_reason_expired(simulator):
    gateway = make(simulator, dialect="json")
    [result] = gateway.send([sms(phone="+79120009991")])
    reports = wait_for(
        lambda: [
            r
            for r in gateway.fetch_statuses([result.gateway_message_id])
            if r.reason == FailureReason.EXPIRED
        ]
    )
    assert reports[0].vendor_code == "11"


def test_phone_book_push_and_list(simulator):
    gateway = make(simulator)
    entries = [
        PhoneBookEntry("+79120000001", "Дмитрий", extra={"nick": "Федор"}),
        PhoneBookEntry("+79120000002", "Анна", extra={"family": "Иванова"}),
    ]
    assert gateway.phone_book_push(entries, group="Клиенты") == 2
    listed = gateway.phone_book_list(group="Клиенты")
    assert [(e.phone, e.name) for e in listed] == [
        ("+79120000001", "Дмитрий"),
        ("+79120000002", "Анна"),
    ]
    assert listed[0].extra["nick"] == "Федор"
    assert [e.phone for e in gateway.phone_book_list()] == [e.phone for e in listed]
    assert gateway.phone_book_list(group="Нет такой") == []


def test_statistics_by_day(simulator):
    gateway = make(simulator)
    gateway.send([sms(ref="1"), sms(ref="2", phone="+79120000002")])
    today = datetime.now(UTC).date()
    rows = gateway.statistics(
        start=today - timedelta(days=1), end=today + timedelta(days=1)
    )
    assert sum(r.sent for r in rows) == 2
    assert sum(r.cost for r in rows) == Decimal("7.00")
    assert gateway.statistics(start=date(2001, 1, 1), end=date(2001, 1, 2)) == []


def test_balance_in_xml_format(simulator):
    assert make(simulator, options={"format": "xml"}).balance().amount == Decimal(
        "100.00"
    )


def test_garbage_reply_is_a_protocol_error_with_the_body_kept():
    config = AccountConfig(
        kind="websms",
        base_url="http://sim.test/websms",
        login="shop-user",
        password="shop-pass",
    )
    with respx.mock(base_url=config.base_url, assert_all_called=True) as mock:
        mock.post("/http_in6.asp").respond(200, text="<html>Server busy</html>")
        with pytest.raises(GatewayProtocolError) as caught:
            WebsmsGateway(config).send([sms()])
    assert "Server busy" in caught.value.raw


def test_outage_mid_batch_keeps_the_accepted_and_names_the_failure():
    config = AccountConfig(
        kind="websms",
        base_url="http://sim.test/websms",
        login="shop-user",
        password="shop-pass",
    )
    replies = [httpx.Response(200, text=sample("send_ok.txt")), httpx.Response(503)]
    with respx.mock(base_url=config.base_url, assert_all_called=True) as mock:
        route = mock.post("/http_in6.asp").mock(side_effect=replies)
        with pytest.raises(PartlySent) as caught:
            WebsmsGateway(config).send([sms(ref="1"), sms(ref="2"), sms(ref="3")])
    assert route.call_count == 2  # the third was never sent
    results = caught.value.results
    assert [r.status for r in results] == [DeliveryStatus.QUEUED]
    assert (results[0].gateway_message_id, results[0].cost) == ("7710258", Decimal(10))
    assert isinstance(caught.value.cause, GatewayUnavailable)
    assert caught.value.cause.status == 503


def test_unlisted_error_code_is_a_refusal():
    config = AccountConfig(
        kind="websms",
        base_url="http://sim.test/websms",
        login="shop-user",
        password="shop-pass",
    )
    with respx.mock(base_url=config.base_url, assert_all_called=True) as mock:
        mock.post("/http_in6.asp").respond(200, json={"error": "flood", "err_num": 24})
        with pytest.raises(GatewayRefused) as caught:
            WebsmsGateway(config).send([sms()])
    assert caught.value.vendor_code == "24"


# redaction ----------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["http_in5", "http_in6", "json"])
def test_cyrillic_secrets_are_redacted_in_every_encoding(simulator, dialect):
    secret = 'пароль-Ёж"1'
    simulator.state.add_account(
        SimAccount(gateway="websms", login=LOGIN, password=secret, balance=Decimal(5))
    )
    gateway = make(simulator, dialect=dialect, password=secret)
    gateway.send([sms(text="Привет")])
    exchange = gateway.http.last_exchange
    kept = f"{exchange.url} {exchange.request_body} {exchange.response_body}"
    assert "***" in kept
    for form in (secret, quote_plus(secret), quote_plus(secret, encoding="cp1251")):
        assert form not in kept
    assert "043f" not in kept.lower()  # the \u-escaped JSON form


def test_b10_a_windows_1251_query_string_keeps_its_russian_error_text():
    """A report by GET, its XML in the query string in windows-1251 (seed 002 §2:
    every parameter is): Django's request.GET, read as UTF-8, garbled the error."""
    xml = vendor_sample("websms", "callback_undeliverable.xml").decode("utf-8")
    query_string = urlencode({"xml": xml}, encoding="cp1251")
    garbled = {"xml": unquote_plus(query_string[4:], errors="replace")}

    [report] = offline().parse_status_callback(
        callback(b"", method="GET", query=garbled, query_string=query_string)
    )

    assert report.vendor_text == "Абонент недоступен"

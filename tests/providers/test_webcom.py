"""Webcom Mobi / mysmpp: the contract in all three dialects, parsers, operations."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import respx

from providers.base import (
    AccountConfig,
    Capability,
    DeliveryStatus,
    FailureReason,
    InboundRequest,
    MessageChannel,
    OutgoingSms,
    PhoneBookEntry,
    ViberContent,
)
from providers.exceptions import (
    AuthenticationFailed,
    CallbackRejected,
    GatewayConfigurationError,
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
    InsufficientBalance,
    NotSupported,
    RequestNotSent,
    SenderNotAllowed,
)
from providers.gateways import webcom_parse as wp
from providers.gateways.webcom import WebcomGateway
from providers.http import build_client
from providers.parsing import match_text, parse_json
from providers.simulator import Fault
from tests.providers.contract import LOGIN, PASSWORD, TOKEN, GatewayContract, wait_for
from tests.providers.samples import vendor_sample

FIXTURES = Path(__file__).parent / "fixtures" / "webcom"
MSK = wp.MOSCOW


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def root(name: str):
    return wp.read_xml(vendor_sample("webcom", name))


def inbound(body: bytes, content_type: str = "text/xml") -> InboundRequest:
    return InboundRequest(
        method="POST", query={}, form={}, body=body, content_type=content_type
    )


class WebcomContract(GatewayContract):
    kind = "webcom"

    def assert_callback_ack(self, ack, reports) -> None:
        ids = [r.gateway_message_id for r in reports]
        if self.dialect == "json":
            assert json.loads(ack.body) == [{"id_sms": int(i)} for i in ids]
        else:
            lines = "".join(f"     <id_sms>{i}</id_sms>\n" for i in ids)
            expected = (
                '<?xml version="1.0" encoding="utf-8" ?>\n<response>\n'
                f"{lines}</response>\n"
            )
            assert ack.body == expected.encode()
        assert ack.status == 200


class TestWebcomContract(WebcomContract):
    dialect = "xml"


class TestWebcomJsonContract(WebcomContract):
    dialect = "json"


class TestWebcomGetContract(WebcomContract):
    dialect = "get"


class TestWebcomTokenContract(WebcomContract):
    """The secret key instead of login and password (XML <token value="..."/>)."""

    dialect = "xml"

    def account_kwargs(self) -> dict:
        return {"token": TOKEN}


# Fixtures ---------------------------------------------------------------------------


@pytest.fixture
def sim_account(simulator):
    return WebcomContract().register_account(simulator)


def make(simulator, dialect: str = "xml", **overrides) -> WebcomGateway:
    contract = WebcomContract()
    contract.dialect = dialect
    return contract.make_gateway(simulator, **overrides)


@pytest.fixture(params=["xml", "json", "get"])
def any_gateway(request, simulator, sim_account):
    return make(simulator, request.param)


@pytest.fixture
def gateway(simulator, sim_account):
    return make(simulator)


def sms(phone: str, reference: str, text: str = "Hello", **kwargs) -> OutgoingSms:
    return OutgoingSms(
        reference=reference, phone=phone, text=text, sender="SMSPORTAL", **kwargs
    )


# REFERENCE §5.1 test vectors as parser tests ---------------------------------------


def test_w1_padded_send_answer_with_id_turn():
    infos = wp.parse_xml_send(root("send_ok.xml"))
    assert [(i.number, i.id_sms, i.parts, i.accepted) for i in infos] == [
        (1, "366", 1, True),
        (2, "367", 1, True),
    ]


def test_w2_mixed_answer_with_russian_refusals():
    batch = [sms(f"+7903000000{i}", f"r{i}") for i in (1, 2, 3)]
    results = wp.match_results(batch, wp.parse_xml_send(root("send_mixed.xml")))
    assert [r.status for r in results] == [
        DeliveryStatus.QUEUED,
        DeliveryStatus.REJECTED,
        DeliveryStatus.REJECTED,
    ]
    assert results[0].gateway_message_id == "901"
    assert results[0].segments == 2
    assert results[1].reason == FailureReason.STOP_LIST
    assert results[1].vendor_text == "Номер телефона присутствует в стоп-листе."
    assert results[2].reason == FailureReason.DESTINATION_CLOSED


def _config(**kwargs):
    fields = {"kind": "webcom", "base_url": "http://127.0.0.1:9/webcom"}
    return AccountConfig(**{**fields, "login": "l", "password": "p", **kwargs})


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Неправильный логин или пароль", AuthenticationFailed),
        ("Incorrect login or password", AuthenticationFailed),
        ("Ваш аккаунт заблокирован", AuthenticationFailed),
        ("Your account is locked", AuthenticationFailed),
        ("POST данные отсутствуют", GatewayRefused),
        ("Неправильный формат XML документа", GatewayRefused),
        ("Incorrect JSON document format", GatewayRefused),
        (
            "We have run out of SMS. Please contact your manager to resolve the problem",
            InsufficientBalance,
        ),
        ("Out of SMS", InsufficientBalance),
        ("There is no such sender", SenderNotAllowed),
        ("Something nobody documented", GatewayRefused),
    ],
)
def test_w3_w17_document_errors_map_to_exceptions(text, error):
    assert (match_text(text, wp.ERROR_MAP) or GatewayRefused) is error


def test_w3_error_body_is_recognised_in_both_languages():
    assert wp.xml_error(root("error_auth_ru.xml")) == "Неправильный логин или пароль"
    assert wp.xml_error(root("error_auth_en.xml")) == "Incorrect login or password"
    assert wp.xml_error(root("send_ok.xml")) is None


def test_w4_state_with_cascade_attributes_and_empty_time():
    reports = {r.gateway_message_id: r for r in wp.parse_xml_states(root("state.xml"))}
    assert reports["366"].status == DeliveryStatus.DELIVERED
    assert reports["366"].occurred_at == datetime(2011, 1, 1, 12, 57, 46, tzinfo=MSK)
    assert reports["367"].status == DeliveryStatus.UNDELIVERED
    assert reports["367"].vendor_code == "not_deliver"
    assert reports["367"].vendor_text == "sms=not_deliver viber=expired"
    assert reports["368"].status == DeliveryStatus.SENT
    assert reports["368"].occurred_at is None


def test_w5_json_state_detail_price_is_decimal():
    [report] = wp.parse_json_states(
        parse_json(vendor_sample("webcom", "state_detail.json"))
    )
    assert report.gateway_message_id == "82216"
    assert report.status == DeliveryStatus.DELIVERED
    assert report.segments == 1
    assert report.cost == Decimal("10.6000000")
    assert report.occurred_at == datetime(2021, 4, 26, 15, 15, 3, tzinfo=MSK)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("deliver", DeliveryStatus.DELIVERED),
        ("", DeliveryStatus.UNKNOWN),
        ("not_deliver\n", DeliveryStatus.UNDELIVERED),
        ("expired", DeliveryStatus.UNDELIVERED),
        ("read", DeliveryStatus.READ),
        ("partly_deliver", DeliveryStatus.UNKNOWN),
        ("send", DeliveryStatus.SENT),
    ],
)
def test_w6_get_status_bodies(body, status):
    report = wp.state_report("42", body.strip())
    assert report.status == status


def test_expired_and_not_delivered_carry_reasons():
    assert wp.state_report("1", "expired").reason == FailureReason.EXPIRED
    assert wp.state_report("1", "not_deliver").reason == FailureReason.UNREACHABLE
    assert wp.state_report("1", "deliver").reason is None


def test_w7_xml_webhook_and_its_exact_reply():
    gw = WebcomGateway(_config())
    request = inbound(vendor_sample("webcom", "webhook.xml"))
    reports = gw.parse_status_callback(request)
    assert [(r.gateway_message_id, r.status) for r in reports] == [
        ("3234", DeliveryStatus.DELIVERED),
        ("3235", DeliveryStatus.UNDELIVERED),
    ]
    ack = gw.status_callback_ack(request, reports)
    assert ack.body == vendor_sample("webcom", "webhook_ack.xml")
    assert ack.content_type.startswith("text/xml")


def test_w8_json_webhook_ids_are_strings_and_reply_has_ints():
    gw = WebcomGateway(_config())
    request = inbound(vendor_sample("webcom", "webhook.json"), "application/json")
    reports = gw.parse_status_callback(request)
    assert [(r.gateway_message_id, r.status) for r in reports] == [
        ("3234", DeliveryStatus.DELIVERED),
        ("3235", DeliveryStatus.SENT),
    ]
    assert reports[1].occurred_at is None
    ack = gw.status_callback_ack(request, reports)
    assert ack.body == vendor_sample("webcom", "webhook_ack.json")


@pytest.mark.parametrize(
    "body",
    [
        b'{"id_sms":"3234","time":"2011-01-01 12:57:46","state":"read"}',
        b'{"state":[{"id_sms":3234,"time":"2011-01-01 12:57:46","state":"read"}]}',
    ],
)
def test_json_webhook_with_one_report_as_an_object_is_read_and_acknowledged(body):
    """A lone object used to be read as a wrapper: its "state" word was iterated as the
    list of reports, nothing was applied and the reply listed no id."""
    gw = WebcomGateway(_config())
    request = inbound(body, "application/json")
    reports = gw.parse_status_callback(request)
    assert [(r.gateway_message_id, r.status) for r in reports] == [
        ("3234", DeliveryStatus.READ)
    ]
    assert reports[0].occurred_at == datetime(2011, 1, 1, 12, 57, 46, tzinfo=MSK)
    assert gw.status_callback_ack(request, reports).body == b'[{"id_sms":3234}]'


def test_webhook_reply_leaves_out_ids_it_could_not_read():
    gw = WebcomGateway(_config())
    body = (
        b'<?xml version="1.0" encoding="utf-8" ?><response>'
        b'<state time="">deliver</state><state id_sms="77" time="">send</state>'
        b"</response>"
    )
    request = inbound(body)
    ack = gw.status_callback_ack(request, gw.parse_status_callback(request))
    assert b"<id_sms>77</id_sms>" in ack.body
    assert ack.body.count(b"<id_sms>") == 1


def test_w9_xml_balance():
    info = wp.parse_xml_balance(root("balance.xml"))
    assert info.money == Decimal("8")
    assert info.areas == {"Russia": 8, "Ukraine": 4}
    assert wp.home_area_count(info.areas) == 8


def test_balance_with_a_decimal_comma():
    body = b"<response><money>408,71</money><sms area='Russia'>12</sms></response>"
    assert wp.parse_xml_balance(wp.read_xml(body)).money == Decimal("408.71")


def test_w10_json_balance_with_unlimited_count():
    info = wp.parse_json_balance(json.loads(vendor_sample("webcom", "balance.json")))
    assert info.money == Decimal("19023.9")
    assert info.currency == "RUB"
    assert info.areas == {"Tele2": 72029, "Russia": None}
    ru = wp.parse_json_balance(json.loads(vendor_sample("webcom", "balance_ru.json")))
    assert ru.areas == {"Россия": None}


def test_w11_get_balance_two_lines():
    info = wp.parse_get_balance(vendor_sample("webcom", "balance_get.txt").decode())
    assert (info.money, info.currency) == (Decimal("150.5"), "RUB")


def test_w12_sender_list_and_any_sender():
    any_allowed, names = wp.parse_senders(root("senders.xml"))
    assert not any_allowed
    assert [(n.name, n.state, n.usable) for n in names] == [
        ("ShopName", "completed", True),
        ("Other", "rejected", False),
    ]
    assert names[0].operators == "MTS (250/01)"
    assert names[1].comment == "нет документов"
    assert wp.parse_senders(root("senders_any.xml")) == (True, [])


def test_w13_incoming_deduplicates_on_id():
    [message] = wp.parse_incoming(root("incoming.xml"))
    assert message.gateway_message_id == "1234"
    assert message.phone == "+79612242243"
    assert message.text == "Текст"
    assert message.to == "79611111111"
    assert message.received_at == datetime(2012, 1, 31, 12, 55, 55, tzinfo=MSK)


def test_w14_stop_list_answers():
    assert wp.parse_phone_results(root("stop.xml")) == {
        "79612242243": "delete",
        "79612242244": "add",
        "79612242245": "not_found",
    }


def test_w15_scheduled_list_and_delete():
    [item] = wp.parse_scheduled(root("scheduled_list.xml"))
    assert item.gateway_message_id == "1234"
    assert item.phone == "+79612242243"
    assert item.text == "ТекстSMS"
    assert item.send_at == datetime(2011, 11, 14, 21, 0, tzinfo=MSK)
    assert wp.pages(root("scheduled_list.xml")) == (1, 100)
    assert wp.parse_scheduled_delete(root("scheduled_delete.xml")) == {
        "1234": "delete",
        "1235": "not_found",
    }


def test_w16_json_send_answer():
    infos = wp.parse_json_send(json.loads(vendor_sample("webcom", "send.json")))
    assert [(i.id_sms, i.accepted) for i in infos] == [("82216", True), ("", False)]
    assert wp.recipient_reason(infos[1].text) == FailureReason.STOP_LIST


def test_w17_json_document_errors():
    assert wp.json_error(json.loads(vendor_sample("webcom", "error_auth.json"))) == (
        "Incorrect login or password"
    )
    ru = json.loads(vendor_sample("webcom", "error_format_ru.json"))
    assert wp.json_error(ru) == "Неправильный формат JSON документа"


def test_w18_doc_style_malformed_webhook_is_recovered():
    gw = WebcomGateway(_config())
    reports = gw.parse_status_callback(inbound(fixture("webhook_malformed.xml")))
    assert [(r.gateway_message_id, r.status) for r in reports] == [
        ("3234", DeliveryStatus.DELIVERED)
    ]


def test_unreadable_callback_is_rejected():
    gw = WebcomGateway(_config())
    with pytest.raises(CallbackRejected):
        gw.parse_status_callback(inbound(b"hello"))
    with pytest.raises(CallbackRejected):
        gw.parse_status_callback(inbound(b"<response><state id_sms="))


def test_def_phones_and_bases_answers():
    [info] = wp.parse_number_info(root("def.xml"))
    assert (info.phone, info.operator, info.region) == (
        "+79612242243",
        "Vimpeltelecom",
        "Novosibirsk region",
    )
    assert wp.parse_phone_results(root("phones.xml"))["79612242244"] == "edit"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Phone number is on the stop list", FailureReason.STOP_LIST),
        ("Данное направление закрыто для вас.", FailureReason.DESTINATION_CLOSED),
        ("This destination is closed", FailureReason.DESTINATION_CLOSED),
        ("SMS text rejected by moderator", FailureReason.CONTENT_REJECTED),
        ("The sender has not been moderated", FailureReason.SENDER_NOT_ALLOWED),
        ("There is no such sender", FailureReason.SENDER_NOT_ALLOWED),
        ("Specify phone number", FailureReason.INVALID_NUMBER),
        ("Phone number must be less than 15 characters", FailureReason.INVALID_NUMBER),
        ("Out of SMS", FailureReason.INSUFFICIENT_BALANCE),
        ("Something new", FailureReason.GATEWAY_ERROR),
    ],
)
def test_recipient_error_texts_map_to_reasons(text, reason):
    assert wp.recipient_reason(text) == reason


# Dates and request building ----------------------------------------------------------


def test_vendor_times_are_moscow_and_time_send_rounds_up():
    moment = datetime(2026, 1, 5, 9, 30, 15, tzinfo=UTC)
    assert wp.vendor_time(moment) == "2026-01-05 12:30:15"
    assert wp.send_time(moment) == "2026-01-05 12:31"
    assert wp.send_time(moment.replace(second=0)) == "2026-01-05 12:30"
    with pytest.raises(ValueError, match="aware"):
        wp.vendor_time(datetime(2026, 1, 5, 9, 30))  # noqa: DTZ001


@pytest.mark.parametrize(
    "value", ["", "  ", "0000-00-00 00:00:00", "2012-02-31 12:23:00"]
)
def test_empty_and_impossible_vendor_times_are_none(value):
    assert wp.parse_time(value) is None


def test_client_id_is_digits_and_stable():
    assert wp.client_id("12345") == "12345"
    assert wp.client_id("ref-1").isdigit()
    assert wp.client_id("ref-1") == wp.client_id("ref-1") != wp.client_id("ref-2")


def test_xml_send_request_groups_messages_and_has_no_raw_line_breaks():
    at = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
    batch = [
        sms(
            "+79030000001",
            "1",
            "Строка 1\nСтрока 2",
            send_at=at,
            valid_until=at + timedelta(hours=3),
        ),
        sms("+79030000002", "2", "Другой текст"),
        sms("+79030000003", "3", "Строка 1\nСтрока 2", send_at=at),
    ]
    body = wp.xml_send_request(batch, {"login": "l", "password": "p"})
    assert b"\n" not in body
    doc = wp.read_xml(body)
    messages = doc.findall("message")
    assert len(messages) == 2
    # A line break goes as the two characters \n (REFERENCE §1.1).
    assert messages[0].findtext("text") == "Строка 1\\nСтрока 2"
    first = messages[0].findall("abonent")
    assert [a.get("number_sms") for a in first] == ["1", "3"]
    assert first[0].get("time_send") == "2026-03-01 10:00"
    assert first[0].get("validity_period") == "2026-03-01 13:00:00"
    assert first[0].get("client_id_sms") == "1"
    assert doc[-1].tag == "security"


def test_a_message_is_shared_only_by_recipients_of_the_same_channel_sender_and_text():
    viber = ViberContent(text="В Viber", sender="ShopV")
    other_viber = ViberContent(text="Другое", sender="ShopV")
    batch = [
        sms("+79030000001", "1", "Один"),
        sms("+79030000002", "2", "Один", channel=MessageChannel.FLASH),
        sms("+79030000003", "3", "Один", viber=viber),  # an SMS: Viber not read
        replace(sms("+79030000004", "4", "Один"), sender="OTHER"),
        sms("+79030000005", "5", "Один", channel=MessageChannel.VIBER, viber=viber),
        sms(
            "+79030000006", "6", "Один", channel=MessageChannel.VIBER, viber=other_viber
        ),  # fmt: skip
        sms("+79030000007", "7", "Один", channel=MessageChannel.VIBER, viber=viber),
    ]
    doc = wp.read_xml(wp.xml_send_request(batch, {"login": "l", "password": "p"}))
    shared = [
        (m.get("type"), m.findtext("sender"), m.findtext("text_viber"),
         [a.get("number_sms") for a in m.findall("abonent")])
        for m in doc.findall("message")
    ]  # fmt: skip
    assert shared == [
        ("sms", "SMSPORTAL", None, ["1", "3"]),
        ("flashsms", "SMSPORTAL", None, ["2"]),
        ("sms", "OTHER", None, ["4"]),
        (None, "SMSPORTAL", "В Viber", ["5", "7"]),
        (None, "SMSPORTAL", "Другое", ["6"]),
    ]
    # Each message's head is written for it: one sender and one text apiece.
    assert all(len(m.findall("text")) == 1 for m in doc.findall("message"))


def test_a_viber_message_without_a_viber_text_carries_its_own_text_in_viber():
    empty = ViberContent(text="", sender="ShopV")
    batch = [
        sms(
            "+79030000001",
            "1",
            "Анна, скидка",
            channel=MessageChannel.VIBER,
            viber=empty,
        ),  # fmt: skip
        sms(
            "+79030000002",
            "2",
            "Борис, скидка",
            channel=MessageChannel.VIBER,
            viber=empty,
        ),  # fmt: skip
        sms("+79030000003", "3", "Вера, скидка", channel=MessageChannel.VIBER),
        sms("+79030000004", "4", "Глеб, скидка", channel=MessageChannel.VIBER),
    ]
    doc = wp.read_xml(wp.xml_send_request(batch, {"login": "l", "password": "p"}))
    assert [(m.findtext("text_viber"), m.findtext("text")) for m in
            doc.findall("message")] == [(s.text, s.text) for s in batch]  # fmt: skip


def test_viber_cascade_and_flash_fields():
    viber = ViberContent(text="Viber text", sender="ShopV", button_text="Open",
                         button_url="https://e.ru/1", image_url="https://e.ru/i.png")  # fmt: skip
    fields = wp.message_fields(
        sms("+7903", "1", channel=MessageChannel.VIBER_THEN_SMS, viber=viber)
    )
    assert fields["type_send_1"] == "viber"
    assert fields["type_send_2"] == "sms"
    assert fields["sender_viber"] == "ShopV"
    assert fields["text_viber"] == "Viber text"
    assert fields["button_viber"] == "Open"
    assert fields["action_viber"] == "https://e.ru/1"
    assert fields["image_viber"] == "https://e.ru/i.png"
    flash = wp.message_fields(sms("+7903", "1", channel=MessageChannel.FLASH))
    assert (flash["type_send_1"], flash["type"]) == ("sms", "flashsms")


def test_segments_for_cost():
    assert wp.ceil_segments("a" * 160) == 1
    assert wp.ceil_segments("a" * 161) == 2
    assert wp.ceil_segments("я" * 70) == 1
    assert wp.ceil_segments("я" * 71) == 2


def test_get_send_answer_tokens():
    infos = wp.parse_get_send("101,Phone number is on the stop list,103,0", 3)
    assert [(i.id_sms, i.accepted) for i in infos] == [
        ("101", True),
        ("", False),
        ("103", True),
    ]


# Operations against the simulator -----------------------------------------------------


@pytest.mark.parametrize("dialect", ["xml", "json"])
def test_resending_the_same_reference_returns_the_earlier_id(
    dialect, simulator, sim_account
):
    gw = make(simulator, dialect)
    [first] = gw.send([sms("+79120000001", "4242")])
    [again] = gw.send([sms("+79120000001", "4242")])
    assert again.gateway_message_id == first.gateway_message_id
    assert len(simulator.state.submissions) == 1
    assert simulator.state.submissions[0].reference == "4242"
    assert gw.supports(Capability.CLIENT_REFERENCE)


def test_get_dialect_does_not_claim_server_side_idempotency(simulator, sim_account):
    gw = make(simulator, "get")
    assert not gw.supports(Capability.CLIENT_REFERENCE)
    assert Capability.CLIENT_REFERENCE in WebcomGateway.capabilities
    gw.send([sms("+79120000001", "4242")])
    assert "client_id_sms" not in gw.http.last_exchange.url


def test_idempotency_holds_across_dialects(simulator, sim_account):
    [first] = make(simulator, "xml").send([sms("+79120000001", "ref-x")])
    [again] = make(simulator, "json").send([sms("+79120000001", "ref-x")])
    assert again.gateway_message_id == first.gateway_message_id
    assert len(simulator.state.submissions) == 1


def test_resolve_references_is_not_offered(gateway):
    assert Capability.RESOLVE_REFERENCE not in gateway.capabilities
    with pytest.raises(NotSupported):
        gateway.resolve_references(["1"])


def test_out_of_sms_for_every_recipient_raises_insufficient_balance(
    any_gateway, sim_account
):
    sim_account.balance = Decimal("1.00")
    with pytest.raises(InsufficientBalance):
        any_gateway.send([sms("+79120000001", "1"), sms("+79120000002", "2")])


def test_out_of_sms_midway_keeps_the_accepted_ids(gateway, sim_account):
    sim_account.balance = Decimal("5.00")  # one part at 3.50
    results = gateway.send([sms("+79120000001", "1"), sms("+79120000002", "2")])
    assert results[0].status == DeliveryStatus.QUEUED
    assert results[1].status == DeliveryStatus.REJECTED
    assert results[1].reason == FailureReason.INSUFFICIENT_BALANCE


def test_unknown_sender_for_everyone_raises_sender_not_allowed(any_gateway):
    batch = [
        OutgoingSms(reference="1", phone="+79120000001", text="x", sender="NOBODY")
    ]
    with pytest.raises(SenderNotAllowed):
        any_gateway.send(batch)


def test_blocked_account_is_an_authentication_failure(any_gateway, sim_account):
    sim_account.blocked = True
    with pytest.raises(AuthenticationFailed):
        any_gateway.balance()


def test_refuse_fault_refuses_every_recipient(any_gateway, simulator):
    simulator.state.add_fault("webcom", Fault(mode="refuse"))
    results = any_gateway.send([sms("+79120000001", "1"), sms("+79120000002", "2")])
    assert {r.reason for r in results} == {FailureReason.DESTINATION_CLOSED}
    assert simulator.state.submissions == []


def test_balance_in_every_dialect(any_gateway):
    balance = any_gateway.balance()
    assert balance.amount == Decimal("500.00")
    assert balance.currency == "RUB"
    if any_gateway.dialect != "get":
        assert balance.messages_left == 142  # 500 / 3.50 per part


def test_viber_and_cascade_reach_the_simulator(any_gateway, simulator):
    viber = ViberContent(text="Viber привет", sender="SMSPORTAL", button_text="Open",
                         button_url="https://e.ru/1")  # fmt: skip
    batch = [
        sms("+79120000001", "v1", channel=MessageChannel.VIBER, viber=viber),
        sms("+79120000002", "v2", channel=MessageChannel.VIBER_THEN_SMS, viber=viber),
    ]
    results = any_gateway.send(batch)
    assert all(r.status == DeliveryStatus.QUEUED for r in results)
    messages = simulator.state.messages["webcom"]
    channels = {messages[r.gateway_message_id].channel for r in results}
    assert channels == {"viber", "viber_sms"}
    assert messages[results[0].gateway_message_id].text == "Viber привет"


def test_flash_goes_as_flashsms(gateway, simulator):
    [result] = gateway.send([sms("+79120000001", "f1", channel=MessageChannel.FLASH)])
    assert (
        simulator.state.messages["webcom"][result.gateway_message_id].channel == "flash"
    )


def test_get_dialect_refuses_flash_and_scheduling(simulator, sim_account):
    gw = make(simulator, "get")
    assert Capability.FLASH not in gw.capabilities
    with pytest.raises(NotSupported):
        gw.send([sms("+79120000001", "f1", channel=MessageChannel.FLASH)])
    at = datetime.now(UTC) + timedelta(hours=2)
    with pytest.raises(NotSupported):
        gw.send([sms("+79120000001", "s1", send_at=at)])
    assert Capability.FLASH in WebcomGateway.capabilities


def test_get_dialect_sends_one_request_per_distinct_text(simulator, sim_account):
    gw = make(simulator, "get")
    batch = [sms("+79120000001", "1", "A"), sms("+79120000002", "2", "B"),
             sms("+79120000003", "3", "A")]  # fmt: skip
    results = gw.send(batch)
    texts = {
        simulator.state.messages["webcom"][r.gateway_message_id].text for r in results
    }
    assert texts == {"A", "B"}
    assert [r.reference for r in results] == ["1", "2", "3"]
    sends = [p for g, p, _t in simulator.state.request_log if p == "/sendsms.php"]
    assert len(sends) == 2


def test_get_dialect_keeps_sent_ids_when_a_later_request_fails(simulator, sim_account):
    # The second request was refused unread (503): its recipient was surely not
    # taken, and comes back so (PENDING): released, the next batch sends it.
    gw = make(simulator, "get")
    batch = [sms("+79120000001", "1", "A"), sms("+79120000002", "2", "B")]
    results = _send_with_second_request_failing(gw, simulator, batch)
    assert results[0].status == DeliveryStatus.QUEUED
    assert results[0].gateway_message_id
    assert (results[1].status, results[1].gateway_message_id) == (
        DeliveryStatus.PENDING,
        "",
    )
    assert len(simulator.state.submissions) == 1


def test_get_dialect_hands_back_the_requests_never_made_after_a_lost_answer(
    simulator, sim_account
):
    # The second request's answer was lost: its recipient may have been taken (a
    # person decides). The third request was never made: its recipients were not
    # taken, and must not wait for a person.
    gw = make(simulator, "get", client=build_client(timeout=0.5))
    batch = [sms("+79120000001", "1", "A"), sms("+79120000002", "2", "B"),
             sms("+79120000003", "3", "C"), sms("+79120000004", "4", "C")]  # fmt: skip
    results = _send_with_second_request_failing(
        gw, simulator, batch, Fault(mode="timeout_after", delay=1.5)
    )
    assert results[0].status == DeliveryStatus.QUEUED
    assert results[1].status == DeliveryStatus.UNKNOWN
    assert results[1].reason == FailureReason.OUTCOME_UNKNOWN
    assert [(r.status, r.reason) for r in results[2:]] == [
        (DeliveryStatus.PENDING, "")
    ] * 2
    sends = [p for _g, p, _t in simulator.state.request_log if p == "/sendsms.php"]
    assert len(sends) == 2
    gw.http.client.close()


def test_get_dialect_out_of_money_part_way_answers_as_the_xml_dialect(
    simulator, sim_account
):
    # Refused for the money at the second request: as the XML dialect's per-recipient
    # refusal, so the campaign pauses and these wait for the top-up.
    sim_account.balance = Decimal("5.00")  # one part at 3.50
    gw = make(simulator, "get")
    batch = [sms("+79120000001", "1", "A"), sms("+79120000002", "2", "B"),
             sms("+79120000003", "3", "C")]  # fmt: skip
    results = gw.send(batch)
    assert results[0].status == DeliveryStatus.QUEUED
    assert (results[1].status, results[1].reason) == (
        DeliveryStatus.REJECTED,
        FailureReason.INSUFFICIENT_BALANCE,
    )
    assert results[2].status == DeliveryStatus.PENDING
    assert len(simulator.state.submissions) == 1


def _send_with_second_request_failing(gw, simulator, batch, fault=None):
    original = gw.http.request
    calls = []

    def request(method, path, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            simulator.state.add_fault("webcom", fault or Fault(mode="http503"))
        return original(method, path, **kwargs)

    gw.http.request = request
    return gw.send(batch)


def test_scheduled_send_list_and_cancel(gateway, simulator):
    at = datetime.now(UTC) + timedelta(hours=2)
    [result] = gateway.send([sms("+79120000001", "s1", "Позже", send_at=at)])
    [item] = gateway.scheduled_list()
    assert item.gateway_message_id == result.gateway_message_id
    assert item.text == "Позже"
    assert item.phone == "+79120000001"
    expected = (
        (at + timedelta(minutes=1)).astimezone(MSK).replace(second=0, microsecond=0)
    )
    assert item.send_at == expected
    assert gateway.cancel_scheduled([result.gateway_message_id, "999"]) == [
        result.gateway_message_id
    ]
    assert gateway.scheduled_list() == []
    assert gateway.fetch_statuses([result.gateway_message_id]) == []


def test_json_status_poll_carries_price_and_parts(simulator, sim_account):
    gw = make(simulator, "json")
    [result] = gw.send([sms("+79120000001", "p1", "я" * 80)])
    [report] = gw.fetch_statuses([result.gateway_message_id])
    assert report.segments == 2
    assert report.cost == Decimal("7.0000000")


def test_statuses_progress_and_read_for_viber(gateway):
    viber = ViberContent(text="hi")
    [result] = gateway.send(
        [sms("+79120000001", "vr", channel=MessageChannel.VIBER, viber=viber)]
    )
    reports = wait_for(
        lambda: [
            r
            for r in gateway.fetch_statuses([result.gateway_message_id])
            if r.status == DeliveryStatus.READ
        ]  # fmt: skip
    )
    assert reports
    assert reports[0].occurred_at is not None
    assert reports[0].occurred_at.tzinfo


def test_expired_status_has_reason(any_gateway):
    [result] = any_gateway.send([sms("+79120009991", "e1")])
    reports = wait_for(
        lambda: [
            r
            for r in any_gateway.fetch_statuses([result.gateway_message_id])
            if r.status == DeliveryStatus.UNDELIVERED
        ]  # fmt: skip
    )
    assert reports[0].reason == FailureReason.EXPIRED
    assert reports[0].vendor_code == "expired"


def test_json_webhook_for_json_sends(simulator, sim_account):
    gw = make(simulator, "json")
    [result] = gw.send([sms("+79120000001", "w1")])
    # This message's callback: an earlier test's (an XML one) may land late.
    ours = result.gateway_message_id.encode()
    captured = wait_for(
        lambda: [c for c in list(simulator.state.captured) if ours in c.body]
    )
    request = WebcomContract().callback_request(captured[0])
    assert request.body.startswith(b"[")
    reports = gw.parse_status_callback(request)
    assert reports[0].gateway_message_id == result.gateway_message_id
    ack = gw.status_callback_ack(request, reports)
    assert json.loads(ack.body) == [{"id_sms": int(result.gateway_message_id)}]


def test_incoming_messages(gateway, simulator):
    item = simulator.state.add_incoming("webcom", LOGIN, phone="79612242243",
                                        text="СТОП", to="79611111111")  # fmt: skip
    simulator.state.add_incoming(
        "webcom", "someone-else", phone="79612242200", text="x"
    )
    since = datetime.fromtimestamp(item.received_at, UTC) - timedelta(minutes=1)
    [message] = gateway.incoming(since=since)
    assert message.gateway_message_id == item.id
    assert message.phone == "+79612242243"
    assert message.text == "СТОП"
    assert message.received_at.tzinfo is not None
    later = datetime.fromtimestamp(item.received_at, UTC) + timedelta(seconds=2)
    assert gateway.incoming(since=later) == []


def test_an_incoming_message_received_in_the_second_asked_from_is_not_lost(
    gateway, simulator, monkeypatch
):
    # incoming.php's bounds are exclusive and whole seconds (seed 000): asked from
    # the very second a reply came in, the request must start a second before.
    monkeypatch.setattr(simulator.state, "clock", lambda: 1_700_000_000.6)
    item = simulator.state.add_incoming("webcom", LOGIN, phone="79612242243",
                                        text="СТОП")  # fmt: skip
    since = datetime.fromtimestamp(1_700_000_000, UTC)
    assert [m.gateway_message_id for m in gateway.incoming(since=since)] == [item.id]


def test_sender_names_list_and_add(gateway, sim_account):
    sim_account.senders["WAITING"] = "moderation"
    names = {n.name: n for n in gateway.sender_names()}
    assert names["SMSPORTAL"].usable
    assert names["SMSPORTAL"].state == "completed"
    assert not names["WAITING"].usable
    assert names["WAITING"].state == "order"
    added = gateway.sender_name_add("NEWSHOP", comment="магазин")
    assert (added.name, added.state, added.usable) == ("NEWSHOP", "order", False)
    assert sim_account.senders["NEWSHOP"] == "order"
    with pytest.raises(SenderNotAllowed):
        gateway.sender_name_add("TOO-LONG-NAME")


def test_stop_list_read_add_remove(gateway, sim_account):
    gateway.stop_list_add(["+79612242244", "+79612242243"])
    assert sorted(gateway.stop_list()) == ["+79612242243", "+79612242244"]
    gateway.stop_list_remove(["+79612242243", "+79610000000"])
    assert gateway.stop_list() == ["+79612242244"]
    assert sim_account.stop_list == {"79612242244"}


def test_stop_list_pages_are_followed(gateway, sim_account):
    sim_account.stop_list.update(f"7961{i:07d}" for i in range(250))
    assert len(gateway.stop_list()) == 250


def test_phone_book_list_and_push(gateway, sim_account):
    sim_account.phone_book["1234"] = {"79612242243": {"name": "Анна"}}
    entries = [
        PhoneBookEntry("+79612242243", name="Анна", extra={"surname": "Иванова"}),
        PhoneBookEntry("+79612242244", name="Борис"),
    ]
    assert gateway.phone_book_push(entries, group="1234") == 2
    listed = {e.phone: e for e in gateway.phone_book_list(group="1234")}
    assert set(listed) == {"+79612242243", "+79612242244"}
    assert listed["+79612242243"].extra["surname"] == "Иванова"
    assert listed["+79612242244"].group == "1234"
    with pytest.raises(GatewayRefused):
        gateway.phone_book_list(group="nope")


def test_number_lookup(gateway):
    info = gateway.lookup_number("+7 961 224-22-43")
    assert (info.phone, info.operator, info.region) == (
        "+79612242243",
        "Vimpeltelecom",
        "Novosibirsk region",
    )


def test_cost_estimate_from_the_tariff(simulator, sim_account):
    gw = make(simulator, tariff=Decimal("2.50"))
    estimate = gw.estimate_cost([sms("+7912", "1", "a" * 161), sms("+7912", "2", "b")])
    assert (estimate.total, estimate.segments, estimate.messages) == (
        Decimal("7.50"),
        3,
        2,
    )
    assert estimate.exact is False
    with pytest.raises(NotSupported):
        make(simulator).estimate_cost([sms("+7912", "1")])


def test_cyrillic_and_line_breaks_reach_the_simulator(any_gateway, simulator):
    text = "Первая строка\nВторая — «ёлка» & <b>"
    any_gateway.send([sms("+79120000001", "c1", text)])
    assert simulator.state.submissions[0].text == text
    if any_gateway.dialect == "xml":  # no raw line break; \n as REFERENCE §1.1 asks
        body = any_gateway.http.last_exchange.request_body
        assert "<text>Первая строка\\nВторая — «ёлка» &amp; &lt;b&gt;</text>" in body


# Hazards, odd responses, redaction -----------------------------------------------------


BASE = "http://webcom.test/webcom"


def respx_gateway(dialect: str = "xml") -> WebcomGateway:
    return WebcomGateway(_config(base_url=BASE, dialect=dialect))


def test_truncated_send_answer_is_a_protocol_error():
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.post("/xml").respond(200, content=fixture("send_truncated.xml"))
        with pytest.raises(GatewayProtocolError):
            respx_gateway().send([sms("+79120000001", "1"), sms("+79120000002", "2")])


def test_truncated_balance_is_not_read_as_a_smaller_number():
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.post("/xml/balance.php").respond(
            200, content=fixture("balance_truncated.xml")
        )
        with pytest.raises(GatewayProtocolError):
            respx_gateway().balance()


def test_html_502_is_unavailable():
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.post("/xml").respond(502, content=fixture("bad_gateway.html"))
        with pytest.raises(GatewayUnavailable):
            respx_gateway().send([sms("+79120000001", "1")])


def test_html_page_with_200_is_a_protocol_error():
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.post("/json/balance.php").respond(200, content=fixture("bad_gateway.html"))
        with pytest.raises(GatewayProtocolError):
            respx_gateway("json").balance()


def test_error_in_a_200_answer_is_still_an_error():
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.post("/xml/balance.php").respond(
            200, content=vendor_sample("webcom", "error_auth_en.xml")
        )
        with pytest.raises(AuthenticationFailed):
            respx_gateway().balance()


def test_id_turn_and_padding_in_a_real_answer():
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.post("/xml").respond(200, content=vendor_sample("webcom", "send_ok.xml"))
        results = respx_gateway().send(
            [sms("+79120000001", "1"), sms("+79120000002", "2")]
        )
    assert [r.gateway_message_id for r in results] == ["366", "367"]


def test_get_timeout_is_unavailable():
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.get("/sendsms.php").mock(side_effect=httpx.ConnectTimeout("slow"))
        with pytest.raises(GatewayUnavailable) as caught:
            respx_gateway("get").balance()
    assert not caught.value.outcome_unknown


@pytest.mark.parametrize(
    "content_type", ["text/plain; charset=windows-1251", "text/plain"]
)
def test_get_error_in_windows_1251_is_read_as_russian(content_type):
    body = "Неправильный логин или пароль".encode("cp1251")
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.get("/sendsms.php").respond(
            200, content=body, headers={"Content-Type": content_type}
        )
        with pytest.raises(AuthenticationFailed) as caught:
            respx_gateway("get").balance()
    assert caught.value.message == "Неправильный логин или пароль"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("1 234,50\nRUR", "text/plain; charset=utf-8"),
     ("1\u202f234,50\nRUR", "text/plain; charset=utf-8"),  # narrow no-break space
     ("1\u00a0234,50\r\nRUR", "text/plain; charset=windows-1251")],
)  # fmt: skip
def test_get_balance_with_grouped_thousands(body, content_type):
    charset = content_type.rpartition("=")[2]
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.get("/sendsms.php").respond(
            200, content=body.encode(charset), headers={"Content-Type": content_type}
        )
        balance = respx_gateway("get").balance()
    assert (balance.amount, balance.currency) == (Decimal("1234.50"), "RUB")


@pytest.mark.parametrize("dialect", ["xml", "json", "get"])
def test_odd_passwords_are_redacted_in_every_dialect(simulator, dialect):
    odd = 'p&ss<"w\\o>rd'
    WebcomContract().register_account(simulator)
    gw = make(simulator, dialect, password=odd)
    with pytest.raises(AuthenticationFailed):
        gw.balance()
    exchange = gw.http.last_exchange
    text = f"{exchange.url} {exchange.request_body} {exchange.response_body}"
    assert "ss<" not in text
    assert "p&amp;ss" not in text
    assert "ss&lt;" not in text
    assert PASSWORD not in text


def test_token_goes_instead_of_login_and_password(simulator, sim_account):
    gw = make(simulator, "get", token=TOKEN, login="", password="")
    assert gw.balance().amount == Decimal("500.00")
    assert "user=" not in gw.http.last_exchange.url


def test_unknown_dialect_is_a_configuration_error():
    with pytest.raises(GatewayConfigurationError):
        WebcomGateway(_config(dialect="soap"))


# A failure before the request left is "not sent"; after it, "outcome unknown" -------


def test_a_request_that_cannot_be_built_is_not_sent(gateway, simulator):
    # A bell character: XML cannot carry it (campaigns.screening keeps such texts from
    # the ledger's batches; this is the gateway's own answer if one gets through).
    with pytest.raises(RequestNotSent) as refused:
        gateway.send([sms("+79120000001", "1"), sms("+79120000002", "2", "a\x07")])
    assert "could not build the request" in refused.value.message
    assert simulator.state.request_log == []
    assert simulator.state.submissions == []


def test_preparing_refuses_what_send_refuses_before_anything_leaves(
    simulator, sim_account
):
    # The pump prepares in a thread of its own: the refusal must come from there,
    # as RequestNotSent or NotSupported, with nothing sent.
    xml, get = make(simulator, "xml"), make(simulator, "get")
    with pytest.raises(RequestNotSent, match="could not build the request"):
        xml.prepare_send([sms("+79120000002", "2", "a\x07")])
    later = datetime.now(UTC) + timedelta(hours=2)
    with pytest.raises(NotSupported, match="scheduled sending over HTTP GET"):
        get.prepare_send([sms("+79120000001", "1", send_at=later)])
    assert simulator.state.request_log == []


def test_the_prepared_body_is_the_one_posted(gateway, simulator):
    batch = [sms("+79120000001", "1", "Привет & <пока>"), sms("+79120000002", "2")]
    prepared = gateway.prepare_send(batch)
    assert prepared.body == wp.xml_send_request(batch, gateway._credentials())
    results = gateway.send_prepared(prepared)
    assert [r.status for r in results] == [DeliveryStatus.QUEUED] * 2
    texts = {s.phone: s.text for s in simulator.state.submissions}
    assert texts == {"79120000001": "Привет & <пока>", "79120000002": "Hello"}


def test_an_oversized_batch_is_not_sent(gateway, simulator):
    batch = [sms(f"+7912{n:07d}", str(n)) for n in range(gateway.max_batch + 1)]
    with pytest.raises(RequestNotSent):
        gateway.send(batch)
    assert simulator.state.request_log == []


def test_an_unreadable_answer_after_the_request_left_is_a_protocol_error():
    # A part count that is not a number: the parser fails after the gateway has the
    # messages, so they may have been accepted.
    answer = (
        b'<?xml version="1.0" encoding="utf-8"?><response>'
        b'<information number_sms="1" id_sms="77" parts="many">send</information>'
        b"</response>"
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.post("/xml").respond(200, content=answer)
        with pytest.raises(GatewayProtocolError) as unreadable:
            respx_gateway().send([sms("+79120000001", "1")])
    assert not isinstance(unreadable.value, RequestNotSent)


@pytest.mark.parametrize("dialect", ["xml", "json", "get"])
def test_each_result_is_its_own_recipients_when_texts_interleave(
    dialect, simulator, sim_account
):
    """The request lists recipients message by message; the JSON answer echoes no
    number_sms: read by the batch's order, results went to the wrong recipients."""
    sim_account.stop_list.add("79120000002")
    batch = [
        sms("+79120000001", "501", "Здравствуйте, Анна"),
        sms("+79120000002", "502", "Здравствуйте, Борис"),
        sms("+79120000003", "503", "Здравствуйте, Анна"),
        sms("+79120000004", "504", "Hello"),
        sms("+79120000005", "505", "Здравствуйте, Борис"),
    ]

    results = make(simulator, dialect).send(batch)

    by_phone = {
        "+" + m.phone: m.id for m in simulator.state.messages["webcom"].values()
    }
    assert [r.reference for r in results] == ["501", "502", "503", "504", "505"]
    assert [r.status for r in results] == [
        DeliveryStatus.QUEUED, DeliveryStatus.REJECTED, DeliveryStatus.QUEUED,
        DeliveryStatus.QUEUED, DeliveryStatus.QUEUED,
    ]  # fmt: skip
    assert results[1].reason == FailureReason.STOP_LIST
    for result, message in zip(results, batch, strict=True):
        assert result.gateway_message_id == by_phone.get(message.phone, "")


def test_get_sends_each_validity_in_a_request_of_its_own(simulator, sim_account):
    """sendsms.php has one validity_period for all its recipients: the first one's
    went to all of a text's recipients."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    batch = [
        sms("+79120000001", "601", valid_until=now + timedelta(hours=1)),
        sms("+79120000002", "602", valid_until=now + timedelta(hours=20)),
        sms("+79120000003", "603"),
        sms("+79120000004", "604", valid_until=now + timedelta(hours=1)),
    ]

    results = make(simulator, "get").send(batch)

    validity = {
        "+" + m.phone: m.extra["validity_period"]
        for m in simulator.state.messages["webcom"].values()
    }
    in_an_hour = wp.vendor_time(now + timedelta(hours=1), seconds=False)
    assert [r.status for r in results] == [DeliveryStatus.QUEUED] * 4
    assert validity == {
        "+79120000001": in_an_hour,
        "+79120000002": wp.vendor_time(now + timedelta(hours=20), seconds=False),
        "+79120000003": "",
        "+79120000004": in_an_hour,
    }
    paths = [
        p for _g, p, _t in simulator.state.request_log if p.endswith("sendsms.php")
    ]
    assert len(paths) == 3


def test_a_sender_too_long_for_everyone_raises_sender_not_allowed(any_gateway):
    """Seed 004's per-recipient "The sender must not exceed 15 characters ..." for the
    whole batch is the account's sender, not the recipients: the campaign pauses."""
    batch = [
        OutgoingSms(reference=str(n), phone=f"+7912000000{n}", text="x",
                    sender="VeryLongSenderName")
        for n in (1, 2)
    ]  # fmt: skip

    with pytest.raises(SenderNotAllowed):
        any_gateway.send(batch)

"""SMSC: the contract, the REFERENCE §5.2 vectors, every operation over real HTTP."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from django.utils import timezone, translation

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
    CallbackForged,
    CallbackRejected,
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
    InsufficientBalance,
    MessageDenied,
    NotSupported,
    PartlyCancelled,
    PartlySent,
    RateLimited,
    SenderNotAllowed,
    WithdrawalRefused,
)
from providers.gateways import smsc_parse as p
from providers.gateways.smsc import SmscGateway
from providers.gateways.smsc_parse import smsc_id, split_gateway_id
from providers.parsing import BodyError
from providers.simulator import smsc as sim
from tests.providers.contract import LOGIN, PASSWORD, GatewayContract
from tests.providers.samples import vendor_sample

MSK = p.MOSCOW
# The secret set in the cabinet (and here) that SMSC signs its callbacks with.
SECRET = "cabinet-signing-secret"


class TestSmscContract(GatewayContract):
    kind = "smsc"

    def account_kwargs(self) -> dict:
        return {**super().account_kwargs(), "callback_secret": SECRET}

    def register_account(self, simulator, **kwargs):
        return super().register_account(simulator, callback_secret=SECRET, **kwargs)

    def assert_callback_ack(self, ack, reports) -> None:
        # Assumption (REFERENCE §2.6): SMSC wants a quick HTTP 200; we answer "OK".
        assert ack.status == 200
        assert ack.body == b"OK"
        assert reports[0].vendor_code


def sample(name: str) -> str:
    return p.decode(vendor_sample("smsc", name))


def sms(phone="+79120000001", ref="r-1", text="Привет", **kwargs) -> OutgoingSms:
    return OutgoingSms(
        reference=ref, phone=phone, text=text, sender="SMSPORTAL", **kwargs
    )


def form(exchange) -> dict[str, str]:
    return dict(parse_qsl(exchange.request_body))


# REFERENCE §5.2 test vectors ---------------------------------------------------------


def test_s1_send_basic():
    assert p.read_answer(sample("send_basic.json")) == {"id": 1234, "cnt": 1}


def test_s2_send_cost3_all_strings_coerce():
    answer = p.read_answer(sample("send_cost3_strings.json"))
    assert answer["id"] == "12345"
    assert p.to_int(answer["cnt"]) == 2
    assert p.to_decimal(answer["cost"]) == Decimal("4.48")
    assert p.to_decimal(answer["balance"]) == Decimal("1231.21")


def test_s3_send_numbers():
    answer = p.read_answer(sample("send_numbers.json"))
    assert (answer["id"], answer["cnt"], p.to_decimal(answer["cost"])) == (
        1,
        1,
        Decimal("1.44"),
    )


def test_s4_send_with_op_marks_the_failed_phone():
    answer = p.read_answer(sample("send_op.json"))
    bad = [e for e in answer["phones"] if e.get("error")]
    assert [e["phone"] for e in bad] == ["7999000"]
    assert p.ERR_REASONS[bad[0]["error"]] == FailureReason.INVALID_NUMBER


def test_s5_errors_by_code():
    assert p.error_of(p.read_answer(sample("error_auth.json"))) == (
        "2",
        "authorise error",
        "",
    )
    assert p.error_of(p.read_answer(sample("error_deliver.json"))) == (
        "8",
        "can't to deliver",
        "1",
    )


@pytest.mark.parametrize(
    ("name", "operation", "expected"),
    [
        (
            "send_fmt1.txt",
            "send",
            {"id": "12345", "cnt": "2", "cost": "4.48", "balance": "1231.21"},
        ),  # fmt: skip
        ("error_fmt1.txt", "send", {"error": "", "error_code": "1", "id": "0"}),
        (
            "error_fmt1_with_id.txt",
            "send",
            {"error": "", "error_code": "6", "id": "12345"},
        ),  # fmt: skip
        ("cost_fmt1.txt", "cost", {"cost": "1.44", "cnt": "1"}),
    ],
)
def test_s6_fmt1(name, operation, expected):
    assert p.read_answer(sample(name), operation=operation) == expected


def test_s7_fmt0():
    assert p.read_answer(sample("send_fmt0_cost.txt")) == {
        "cnt": "2",
        "id": "12345",
        "cost": "4.48",
    }
    assert p.read_answer(sample("send_fmt0.txt")) == {"cnt": "1", "id": "100"}
    assert p.error_of(p.read_answer(sample("error_fmt0.txt"))) == (
        "2",
        "authorise error",
        "",
    )
    assert p.error_of(p.read_answer(sample("error_fmt0_with_id.txt"))) == (
        "6",
        "message is denied",
        "12345",
    )


def test_s8_fmt2_without_and_with_root():
    assert p.read_answer(sample("send_fmt2.xml")) == {
        "id": "12345",
        "cnt": "2",
        "cost": "4.48",
        "balance": "1231.21",
    }
    assert p.error_of(p.read_answer(sample("error_fmt2.xml"))) == (
        "7",
        "описание",
        "12345",
    )


def test_s9_status_date_and_timestamp_agree_in_moscow():
    item = p.read_answer(sample("status_basic.json"), operation="status")
    report = p.status_report(item, "1:7")
    assert report.status == DeliveryStatus.DELIVERED
    assert report.occurred_at == datetime(2010, 10, 10, 10, 10, 10, tzinfo=MSK)
    assert p.moscow_time(item["last_date"]) == p.unix_time(item["last_timestamp"])


def test_s10_status_multi_all2():
    [item] = p.read_answer(sample("status_multi_all2.json"), operation="status")
    report = p.status_report(item, "1:79262138080")
    assert report.status == DeliveryStatus.DELIVERED
    assert report.vendor_text == "Доставлено"
    assert report.operator == "МегаФон"
    assert report.cost == Decimal("1.20")
    assert report.occurred_at == datetime(2017, 5, 26, 18, 39, 32, tzinfo=UTC)


def test_s11_status_fmt0_fmt1_and_error():
    assert p.read_answer(sample("status_fmt0.txt"), operation="status") == {
        "status": "1",
        "check_time": "10.10.2010 10:10:10",
        "err": "0",
    }
    fmt1 = p.read_answer(sample("status_fmt1.txt"), operation="status")
    assert fmt1 == {"status": "1", "last_timestamp": "1286524541", "err": "0"}
    assert p.status_report(fmt1, "x:1").status == DeliveryStatus.DELIVERED
    error = p.read_answer(sample("status_error_fmt1.txt"), operation="status")
    assert p.error_of(error) == ("9", "", "")


def test_s12_status_as_string_and_unknown_code():
    queued = p.status_report(p.read_answer(sample("status_string.json")), "a:1")
    assert queued.status == DeliveryStatus.QUEUED
    assert queued.occurred_at is None  # empty last_date, timestamp 0
    unknown = p.status_report(p.read_answer(sample("status_unknown_code.json")), "a:1")
    assert unknown.status == DeliveryStatus.UNKNOWN
    assert unknown.vendor_code == "26"


def test_s13_not_found_and_failed_with_err():
    missing = p.status_report(p.read_answer(sample("status_not_found.json")), "a:1")
    assert missing.vendor_code == "-3"
    with translation.override("en"):
        failed = p.status_report(p.read_answer(sample("status_failed.json")), "a:1")
    with translation.override("ru"):  # the site's language, as callbacks run in
        in_russian = p.status_report(p.read_answer(sample("status_failed.json")), "a:1")
    assert failed.status == DeliveryStatus.UNDELIVERED
    assert failed.reason == FailureReason.UNREACHABLE
    assert failed.vendor_code == "20/6"
    assert "err 6: subscriber offline" in failed.vendor_text
    # The gateway sends only the number: its meaning reads in the site's language.
    assert "err 6: абонент не в сети" in in_russian.vendor_text
    assert failed.occurred_at == datetime(2024, 2, 1, 9, 0, tzinfo=MSK)


def test_s14_balance_formats():
    answer = p.read_answer(sample("balance.json"), operation="balance")
    assert p.to_decimal(answer["balance"]) == Decimal("100.01")
    fmt0 = p.read_answer(sample("balance_fmt0.txt"), operation="balance")
    assert p.to_decimal(fmt0["balance"]) == Decimal("250.80")
    error = p.read_answer(sample("balance_error_fmt1.txt"), operation="balance")
    assert p.error_of(error)[0] == "2"
    # A decimal comma, in JSON and in the plain answer.
    comma = p.read_answer('{"balance":"408,71"}', operation="balance")
    assert p.to_decimal(comma["balance"]) == Decimal("408.71")
    plain = p.read_answer("408,71", operation="balance")
    assert p.to_decimal(plain["balance"]) == Decimal("408.71")


def test_s15_cost():
    answer = p.read_answer(sample("cost.json"), operation="cost")
    assert (p.to_decimal(answer["cost"]), answer["cnt"]) == (Decimal("1.44"), 1)


def test_s16_incoming_and_empty():
    from providers.gateways.smsc_parse import incoming_message as _incoming

    [item] = p.read_answer(sample("incoming.json"))
    message = _incoming(item, text_key="message", to_key="to_phone")
    assert message.gateway_message_id == "1234568"
    assert message.phone == "+79612242243"
    assert message.text == "Да, подтверждаю"
    assert message.to == "79001234567"
    assert message.received_at == datetime(2024, 1, 31, 12, 55, 57, tzinfo=MSK)
    assert p.read_answer(sample("incoming_empty.json")) == []


def test_s17_senders_and_error():
    answer = p.read_answer(sample("senders.json"))
    assert [item["sender"] for item in answer] == ["ShopName", "79001234567"]
    assert p.error_of(p.read_answer(sample("error_auth.json")))[0] == "2"


def test_s18_windows_1251_error_without_charset():
    text = p.decode(vendor_sample("smsc", "error_fmt0_cp1251.txt"), "text/plain")
    assert text == "ERROR = 2 (неверный логин или пароль)"
    assert p.error_of(p.read_answer(text)) == ("2", "неверный логин или пароль", "")


def test_unreadable_answers_raise_body_error():
    for body in ("", "<html><body>oops</body></html>x", "hello there"):
        with pytest.raises(BodyError):
            p.read_answer(body)


def test_dates_are_aware_and_blank_is_none():
    assert p.moscow_time("") is None
    assert p.moscow_time(None) is None
    assert p.unix_time(0) is None
    assert p.moscow_time("01.02.2024 09:00:00").utcoffset() == timedelta(hours=3)
    with pytest.raises(BodyError):
        p.moscow_time("2024-02-01")


def test_status_map_and_reference_ids():
    gateway = SmscGateway(AccountConfig(kind="smsc", base_url="http://x"))
    assert gateway.map_status(" -1 ") == DeliveryStatus.QUEUED
    assert gateway.map_status("2") == DeliveryStatus.READ
    assert gateway.map_status("3") == DeliveryStatus.UNDELIVERED
    assert smsc_id("msg-42.a_b") == "msg-42.a_b"
    hashed = smsc_id("заказ #1")
    assert hashed == smsc_id("заказ #1")
    assert len(hashed) <= 40
    assert re.fullmatch(r"[A-Za-z0-9._-]+", hashed)
    assert split_gateway_id("msg-1:79120000001") == ("msg-1", "79120000001")
    assert split_gateway_id("garbage") is None


# Operations against the simulator ---------------------------------------------------


@pytest.fixture
def account(simulator):
    return TestSmscContract().register_account(simulator)


@pytest.fixture
def gateway(simulator, account):
    return TestSmscContract().make_gateway(simulator)


def only_message(simulator):
    [message] = simulator.state.messages["smsc"].values()
    return message


def test_send_uses_our_reference_as_id_and_reports_cost(gateway, simulator):
    [result] = gateway.send([sms(ref="ref-100")])
    assert result.gateway_message_id == "ref-100:79120000001"
    assert result.segments == 1
    assert result.cost == Decimal("3.50")
    sent = form(gateway.http.last_exchange)
    assert sent["id"] == "ref-100"
    assert (sent["fmt"], sent["charset"], sent["phones"]) == ("3", "utf-8", "+79120000001")  # fmt: skip
    assert simulator.state.accounts[("smsc", LOGIN)].balance == Decimal("496.50")


@pytest.mark.parametrize(
    ("channel", "flag", "sim_channel"),
    [
        (MessageChannel.FLASH, "flash", "flash"),
        (MessageChannel.VIBER, "viber", "viber"),
        (MessageChannel.VOICE, "call", "voice"),
    ],
)
def test_channels_set_their_flag(gateway, simulator, channel, flag, sim_channel):
    viber = ViberContent(text="Viber text", image_url="https://x/i.png")
    message = sms(channel=channel, viber=viber if flag == "viber" else None)
    [result] = gateway.send([message])
    assert result.status == DeliveryStatus.QUEUED
    assert form(gateway.http.last_exchange)[flag] == "1"
    assert only_message(simulator).channel == sim_channel


@pytest.mark.parametrize(
    "send_at",
    [None, datetime(2031, 5, 6, 7, 8, 30, tzinfo=UTC)],
    ids=["now", "ahead-with-seconds"],
)
def test_the_validity_goes_whole_not_a_minute_short(gateway, simulator, send_at):
    # A campaign's "3 hours" counts from its own clock reading (or from the planned
    # time, with its seconds): a later reading, or the time rounded up to SMSC's
    # minute, left 02:59 on the wire.
    start = send_at or timezone.now()
    gateway.send([sms(send_at=send_at, valid_until=start + timedelta(hours=3))])
    assert form(gateway.http.last_exchange)["valid"] == "03:00"


def test_cascade_is_not_offered(gateway):
    assert Capability.CASCADE not in gateway.capabilities
    with pytest.raises(NotSupported):
        gateway.send([sms(channel=MessageChannel.VIBER_THEN_SMS)])


def test_scheduled_send_validity_translit_then_cancel(gateway, simulator):
    send_at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=2)
    message = sms(
        send_at=send_at, valid_until=send_at + timedelta(hours=3), translit=True
    )
    [result] = gateway.send([message])
    sent = form(gateway.http.last_exchange)
    assert sent["time"] == send_at.astimezone(MSK).strftime("%d.%m.%y %H:%M")
    assert (sent["tz"], sent["valid"], sent["translit"]) == ("0", "03:00", "1")
    assert only_message(simulator).send_at == send_at.timestamp()
    [report] = gateway.fetch_statuses([result.gateway_message_id])
    assert report.status == DeliveryStatus.QUEUED
    assert gateway.cancel_scheduled([result.gateway_message_id]) == [
        result.gateway_message_id
    ]
    assert only_message(simulator).state == "cancelled"
    assert gateway.fetch_statuses([result.gateway_message_id]) == []  # deleted


def test_scheduled_time_is_rounded_up_to_the_minute(gateway, simulator):
    # `time` takes minutes: a time cut to the minute would leave up to 59 s early.
    send_at = datetime(2031, 5, 6, 7, 8, 30, tzinfo=UTC)
    gateway.send([sms(send_at=send_at)])
    assert form(gateway.http.last_exchange)["time"] == "06.05.31 10:09"
    assert only_message(simulator).send_at == send_at.timestamp() + 30


@pytest.mark.parametrize(
    ("field", "value", "taken"),
    [
        ("valid", "03:00", True),
        ("valid", "24:00", True),
        ("valid", "24", True),
        ("valid", "1", True),
        ("valid", "180", False),  # minutes, not the documented hours
        ("valid", "25:00", False),
        ("valid", "00:00", False),
        ("valid", "3:75", False),
        ("id", "722032815530", True),  # digits: the documented string form
        ("id", "msg-42.a_b", True),
        ("id", "заказ #1", False),
        ("id", "x" * 41, False),
    ],
)
def test_simulator_refuses_validity_and_id_outside_the_documented_forms(
    simulator, account, field, value, taken
):
    # REFERENCE §2.2: `valid` is hh:mm or hours 1..24; `id` a number or at most 40
    # of [A-Za-z0-9._-]. Anything else is error 1 (error in parameters), so a wrong
    # value we send fails here instead of passing unnoticed.
    params = {"login": LOGIN, "psw": PASSWORD, "fmt": "3", "charset": "utf-8",
              "phones": "+79120000001", "mes": f"test {field} {value}", field: value}  # fmt: skip
    answer = httpx.post(f"{simulator.url}/smsc/sys/send.php", data=params).json()
    assert ("error_code" not in answer) is taken, answer
    if not taken:
        assert str(answer["error_code"]) == "1"


def test_cancel_of_a_message_already_sent_is_not_reported_withdrawn(gateway):
    """Error 5 to a message SMSC still has (sent, or being sent): not withdrawn,
    and said to be refused (the user is told why), not reported cancelled."""
    [result] = gateway.send([sms()])
    with pytest.raises(WithdrawalRefused) as refused:
        gateway.cancel_scheduled([result.gateway_message_id, "bogus"])
    assert refused.value.refused == [result.gateway_message_id]


def test_those_withdrawn_beside_one_refused_are_reported_withdrawn(gateway):
    [sent] = gateway.send([sms()])
    later = datetime.now(UTC) + timedelta(hours=2)
    [held] = gateway.send([sms("+79120000002", ref="r-2", send_at=later)])

    with pytest.raises(PartlyCancelled) as stopped:
        gateway.cancel_scheduled([held.gateway_message_id, sent.gateway_message_id])

    assert stopped.value.cancelled == [held.gateway_message_id]
    assert isinstance(stopped.value.cause, WithdrawalRefused)
    assert stopped.value.cause.refused == [sent.gateway_message_id]


def test_a_deletion_tried_again_after_its_answer_was_lost_is_reported(
    gateway, simulator
):
    # The first deletion went through, its answer lost: the retry gets error 5, as
    # one sent does, and status.php no longer finds the message: it was deleted.
    [result] = gateway.send([sms(send_at=datetime.now(UTC) + timedelta(hours=2))])
    assert gateway.cancel_scheduled([result.gateway_message_id]) == [
        result.gateway_message_id
    ]

    again = gateway.cancel_scheduled([result.gateway_message_id])

    assert again == [result.gateway_message_id]
    assert only_message(simulator).state == "cancelled"


def test_error_3_raises_insufficient_balance(gateway, account):
    account.balance = Decimal("1.00")
    with pytest.raises(InsufficientBalance, match="SMSC error 3"):
        gateway.send([sms()])


def test_error_6_unknown_sender_raises_sender_not_allowed(gateway):
    message = OutgoingSms(reference="s", phone="+79120000001", text="x", sender="NOPE")
    with pytest.raises(SenderNotAllowed) as caught:
        gateway.send([message])
    assert caught.value.vendor_code == "6"
    # "Message is denied" names no cause: its text or its sender (REFERENCE §2.2).
    assert isinstance(caught.value, MessageDenied)


def test_error_9_after_an_accepted_send_returns_that_send(gateway, simulator):
    first = gateway.send([sms(ref="dup-1")])
    again = gateway.send([sms(ref="dup-1")])  # identical request within a minute
    assert again[0].gateway_message_id == first[0].gateway_message_id
    assert again[0].status in (DeliveryStatus.QUEUED, DeliveryStatus.SENT)
    assert len(simulator.state.submissions) == 1


def test_error_9_without_a_submit_is_rate_limited_with_unknown_outcome(
    gateway, simulator, account
):
    account.balance = Decimal("0")
    with pytest.raises(InsufficientBalance):
        gateway.send([sms(ref="poor-1")])
    account.balance = Decimal("100")
    with pytest.raises(RateLimited) as caught:
        gateway.send([sms(ref="poor-1")])  # refused as identical; nothing was sent
    assert caught.value.vendor_code == "9"
    assert caught.value.outcome_unknown
    assert caught.value.retry_after == 60
    assert simulator.state.submissions == []


def test_unreadable_send_answer_is_reconciled_not_repeated(gateway, simulator):
    from providers.simulator import Fault

    simulator.state.add_fault("smsc", Fault(mode="malformed", path="send.php"))
    [result] = gateway.send([sms(ref="trunc-1")])
    assert result.status == DeliveryStatus.QUEUED
    assert result.gateway_message_id == "trunc-1:79120000001"
    assert len(simulator.state.submissions) == 1


def test_refusal_mid_batch_keeps_the_sent_and_sends_no_more(
    gateway, account, simulator
):
    account.balance = Decimal("5.00")  # enough for one message of 3.50
    batch = [sms(ref="mid-1"), sms(phone="+79120000002", ref="mid-2"),
             sms(phone="+79120000003", ref="mid-3")]  # fmt: skip
    with pytest.raises(PartlySent) as caught:
        gateway.send(batch)
    [sent] = caught.value.results
    assert (sent.reference, sent.status) == ("mid-1", DeliveryStatus.QUEUED)
    assert sent.gateway_message_id == "mid-1:79120000001"
    assert isinstance(caught.value.cause, InsufficientBalance)
    assert caught.value.vendor_code == "3"
    assert [s.phone for s in simulator.state.submissions] == ["79120000001"]
    # The reference still finds exactly what SMSC holds.
    phones = {m.reference: m.phone for m in batch}
    found = gateway.resolve_references(["mid-1", "mid-2"], phones=phones)
    assert list(found) == ["mid-1"]


def test_resolve_references_asks_status_by_reference_and_phone(gateway):
    gateway.send([sms(ref="res-1"), sms(phone="+79120000002", ref="res-2")])
    phones = {"res-1": "+79120000001", "res-2": "+79120000002", "lost": "+79120000003"}
    found = gateway.resolve_references(["res-1", "res-2", "lost"], phones=phones)
    assert sorted(found) == ["res-1", "res-2"]
    assert found["res-2"].gateway_message_id == "res-2:79120000002"
    assert found["res-1"].status in (DeliveryStatus.QUEUED, DeliveryStatus.SENT)
    sent = form(gateway.http.last_exchange)
    assert sent["id"] == "res-1,res-2,lost"
    with pytest.raises(GatewayRefused):
        gateway.resolve_references(["res-1"])


def test_fetch_statuses_batch_omits_unknown_ids(gateway, simulator):
    results = gateway.send([sms(ref="f-1"), sms(phone="+79120009991", ref="f-2")])
    ids = [r.gateway_message_id for r in results]
    simulator.state.pass_time(60)  # settled, and the minute's mass request unspent
    reports = gateway.fetch_statuses([*ids, "nope:79120000005", "bad"])
    by_id = {r.gateway_message_id: r for r in reports}
    assert set(by_id) == set(ids)
    assert by_id[ids[1]].reason == FailureReason.EXPIRED
    assert by_id[ids[0]].occurred_at.tzinfo is not None
    assert by_id[ids[0]].cost == Decimal("3.50")


def test_one_message_is_asked_in_the_single_form_not_as_a_mass_request(gateway):
    # SMSC takes one mass status request a minute (the poll's); a list, or one id
    # with a trailing comma, is one. A lone message is asked in the single form.
    [result] = gateway.send([sms(ref="one-1")])
    [report] = gateway.fetch_statuses([result.gateway_message_id])
    sent = form(gateway.http.last_exchange)
    assert (sent["id"], sent["phone"]) == ("one-1", "79120000001")
    assert report.gateway_message_id == result.gateway_message_id
    assert report.status in (DeliveryStatus.QUEUED, DeliveryStatus.SENT)
    assert gateway.fetch_statuses(["nope:79120000005"]) == []
    assert form(gateway.http.last_exchange)["id"] == "nope"


def test_balance_reads_currency(gateway):
    balance = gateway.balance()
    assert (balance.amount, balance.currency) == (Decimal("500.00"), "RUB")


def test_api_key_instead_of_login(simulator, account):
    gateway = TestSmscContract().make_gateway(
        simulator, login="", password="", token=account.token
    )
    assert gateway.balance().amount == Decimal("500.00")
    assert "apikey" in form(gateway.http.last_exchange)
    assert account.token not in gateway.http.last_exchange.request_body


def test_credentials_are_redacted_from_send_exchange(gateway):
    gateway.send([sms()])
    exchange = gateway.http.last_exchange
    text = f"{exchange.url} {exchange.request_body} {exchange.response_body}"
    assert PASSWORD not in text
    assert LOGIN not in text
    assert "***" in exchange.request_body


def test_incoming_messages_and_changing_windows(gateway, simulator):
    simulator.state.add_incoming(
        "smsc", LOGIN, phone="79612242243", text="Да, подтверждаю", to="79001234567"
    )
    since = datetime.now(UTC) - timedelta(minutes=10)
    [message] = gateway.incoming(since=since)
    assert (message.phone, message.text, message.to) == (
        "+79612242243",
        "Да, подтверждаю",
        "79001234567",
    )
    assert message.received_at.tzinfo is not None
    assert gateway.incoming(since=datetime.now(UTC) + timedelta(minutes=1)) == []
    # Fresh gateway objects repeat the same window: SMSC refuses the 4th identical
    # request (error 9) and the gateway widens the window instead of failing.
    for _ in range(4):
        fresh = TestSmscContract().make_gateway(simulator)
        assert len(fresh.incoming(since=since)) == 1


def test_incoming_reads_every_page_of_a_capped_list(gateway, simulator):
    """get_answers answers a capped list (seed 001: "the first 10 ..."): one request
    read only its first page, and the replies past it (a STOP among them) were lost."""
    for n in range(450):
        simulator.state.add_incoming("smsc", LOGIN, phone=f"7961{n:07d}", text=f"{n}")
    since = datetime.now(UTC) - timedelta(minutes=10)
    simulator.state.request_log.clear()

    messages = gateway.incoming(since=since)

    assert len(messages) == 450
    assert len({m.gateway_message_id for m in messages}) == 450
    reads = [p for _g, p, _t in simulator.state.request_log if "get.php" in p]
    assert len(reads) == 3  # pages of 200, 200 and 50: a short page is the end


def test_incoming_after_a_cursor_goes_on_where_the_last_batch_stopped(
    gateway, simulator, monkeypatch
):
    """One fetch reads at most INCOMING_PAGES_MAX pages; its cursor (the last id read)
    is where the next one goes on, so a backlog of any size is read once, in full."""
    monkeypatch.setattr("providers.gateways.smsc.INCOMING_PAGES_MAX", 2)
    for n in range(450):
        simulator.state.add_incoming("smsc", LOGIN, phone=f"7961{n:07d}", text=f"{n}")
    since = datetime.now(UTC) - timedelta(minutes=10)

    first = gateway.incoming_after(cursor="", since=since)
    second = gateway.incoming_after(cursor=first.cursor, since=since)
    third = gateway.incoming_after(cursor=second.cursor, since=since)

    assert [len(b.messages) for b in (first, second, third)] == [400, 50, 0]
    ids = [m.gateway_message_id for b in (first, second) for m in b.messages]
    assert len(set(ids)) == 450
    assert first.cursor == first.messages[-1].gateway_message_id
    assert third.cursor == second.cursor == ids[-1]
    assert form(gateway.http.last_exchange)["after_id"] == second.cursor


def test_sender_names_list_and_add(gateway, account):
    assert [s.name for s in gateway.sender_names()] == ["SMSPORTAL"]
    added = gateway.sender_name_add("NEWNAME", comment="shop")
    assert (added.state, added.usable) == ("moderation", False)
    assert account.senders["NEWNAME"] == "moderation"


def test_black_list_add_refuses_then_remove(gateway, account):
    gateway.stop_list_add(["+79120000077"])
    assert "79120000077" in account.stop_list
    [result] = gateway.send([sms(phone="+79120000077", ref="bl-1")])
    assert result.reason == FailureReason.STOP_LIST
    assert result.vendor_code == "8/250"
    gateway.stop_list_remove(["+79120000077"])
    assert account.stop_list == set()
    with pytest.raises(NotSupported):
        gateway.stop_list()


def test_invalid_number_is_rejected_with_code(gateway):
    [result] = gateway.send([sms(phone="+79120009999", ref="inv-1")])
    assert result.status == DeliveryStatus.REJECTED
    assert result.reason == FailureReason.INVALID_NUMBER
    assert result.vendor_code == "7/249"
    assert "invalid number" in result.vendor_text


def test_refuse_fault_is_a_per_recipient_refusal(gateway, simulator):
    from providers.simulator import Fault

    simulator.state.add_fault("smsc", Fault(mode="refuse"))
    [result] = gateway.send([sms(ref="rf-1")])
    assert result.status == DeliveryStatus.REJECTED
    assert result.vendor_code == "8/255"


def test_phone_book_push_and_list(gateway, account):
    entries = [PhoneBookEntry(phone="+79120000001", name="Иван")]
    assert gateway.phone_book_push(entries, group="5") == 1
    [entry] = gateway.phone_book_list(group="5")
    assert (entry.phone, entry.name, entry.group) == ("+79120000001", "Иван", "5")


def test_estimate_cost_sends_nothing(gateway, simulator):
    batch = [sms(phone=f"+7912000000{i}", ref=f"c-{i}") for i in range(3)]
    estimate = gateway.estimate_cost(batch)
    assert (estimate.total, estimate.segments, estimate.messages) == (
        Decimal("10.50"),
        3,
        3,
    )
    assert form(gateway.http.last_exchange)["cost"] == "1"
    assert simulator.state.submissions == []


def test_hlr_lookup(gateway):
    gateway.sleep = lambda seconds: time.sleep(0.3)
    info = gateway.lookup_number("+79120000001")
    assert info.reachable is True
    assert (info.operator, info.country, info.ported) == ("МТС", "Россия", False)


def test_statistics_and_scheduled_list_are_not_offered(gateway):
    with pytest.raises(NotSupported):
        gateway.scheduled_list()
    with pytest.raises(NotSupported):
        gateway.statistics(start=datetime.now(UTC).date(), end=datetime.now(UTC).date())


# Callbacks --------------------------------------------------------------------------


def status_callback(simulator, gateway, account) -> dict[str, str]:
    [result] = gateway.send([sms(ref="cb-1")])
    message = simulator.state.messages["smsc"][result.gateway_message_id]
    _url, body, content_type = sim.build_status_callback(message, account)
    assert content_type == "application/x-www-form-urlencoded"
    return dict(parse_qsl(body.decode()))


def inbound(fields, *, method="POST") -> InboundRequest:
    if method == "GET":
        return InboundRequest(method="GET", query=fields, form={}, body=b"")
    return InboundRequest(
        method="POST",
        query={},
        form=fields,
        body=b"",
        content_type="application/x-www-form-urlencoded",
    )


def test_status_callback_checksum_and_fields(gateway, simulator, account):
    fields = status_callback(simulator, gateway, account)
    expected = f"{fields['id']}:{fields['phone']}:{fields['status']}:{SECRET}"
    assert fields["md5"] == hashlib.md5(expected.encode()).hexdigest()  # noqa: S324
    gateway.verify_callback(inbound(fields))
    # The query string works too.
    gateway.verify_callback(inbound(fields, method="GET"))
    [report] = gateway.parse_status_callback(inbound(fields, method="GET"))
    assert report.gateway_message_id == "cb-1:79120000001"
    assert report.status == DeliveryStatus.QUEUED
    assert report.occurred_at.tzinfo is not None
    ack = gateway.status_callback_ack(inbound(fields), [report])
    assert (ack.status, ack.body) == (200, b"OK")


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"status": "1"}, "does not match md5(id:phone:status:<secret>)"),
        ({"md5": "0" * 32}, "'00000000000000000000000000000000' does not match"),
        ({"md5": ""}, "no md5 in the callback"),
    ],
)
def test_a_callback_not_signed_with_the_secret_is_refused_saying_what_differs(
    gateway, simulator, account, change, said
):
    """A forged delivery (its status changed, or a made-up md5) or one without any
    signature: refused, naming the fields signed and never the secret."""
    fields = status_callback(simulator, gateway, account)
    with pytest.raises(CallbackForged) as refused:
        gateway.verify_callback(inbound({**fields, **change}))
    assert said in str(refused.value)
    assert f"phone='{fields['phone']}'" in str(refused.value)
    assert SECRET not in str(refused.value)


def test_the_password_is_not_the_signing_secret(gateway, simulator, account):
    fields = status_callback(simulator, gateway, account)
    with_password = f"{fields['id']}:{fields['phone']}:{fields['status']}:{PASSWORD}"
    md5 = hashlib.md5(with_password.encode()).hexdigest()  # noqa: S324
    with pytest.raises(CallbackForged):
        gateway.verify_callback(inbound({**fields, "md5": md5}))


def test_without_a_secret_a_callback_is_taken_as_it_comes(simulator, account):
    """No secret set: nothing to check a signature against, so an unsigned report is
    taken, a final status as any other (it waited for status.php before)."""
    unsigned = TestSmscContract().make_gateway(simulator, callback_secret="")
    fields = status_callback(simulator, unsigned, account)
    fields = {k: v for k, v in fields.items() if k != "md5"}
    for final, status in (("1", DeliveryStatus.DELIVERED),
                          ("20", DeliveryStatus.UNDELIVERED)):  # fmt: skip
        request = inbound({**fields, "status": final})
        unsigned.verify_callback(request)
        [report] = unsigned.parse_status_callback(request)
        assert report.status == status
    with pytest.raises(CallbackRejected):
        unsigned.parse_status_callback(inbound({"status": "1"}))


def posted(body: bytes) -> InboundRequest:
    """A form as the gateway posts it: the bytes, as Django hands them on."""
    return InboundRequest(
        method="POST",
        query={},
        form={},
        body=body,
        content_type="application/x-www-form-urlencoded",
    )


def queried(body: bytes) -> InboundRequest:
    """The same fields as a GET query string, still percent-encoded."""
    return InboundRequest(
        method="GET", query={}, form={}, body=b"", query_string=body.decode("ascii")
    )


@pytest.mark.parametrize("charset", ["cp1251", "utf-8"])
@pytest.mark.parametrize("as_request", [posted, queried])
def test_incoming_callback_in_either_charset(
    gateway, simulator, account, charset, as_request
):
    account.charset = charset
    account.incoming_callback_url = f"{simulator.url}/_control/capture"
    item = simulator.state.add_incoming(
        "smsc", LOGIN, phone="79612242243", text="Стоп", to="79001234567"
    )
    _url, body, _type = sim.build_incoming_callback(item, account)
    assert ("%D1%F2%EE%EF" in body.decode()) == (charset == "cp1251")
    request = as_request(body)
    gateway.verify_callback(request)
    assert gateway.is_incoming_callback(request)
    [message] = gateway.parse_incoming_callback(request)
    assert (message.phone, message.text, message.gateway_message_id) == (
        "+79612242243",
        "Стоп",
        item.id,
    )
    assert gateway.incoming_callback_ack(request, [message]).body == b"OK"
    other = "Другое".encode(charset).hex("%").upper()
    tampered = body.replace(b"%D1%F2%EE%EF" if charset == "cp1251" else
                            b"%D0%A1%D1%82%D0%BE%D0%BF", b"%" + other.encode())  # fmt: skip
    assert tampered != body
    with pytest.raises(CallbackForged, match="mes:to:<secret>"):
        gateway.verify_callback(as_request(tampered))


def test_incoming_callback_with_unescaped_windows_1251_bytes(gateway, account):
    # Some senders put 8-bit bytes in a form body as they are: read like their %XX.
    signed = f"7:79612242243:СТОП:79001234567:{SECRET}".encode("cp1251")
    md5 = hashlib.md5(signed).hexdigest()  # noqa: S324
    body = "id=7&phone=79612242243&mes=СТОП&to=79001234567&md5=".encode("cp1251")
    request = posted(body + md5.encode())
    gateway.verify_callback(request)
    [message] = gateway.parse_incoming_callback(request)
    assert message.text == "СТОП"


# Single odd responses (respx) --------------------------------------------------------

ODD = "https://smsc.test"


def odd_gateway() -> SmscGateway:
    return SmscGateway(
        AccountConfig(kind="smsc", base_url=ODD, login="u", password="secret")
    )


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (1, GatewayRefused),
        (2, AuthenticationFailed),
        (3, InsufficientBalance),
        (4, RateLimited),
        (5, GatewayRefused),
        (6, SenderNotAllowed),
        (9, RateLimited),
    ],
)
def test_error_map(code, error):
    with respx.mock(base_url=ODD, assert_all_called=True) as mock:
        mock.post("/sys/balance.php").respond(
            200, json={"error": "описание", "error_code": code}
        )
        with pytest.raises(error) as caught:
            odd_gateway().balance()
    assert caught.value.vendor_code == str(code)


def test_truncated_balance_body_is_a_protocol_error():
    with respx.mock(base_url=ODD, assert_all_called=True) as mock:
        mock.post("/sys/balance.php").respond(200, content=b'{"balance": "10')
        with pytest.raises(GatewayProtocolError):
            odd_gateway().balance()


def test_html_502_is_unavailable():
    with respx.mock(base_url=ODD, assert_all_called=True) as mock:
        mock.post("/sys/status.php").respond(
            502, content=b"<html><body>502 Bad Gateway</body></html>"
        )
        with pytest.raises(GatewayUnavailable):
            odd_gateway().fetch_statuses(["a:79120000001"])


def test_malformed_json_on_send_not_found_stays_unknown():
    with respx.mock(base_url=ODD, assert_all_called=True) as mock:
        mock.post("/sys/send.php").respond(200, content=b'{"id": 1, "cnt"')
        mock.post("/sys/status.php").respond(200, json=[{"status": -3, "err": 0}])
        with pytest.raises(GatewayUnavailable) as caught:
            odd_gateway().send([sms()])
    assert caught.value.outcome_unknown


def test_windows_1251_error_body_is_decoded():
    with respx.mock(base_url=ODD, assert_all_called=True) as mock:
        mock.post("/sys/balance.php").respond(
            200,
            content=vendor_sample("smsc", "error_fmt0_cp1251.txt"),
            headers={"Content-Type": "text/plain"},
        )
        with pytest.raises(AuthenticationFailed, match="неверный логин"):
            odd_gateway().balance()


def test_httpx_is_only_reached_through_the_seam():
    # The gateway module never builds its own client.
    import providers.gateways.smsc as module

    assert "httpx" not in vars(module)
    assert isinstance(odd_gateway().http.client, httpx.Client)


def test_a_cancel_that_fails_midway_keeps_what_it_withdrew():
    # One request per message: the first is withdrawn, then the account is blocked.
    # A plain error would have lost the first, left "queued" here though gone
    # there; the failure is still said, for the rest.
    with respx.mock(base_url=ODD, assert_all_called=True) as mock:
        mock.post("/sys/status.php").side_effect = [
            httpx.Response(200, json={"result": "OK"}),
            httpx.Response(200, json={"error": "IP blocked", "error_code": 4}),
        ]
        with pytest.raises(PartlyCancelled) as stopped:
            odd_gateway().cancel_scheduled(
                ["1:79120000001", "2:79120000002", "3:79120000003"]
            )
    assert stopped.value.cancelled == ["1:79120000001"]
    assert isinstance(stopped.value.cause, RateLimited)  # error 4, IP blocked


def test_a_cancel_that_fails_at_once_raises():
    with respx.mock(base_url=ODD, assert_all_called=True) as mock:
        mock.post("/sys/status.php").respond(
            200, json={"error": "invalid login", "error_code": 2}
        )
        with pytest.raises(AuthenticationFailed):
            odd_gateway().cancel_scheduled(["1:79120000001"])


def test_a_callback_is_decoded_once_however_often_it_is_read(
    gateway, account, monkeypatch
):
    from providers.gateways import smsc_parse

    decoded = []
    decode = smsc_parse._decode_callback
    monkeypatch.setattr(
        smsc_parse, "_decode_callback", lambda r: decoded.append(r) or decode(r)
    )
    signed = f"7:79612242243:СТОП:79001234567:{SECRET}".encode("cp1251")
    md5 = hashlib.md5(signed).hexdigest()  # noqa: S324
    body = "id=7&phone=79612242243&mes=СТОП&to=79001234567&md5=".encode("cp1251")
    request, other = posted(body + md5.encode()), posted(body + md5.encode())

    gateway.verify_callback(request)
    assert gateway.is_incoming_callback(request)
    [message] = gateway.parse_incoming_callback(request)
    gateway.verify_callback(other)

    assert message.text == "СТОП"
    assert decoded == [request, other]


def test_a_status_report_with_a_time_written_otherwise_keeps_its_status():
    report = p.status_report(
        {"status": "1", "err": "0", "time": "2026-12-06 03:00:00"}, "4:79031112233"
    )

    assert (report.status, report.occurred_at) == (DeliveryStatus.DELIVERED, None)

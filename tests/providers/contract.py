"""Behaviour every gateway owes, checked against the simulator over real HTTP.

Each gateway's test module subclasses GatewayContract (not collected by itself):

    class TestSmscContract(GatewayContract):
        kind = "smsc"

and may override `account_kwargs` (dialect, token instead of password...) or
`callback_request` when the vendor's callback needs special shaping.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from providers.base import (
    AccountConfig,
    DeliveryStatus,
    FailureReason,
    InboundRequest,
    OutgoingSms,
    SmsGateway,
)
from providers.exceptions import AuthenticationFailed, GatewayUnavailable
from providers.http import GatewayHttp, build_client
from providers.registry import gateway_class
from providers.simulator import Fault, SimAccount

LOGIN, PASSWORD, TOKEN = "contract-login", "contract-pa$$word", "contract-token-1"
CYRILLIC = "Привет, мир! Ваш код 1234 — «ёлка»"


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


class GatewayContract:
    kind: str = ""
    dialect: str = ""
    sender: str = "SMSPORTAL"

    # hooks ---------------------------------------------------------------------

    def account_kwargs(self) -> dict:
        """Extra AccountConfig fields (a subclass may use a token or a dialect)."""
        return {"login": LOGIN, "password": PASSWORD}

    def register_account(self, simulator, **kwargs) -> SimAccount:
        account = SimAccount(
            gateway=self.kind,
            login=LOGIN,
            password=PASSWORD,
            token=TOKEN,
            balance=Decimal("500.00"),
            status_callback_url=f"{simulator.url}/_control/capture",
            **kwargs,
        )
        return simulator.state.add_account(account)

    def make_gateway(self, simulator, *, client=None, **overrides) -> SmsGateway:
        fields = {
            "kind": self.kind,
            "base_url": f"{simulator.url}/{self.kind}",
            "dialect": self.dialect,
            "default_sender": self.sender,
            "callback_url": f"{simulator.url}/_control/capture",
            **self.account_kwargs(),
            **overrides,
        }
        config = AccountConfig(**fields)
        http = GatewayHttp(config, client=client) if client else None
        return gateway_class(self.kind)(config, http=http)

    def outgoing(self, phone: str, reference: str, text: str = "Hello") -> OutgoingSms:
        return OutgoingSms(
            reference=reference, phone=phone, text=text, sender=self.sender
        )

    def callback_request(self, captured) -> InboundRequest:
        """An InboundRequest built from a request the simulator posted to us."""
        form = {}
        if "x-www-form-urlencoded" in captured.content_type:
            form = captured.form()
        return InboundRequest(
            method=captured.method,
            query=captured.query(),
            form=form,
            body=captured.body,
            content_type=captured.content_type.split(";")[0],
            headers=captured.headers,
        )

    # fixtures ------------------------------------------------------------------

    @pytest.fixture
    def gateway(self, simulator):
        self.register_account(simulator)
        return self.make_gateway(simulator)

    # the contract --------------------------------------------------------------

    def test_registry_entry_matches(self):
        cls = gateway_class(self.kind)
        assert cls.kind == self.kind
        assert cls.capabilities

    def test_send_returns_one_result_per_message_in_order(self, gateway, simulator):
        batch = [self.outgoing(f"+7912000{i:04d}", f"ref-{i}") for i in range(5)]
        results = gateway.send(batch)
        assert [r.reference for r in results] == [m.reference for m in batch]
        assert all(r.status == DeliveryStatus.QUEUED for r in results)
        assert all(r.gateway_message_id for r in results)
        assert len({r.gateway_message_id for r in results}) == 5
        phones = [s.phone for s in simulator.state.submissions]
        assert sorted(phones) == sorted(m.phone.lstrip("+") for m in batch)

    def test_a_prepared_send_leaves_only_when_sent(self, gateway, simulator):
        # The pump prepares the next batch while the last is out: preparing sends
        # nothing, and the prepared send gives what send would.
        batch = [self.outgoing(f"+7912000{i:04d}", f"prep-{i}") for i in range(3)]
        prepared = gateway.prepare_send(batch)
        assert simulator.state.submissions == []
        results = gateway.send_prepared(prepared)
        assert [r.reference for r in results] == [m.reference for m in batch]
        assert all(r.status == DeliveryStatus.QUEUED for r in results)
        phones = [s.phone for s in simulator.state.submissions]
        assert sorted(phones) == sorted(m.phone.lstrip("+") for m in batch)

    def test_per_recipient_refusal_is_data_with_a_reason(self, gateway, simulator):
        batch = [
            self.outgoing("+79120000001", "ok-1"),
            self.outgoing("+79120009999", "bad-1"),  # the simulator refuses ...9999
            self.outgoing("+79120000002", "ok-2"),
        ]
        results = gateway.send(batch)
        assert [r.reference for r in results] == ["ok-1", "bad-1", "ok-2"]
        refused = results[1]
        assert refused.status == DeliveryStatus.REJECTED
        assert refused.reason is not None
        assert refused.vendor_text or refused.vendor_code
        assert results[0].status == results[2].status == DeliveryStatus.QUEUED

    def test_wrong_credentials_raise_authentication_failed(self, simulator):
        self.register_account(simulator)
        wrong = {
            k: (v + "-wrong" if k in ("password", "token") else v)
            for k, v in self.account_kwargs().items()
        }
        gateway = self.make_gateway(simulator, **wrong)
        with pytest.raises(AuthenticationFailed):
            gateway.balance()
        with pytest.raises(AuthenticationFailed):
            gateway.send([self.outgoing("+79120000001", "r1")])

    def test_server_error_raises_gateway_unavailable(self, gateway, simulator):
        simulator.state.add_fault(self.kind, Fault(mode="http500"))
        with pytest.raises(GatewayUnavailable):
            gateway.send([self.outgoing("+79120000001", "r1")])
        assert simulator.state.submissions == []

    def test_timeout_after_sending_is_unavailable_with_unknown_outcome(self, simulator):
        self.register_account(simulator)
        client = build_client(timeout=0.5)
        gateway = self.make_gateway(simulator, client=client)
        simulator.state.add_fault(self.kind, Fault(mode="timeout_after", delay=1.5))
        with pytest.raises(GatewayUnavailable) as caught:
            gateway.send([self.outgoing("+79120000001", "r1")])
        assert caught.value.outcome_unknown
        client.close()

    def test_connection_refused_is_unavailable_and_known_not_sent(self, simulator):
        gateway = self.make_gateway(simulator, base_url="http://127.0.0.1:9/x")
        with pytest.raises(GatewayUnavailable) as caught:
            gateway.send([self.outgoing("+79120000001", "r1")])
        assert not caught.value.outcome_unknown

    def test_unknown_vendor_status_maps_to_unknown(self, gateway):
        assert gateway.map_status("no-such-status-xyz") == DeliveryStatus.UNKNOWN

    def test_balance_is_read(self, gateway):
        balance = gateway.balance()
        assert balance.amount == Decimal("500.00")

    def test_cyrillic_text_reaches_the_gateway_intact(self, gateway, simulator):
        gateway.send([self.outgoing("+79120000001", "cyr-1", text=CYRILLIC)])
        assert [s.text for s in simulator.state.submissions] == [CYRILLIC]

    def test_polled_status_progresses_to_delivered(self, gateway):
        [result] = gateway.send([self.outgoing("+79120000001", "poll-1")])
        reports = wait_for(
            lambda: [
                r
                for r in gateway.fetch_statuses([result.gateway_message_id])
                if r.status == DeliveryStatus.DELIVERED
            ]
        )
        assert reports
        assert reports[0].gateway_message_id == result.gateway_message_id

    def test_undelivered_status_carries_a_reason(self, gateway):
        [result] = gateway.send([self.outgoing("+79120009990", "undel-1")])
        reports = wait_for(
            lambda: [
                r
                for r in gateway.fetch_statuses([result.gateway_message_id])
                if r.status == DeliveryStatus.UNDELIVERED
            ]
        )
        assert reports
        assert reports[0].reason is not None

    def test_credentials_never_appear_in_the_kept_exchange(self, gateway):
        gateway.balance()
        exchange = gateway.http.last_exchange
        text = f"{exchange.url} {exchange.request_body} {exchange.response_body}"
        for secret in (PASSWORD, TOKEN):
            assert secret not in text

    def test_status_callback_parses_and_is_acknowledged(self, gateway, simulator):
        from providers.base import Capability

        if Capability.STATUS_CALLBACK not in gateway.capabilities:
            pytest.skip("gateway does not push statuses")
        [result] = gateway.send([self.outgoing("+79120000001", "cb-1")])

        def ours() -> list:
            """This message's callbacks: an earlier test's may land late."""
            found = []
            for captured in list(simulator.state.captured):
                request = self.callback_request(captured)
                reports = gateway.parse_status_callback(request)
                if result.gateway_message_id in {r.gateway_message_id for r in reports}:
                    found.append(request)
            return found

        requests = wait_for(ours, timeout=5)
        assert requests, "the simulator pushed no callback for the message"
        request = requests[0]
        gateway.verify_callback(request)
        reports = gateway.parse_status_callback(request)
        assert result.gateway_message_id in {r.gateway_message_id for r in reports}
        ack = gateway.status_callback_ack(request, reports)
        self.assert_callback_ack(ack, reports)

    def assert_callback_ack(self, ack, reports) -> None:
        """Each gateway checks its vendor's exact acknowledgement."""
        raise NotImplementedError

    def test_stop_listed_refusal_reason(self, gateway, simulator):
        account = simulator.state.accounts[(self.kind, LOGIN)]
        account.stop_list.add("79120000077")
        [result] = gateway.send([self.outgoing("+79120000077", "stop-1")])
        assert result.status == DeliveryStatus.REJECTED
        assert result.reason == FailureReason.STOP_LIST

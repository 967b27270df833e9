"""The simulator's transport: routing, control API and fault injection."""

import httpx
import pytest

from providers.simulator import Fault


def test_unknown_prefix_is_404(simulator):
    assert httpx.get(f"{simulator.url}/nowhere/x").status_code == 404


def test_control_health_answers(simulator):
    assert httpx.get(f"{simulator.url}/_control/health").json() == {"ok": True}


def test_http500_fault_answers_an_html_page_once(simulator):
    simulator.state.add_fault("smsc", Fault(mode="http500", count=1))
    first = httpx.get(f"{simulator.url}/smsc/sys/balance.php")
    second = httpx.get(f"{simulator.url}/smsc/sys/balance.php")
    assert first.status_code == 500
    assert b"Internal Server Error" in first.content
    assert second.status_code != 500


def test_drop_fault_closes_the_connection_without_an_answer(simulator):
    simulator.state.add_fault("websms", Fault(mode="drop_before"))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{simulator.url}/websms/http_credit.asp")


def test_timeout_fault_hangs_past_the_client_timeout(simulator):
    simulator.state.add_fault("webcom", Fault(mode="timeout_before", delay=1.0))
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{simulator.url}/webcom/xml/balance.php", timeout=0.3)


def test_fault_can_target_one_path(simulator):
    simulator.state.add_fault("smsc", Fault(mode="http503", path="send.php"))
    assert httpx.get(f"{simulator.url}/smsc/sys/balance.php").status_code != 503
    assert httpx.get(f"{simulator.url}/smsc/sys/send.php").status_code == 503


def test_control_api_registers_accounts_and_faults(simulator):
    httpx.post(
        f"{simulator.url}/_control/accounts",
        json={"gateway": "smsc", "login": "u1", "password": "p1", "balance": "12.5"},
    )
    account = simulator.state.authenticate("smsc", login="u1", password="p1")
    assert account is not None
    assert str(account.balance) == "12.5"
    assert simulator.state.authenticate("smsc", login="u1", password="bad") is None
    httpx.post(
        f"{simulator.url}/_control/fault", json={"gateway": "smsc", "mode": "http502"}
    )
    assert httpx.get(f"{simulator.url}/smsc/sys/balance.php").status_code == 502

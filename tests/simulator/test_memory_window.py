"""A long-running simulator forgets final messages out of its memory window.

`python -m providers.simulator` (make run) kept every message it ever took, the index
by client id and every submission: a 900,000-message campaign made it 1.4 GB. With a
window (`forget_after`), a message final for longer is forgotten and answered as an id
the gateway does not hold; recent and pending ones stay. Tests' simulators keep all.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import httpx
import pytest

from providers.simulator import SimAccount, Simulator, SimulatorState
from providers.simulator.state import (
    ACCEPTED,
    DELIVERED,
    SUBMISSIONS_KEPT,
    SimMessage,
)

WINDOW = 600.0  # seconds
LOGIN, PASSWORD = "mem", "mem-pass"


def taken(state: SimulatorState, first: int, count: int, **fields) -> list[SimMessage]:
    return [
        state.submit(
            SimMessage(
                id=str(first + n), gateway="webcom", login=LOGIN,
                phone=f"7916{first + n:07d}", text="Hi", sender="S",
                reference=f"ref-{first + n}", **fields,
            )
        )
        for n in range(count)
    ]  # fmt: skip


def test_old_final_messages_are_forgotten_recent_and_pending_kept():
    now = [1000.0]
    state = SimulatorState(
        sent_delay=1, delivery_delay=1, clock=lambda: now[0], forget_after=WINDOW
    )
    old = taken(state, 1, 50)
    scheduled = taken(state, 100, 5, send_at=now[0] + 10 * WINDOW)
    now[0] += 5
    state.advance()  # the old ones delivered
    now[0] += WINDOW - 60
    recent = taken(state, 200, 50)
    now[0] += 5
    state.advance()  # the recent ones delivered, a minute before the old ones' end
    assert {m.state for m in old + recent} == {DELIVERED}

    now[0] += 70
    assert state.forget_old() == 50

    held = state.messages["webcom"]
    assert not any(m.id in held for m in old)
    assert all(held[m.id] is m for m in recent + scheduled)
    assert {m.state for m in scheduled} == {ACCEPTED}
    assert state.find_by_reference("webcom", LOGIN, "ref-1") is None
    assert state.find_by_reference("webcom", LOGIN, "ref-200") is recent[0]

    now[0] += WINDOW
    state.advance()
    assert state.forget_old() == 50  # the recent ones in their turn
    assert set(state.messages["webcom"]) == {m.id for m in scheduled}


def test_without_a_window_nothing_is_forgotten():
    """Tests' in-process simulators keep everything they read."""
    now = [1000.0]
    state = SimulatorState(sent_delay=1, delivery_delay=1, clock=lambda: now[0])
    taken(state, 1, 20)
    now[0] += 10 * 86400
    state.advance()
    assert state.forget_old() == 0
    assert len(state.messages["webcom"]) == 20
    assert isinstance(state.submissions, list)


def test_with_a_window_submissions_are_kept_only_in_part():
    state = SimulatorState(forget_after=WINDOW)
    taken(state, 1, SUBMISSIONS_KEPT + 10)
    assert len(state.submissions) == SUBMISSIONS_KEPT
    assert state.submissions[-1].reference == f"ref-{SUBMISSIONS_KEPT + 10}"


def test_a_message_whose_report_is_owed_is_kept_until_it_is_built():
    now = [1000.0]
    state = SimulatorState(
        sent_delay=1, delivery_delay=1, clock=lambda: now[0], forget_after=WINDOW
    )
    state.callback_builders["webcom"] = lambda message, account: None
    [message] = taken(state, 1, 1)
    now[0] += 5
    state.advance()
    now[0] += 2 * WINDOW
    assert state.forget_old() == 0  # its callback not collected yet
    state.due_callbacks()
    now[0] += WINDOW + 1
    assert state.forget_old() == 1


# Status requests for a forgotten id, as each gateway answers an id it does not hold.


@pytest.fixture
def windowed():
    state = SimulatorState(sent_delay=0.0, delivery_delay=0.0, forget_after=WINDOW)
    simulator = Simulator(state, callback_interval=0.05).start()
    for gateway in ("webcom", "smsc", "websms"):
        state.add_account(
            SimAccount(gateway, LOGIN, PASSWORD, balance=Decimal("1000"),
                       senders={"SHOP": "active"})
        )  # fmt: skip
    yield simulator
    simulator.stop()


def _forget_all(state: SimulatorState) -> None:
    state.advance()
    state.due_callbacks()  # their reports built (none here: no callback URL)
    state.pass_time(WINDOW + 1)
    state.forget_old()


def webcom_send(simulator, phone: str, client_id: str) -> str:
    body = (
        '<?xml version="1.0" encoding="utf-8" ?><request><message type="sms">'
        f'<sender>SHOP</sender><text>Hi</text><abonent phone="{phone}" number_sms="1"'
        f' client_id_sms="{client_id}" /></message><security><login value="{LOGIN}"'
        f' /><password value="{PASSWORD}" /></security></request>'
    )
    answer = httpx.post(f"{simulator.url}/webcom/xml", content=body.encode()).text
    return re.search(r'id_sms="(\d+)"', answer).group(1)


def webcom_states(simulator, *ids: str) -> str:
    inner = "".join(f"<id_sms>{i}</id_sms>" for i in ids)
    body = (
        '<?xml version="1.0" encoding="utf-8" ?><request><security><login value="'
        f'{LOGIN}" /><password value="{PASSWORD}" /></security><get_state>{inner}'
        "</get_state></request>"
    )
    return httpx.post(f"{simulator.url}/webcom/xml/state.php", content=body).text


def test_webcom_answers_a_forgotten_id_as_one_it_does_not_hold(windowed):
    old = webcom_send(windowed, "79160000001", "501")
    _forget_all(windowed.state)
    recent = webcom_send(windowed, "79160000002", "502")
    windowed.state.advance()

    answer = webcom_states(windowed, old, recent)
    assert f'id_sms="{old}"' not in answer
    assert f'id_sms="{recent}"' in answer
    get = httpx.get(
        f"{windowed.url}/webcom/sendsms.php",
        params={"user": LOGIN, "pwd": PASSWORD, "smsid": old},
    )
    assert get.text == ""  # a blank status: unknown (REFERENCE §1.6)
    assert webcom_states(windowed, "123456789") == webcom_states(windowed, old)


def test_smsc_answers_a_forgotten_id_not_found(windowed):
    url = f"{windowed.url}/smsc/sys"
    creds = {"login": LOGIN, "psw": PASSWORD, "fmt": "3"}
    sent = httpx.get(
        f"{url}/send.php",
        params={**creds, "phones": "79160000003", "mes": "Hi", "id": "77"},
    ).json()
    assert sent["id"] == 77
    status = {**creds, "id": "77", "phone": "79160000003"}
    windowed.state.advance()
    assert httpx.get(f"{url}/status.php", params=status).json()["status"] == 1
    _forget_all(windowed.state)
    assert httpx.get(f"{url}/status.php", params=status).json() == {
        "status": -3,
        "err": 0,
    }


def test_websms_answers_a_forgotten_id_with_an_empty_packet(windowed):
    url = f"{windowed.url}/websms"
    creds = {"http_username": LOGIN, "http_password": PASSWORD}
    sent = httpx.post(
        f"{url}/json_in5.asp",
        data={
            "json": json.dumps({**creds, "message": "Hi", "phone_list": "79160000004"})
        },
    ).json()
    message_id = sent["sms"][0]["message_id"]
    windowed.state.advance()

    def results() -> dict:
        query = json.dumps({**creds, "message_id": message_id})
        return httpx.post(f"{url}/json_out5.asp", data={"json": query}).json()

    assert len(results()["sms"]) == 1
    _forget_all(windowed.state)
    assert results()["sms"] == []

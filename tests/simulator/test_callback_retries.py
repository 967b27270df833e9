"""Delivery reports a receiver did not take are posted again, as the gateways say.

The simulator dropped every callback that failed: a dashboard down for a restart lost
the reports posted meanwhile. Webcom re-sends the states whose id_sms the reply did not
echo, 5 attempts in total (REFERENCE §1.7); WEBSMS re-sends a status not answered
`<status>accepted</status>` (seed 002); SMSC's rule is unpublished (assumption: not
2xx or no answer, posted again).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from lxml import etree

from providers.simulator import SimAccount, Simulator, SimulatorState
from providers.simulator.state import SimMessage

RETRY = 0.2  # seconds between attempts here
Answer = Callable[[bytes, int], tuple[int, bytes]]


class Receiver:
    """Our callback endpoint's stand-in: answers each request as `answer` says
    (given the body and how many came before), and keeps the bodies."""

    def __init__(self, answer: Answer, port: int = 0) -> None:
        receiver = self
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    status, reply = answer(body, len(receiver.bodies))
                    receiver.bodies.append(body)
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/status/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def received(self) -> list[bytes]:
        with self.lock:
            return list(self.bodies)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def simulator():
    # Delivered at once, so each message has one report: its final one.
    state = SimulatorState(sent_delay=0.0, delivery_delay=0.0)
    server = Simulator(
        state, callback_interval=0.05, callback_retry_delays=(RETRY,) * 4
    ).start()
    yield server
    server.stop()


@pytest.fixture
def receivers():
    opened: list[Receiver] = []

    def open_one(answer: Answer, port: int = 0) -> Receiver:
        opened.append(Receiver(answer, port))
        return opened[-1]

    yield open_one
    for receiver in opened:
        receiver.close()


def taken(simulator, gateway: str, url: str, count: int, **fields) -> list[str]:
    simulator.state.add_account(SimAccount(gateway, "u", "p", status_callback_url=url))
    ids = [str(7_000_000 + n) for n in range(count)]
    for n, message_id in enumerate(ids):
        simulator.state.submit(
            SimMessage(
                id=message_id, gateway=gateway, login="u", packet=str(n),
                phone=f"7912{n:07d}", text="x", sender="S", **fields,
            )
        )  # fmt: skip
    return ids


def until(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def xml_ids(body: bytes) -> list[str]:
    return [state.get("id_sms") for state in etree.fromstring(body).iter("state")]


def echo(*ids: str) -> bytes:
    lines = "".join(f"     <id_sms>{i}</id_sms>\n" for i in ids)
    return f'<?xml version="1.0" encoding="utf-8" ?>\n<response>\n{lines}</response>\n'.encode()  # fmt: skip


def test_webcom_posts_again_the_states_not_echoed(simulator, receivers):
    def answer(body: bytes, before: int) -> tuple[int, bytes]:
        ids = xml_ids(body)
        if before == 0:
            return 503, b"down"  # the dashboard restarting
        if before == 1:
            return 200, echo(ids[0])  # took only the first
        return 200, echo(*ids)

    receiver = receivers(answer)
    ids = taken(simulator, "webcom", receiver.url, 3)

    assert until(lambda: len(receiver.received()) >= 3)
    time.sleep(4 * RETRY)  # no more: all were echoed
    bodies = receiver.received()
    first = xml_ids(bodies[0])
    assert sorted(first) == ids
    assert [xml_ids(body) for body in bodies] == [first, first, first[1:]]
    assert bodies[2].startswith(b'<?xml version="1.0" encoding="utf-8" ?>\n<response>')


def test_webcom_json_reports_not_echoed_are_posted_again(simulator, receivers):
    import json

    def answer(body: bytes, before: int) -> tuple[int, bytes]:
        if before == 0:
            return 200, b"[]"  # nothing taken
        return 200, json.dumps([{"id_sms": int(r["id_sms"])} for r in json.loads(body)]).encode()  # fmt: skip

    receiver = receivers(answer)
    [message_id] = taken(
        simulator, "webcom", receiver.url, 1, extra={"dialect": "json"}
    )
    assert until(lambda: len(receiver.received()) >= 2)
    time.sleep(3 * RETRY)
    bodies = receiver.received()
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]
    assert json.loads(bodies[1])[0]["id_sms"] == message_id


def test_webcom_gives_up_after_five_attempts(simulator, receivers):
    receiver = receivers(lambda body, before: (200, b"OK"))  # never echoes an id
    taken(simulator, "webcom", receiver.url, 2)
    assert until(lambda: len(receiver.received()) >= 5)
    time.sleep(4 * RETRY)
    assert len(receiver.received()) == 5


def test_websms_posts_a_status_again_until_it_is_accepted(simulator, receivers):
    def answer(body: bytes, before: int) -> tuple[int, bytes]:
        return 200, (b"<status>accepted</status>" if before == 1 else b"OK")

    receiver = receivers(answer)
    taken(simulator, "websms", receiver.url, 1)
    assert until(lambda: len(receiver.received()) >= 2)
    time.sleep(4 * RETRY)
    bodies = receiver.received()
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]
    assert b"<state>delivered</state>" in bodies[0]


def test_smsc_posts_a_callback_again_after_an_error_answer(simulator, receivers):
    def answer(body: bytes, before: int) -> tuple[int, bytes]:
        return (500, b"oops") if before == 0 else (200, b"OK")

    receiver = receivers(answer)
    taken(simulator, "smsc", receiver.url, 1)
    assert until(lambda: len(receiver.received()) >= 2)
    time.sleep(4 * RETRY)
    bodies = receiver.received()
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]
    assert b"status=1" in bodies[0]


def test_a_dashboard_down_for_a_moment_still_gets_its_reports(simulator, receivers):
    """Nothing listens when the reports are first posted; then it comes back."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/status/"
    ids = taken(simulator, "webcom", url, 2)

    def refused() -> bool:
        return any(status is None for _url, _body, status in simulator.state.callbacks_sent)  # fmt: skip

    assert until(refused)
    receiver = receivers(lambda body, before: (200, echo(*xml_ids(body))), port=port)
    assert until(lambda: len(receiver.received()) >= 1)
    assert sorted(xml_ids(receiver.received()[0])) == ids


def test_a_reset_drops_the_retries_of_the_forgotten_messages(simulator, receivers):
    receiver = receivers(lambda body, before: (503, b"down"))
    taken(simulator, "smsc", receiver.url, 1)
    assert until(lambda: len(receiver.received()) >= 1)
    simulator.state.reset()
    time.sleep(4 * RETRY)
    assert len(receiver.received()) == 1

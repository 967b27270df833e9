"""The simulator's transport: routing, control API and fault injection."""

import time

import httpx
import pytest
from lxml import etree

from providers.simulator import Fault, SimAccount


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


def test_a_fault_can_let_the_first_requests_through(simulator):
    httpx.post(
        f"{simulator.url}/_control/fault",
        json={"gateway": "smsc", "mode": "http503", "path": "send.php", "after": 2},
    )
    codes = [
        httpx.get(f"{simulator.url}/smsc/sys/{page}").status_code
        for page in ("send.php", "balance.php", "send.php", "send.php", "send.php")
    ]
    assert codes[:3].count(503) == 0
    assert codes[3:] == [503, 200]


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


def test_callbacks_collected_before_a_reset_are_not_posted_after_it(monkeypatch):
    """A test's reset used to be followed by the previous test's callbacks, which the
    dispatcher had collected just before it (the next test read them as its own)."""
    from providers.simulator import server

    simulator = server.Simulator()  # not started: the test drives the dispatcher
    posted = []
    monkeypatch.setattr(
        server,
        "_post",
        lambda client, url, body, kind: posted.append(url) or (200, b""),
    )
    owed = [("http://127.0.0.1:9/callback", b"<response/>", "text/xml", "webcom")]

    def collected_then_reset():
        generation = simulator.state.generation
        simulator.state.reset()  # a test starts while the dispatcher holds these
        return generation, owed

    try:
        monkeypatch.setattr(simulator.state, "due_callbacks", collected_then_reset)
        simulator.send_due_callbacks()
        assert posted == []

        monkeypatch.setattr(
            simulator.state, "due_callbacks", lambda: (simulator.state.generation, owed)
        )
        simulator.send_due_callbacks()
        assert posted == ["http://127.0.0.1:9/callback"]
    finally:
        simulator.httpd.server_close()


@pytest.mark.parametrize("mode", ["drop_before", "drop_after"])
def test_a_dropped_request_is_silent_on_the_server(simulator, mode, capsys):
    """wsgiref's access log used to fail on the answerless request: a traceback on
    the simulator's stderr for every drop, as if the simulator itself had broken."""
    simulator.state.add_fault("webcom", Fault(mode=mode))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{simulator.url}/webcom/xml", content=b"<request/>")
    # The next request is served, so the dropped one's handler has finished.
    assert httpx.get(f"{simulator.url}/_control/health").json() == {"ok": True}
    assert "Traceback" not in capsys.readouterr().err


def test_armed_faults_are_listed_and_cleared_per_gateway(simulator):
    control = f"{simulator.url}/_control/fault"
    httpx.post(control, json={"gateway": "smsc", "mode": "http503", "count": -1})
    httpx.post(control, json={"gateway": "webcom", "mode": "http500", "count": 2})
    armed = httpx.get(control).json()
    assert [(f["gateway"], f["mode"], f["count"]) for f in armed] == [
        ("smsc", "http503", -1),
        ("webcom", "http500", 2),
    ]

    assert httpx.delete(control, params={"gateway": "smsc"}).json()["cleared"] == 1
    assert httpx.get(f"{simulator.url}/smsc/sys/balance.php").status_code != 503
    assert [f["gateway"] for f in httpx.get(control).json()] == ["webcom"]
    assert httpx.delete(control).json()["cleared"] == 1
    assert httpx.get(control).json() == []


def test_a_fault_of_an_unknown_mode_is_refused_with_its_reason(simulator):
    answer = httpx.post(
        f"{simulator.url}/_control/fault", json={"gateway": "smsc", "mode": "drop"}
    )
    assert answer.status_code == 400
    assert "unknown fault mode 'drop'" in answer.json()["error"]
    assert httpx.get(f"{simulator.url}/_control/fault").json() == []


class _Receiver:
    """A small HTTP server standing in for our callback endpoint: it counts the
    requests, how many it served at once, and keeps their bodies."""

    def __init__(self, delay: float) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self
        self.lock = threading.Lock()
        self.bodies: list[bytes] = []
        self.active = self.most_at_once = 0

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a gateway's client may

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.active += 1
                    receiver.most_at_once = max(receiver.most_at_once, receiver.active)
                time.sleep(delay)  # a busy endpoint
                with receiver.lock:
                    receiver.active -= 1
                    receiver.bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/status/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    server = _Receiver(delay=0.1)
    yield server
    server.close()


def _taken(simulator, gateway: str, count: int) -> None:
    from providers.simulator.state import SimMessage

    for i in range(count):
        simulator.state.submit(
            SimMessage(
                id=str(5_000_000 + i), gateway=gateway, login="u", packet=str(i),
                phone=f"7912{i:07d}", text="x", sender="S",
            )
        )  # fmt: skip


def _until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_callbacks_are_posted_several_at_once(simulator, receiver):
    """One callback at a time, each on a new connection: a receiver taking 0.1 s a
    request got 10 a second, and a 900,000-recipient campaign's reports took a day."""
    simulator.state.add_account(
        SimAccount("smsc", "u", "p", status_callback_url=receiver.url)
    )
    _taken(simulator, "smsc", 60)  # SMSC's callback carries one report

    # 60 messages, a report or two each: over 6 s one at a time.
    assert _until(lambda: len(receiver.bodies) >= 60, timeout=4)
    assert receiver.most_at_once >= 4


def test_webcom_callbacks_carry_many_reports_each(simulator, receiver):
    """Webcom's webhook is a <response> of <state> lines (REFERENCE §1.7): one
    callback for each message's each status was a hundred times the requests."""
    simulator.state.add_account(
        SimAccount("webcom", "u", "p", status_callback_url=receiver.url)
    )
    _taken(simulator, "webcom", 250)

    def delivered() -> set[str]:
        with receiver.lock:
            bodies = list(receiver.bodies)
        found = set()
        for body in bodies:
            for state in etree.fromstring(body).iter("state"):
                if state.text == "deliver":
                    found.add(state.get("id_sms"))
        return found

    assert _until(lambda: len(delivered()) == 250, timeout=5)
    assert len(receiver.bodies) <= 12  # sent and delivered, a hundred at a time

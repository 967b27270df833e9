"""`python -m providers.simulator`, as `make run` starts it."""

import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver(BaseHTTPRequestHandler):
    posts: list[bytes] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length", 0))
        Receiver.posts.append(self.rfile.read(length))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args):
        pass


def test_the_callbacks_it_posts_are_not_each_a_line_on_the_console(tmp_path):
    """httpx logs every request at INFO: once callbacks went out by the hundred over
    httpx, `make run`'s console got a line per callback posted."""
    receiver = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    callback = f"http://127.0.0.1:{receiver.server_port}/status/"
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps([{"gateway": "smsc", "login": "demo",
                                     "password": "pw", "status_callback_url": callback}]))  # fmt: skip
    port = free_port()
    simulator = subprocess.Popen(
        [sys.executable, "-m", "providers.simulator", "--port", str(port),
         "--accounts", str(accounts), "--sent-delay", "0.1",
         "--delivery-delay", "0.2"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/_control/fault", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        Receiver.posts.clear()
        answer = httpx.get(f"{base}/smsc/sys/send.php", params={
            "login": "demo", "psw": "pw", "phones": "79120000001", "mes": "Hi",
            "fmt": "3"})  # fmt: skip
        assert "id" in answer.json()
        deadline = time.monotonic() + 10
        # Sent, then delivered: a report each.
        while len(Receiver.posts) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        simulator.terminate()
        console = simulator.communicate(timeout=10)[1]
        receiver.shutdown()

    assert len(Receiver.posts) >= 2  # posted, and answered
    assert "serving /webcom /smsc /websms" in console
    assert "HTTP Request" not in console

"""A threaded loopback HTTP server for the simulator, plus the callback dispatcher."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.handlers import BaseHandler
from wsgiref.simple_server import (
    ServerHandler,
    WSGIRequestHandler,
    WSGIServer,
    make_server,
)

from providers.simulator.state import SimAccount, SimulatorState
from providers.simulator.wsgi import DropConnection, make_app

logger = logging.getLogger("providers.simulator")


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _ServerHandler(ServerHandler):
    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], DropConnection):
            raise DropConnection
        super().handle_error()

    def close(self) -> None:
        # A dropped request has no status line: wsgiref's access log would fail on it
        # (an AttributeError traceback in place of the intended silent drop).
        if self.status is None:
            BaseHandler.close(self)
            return
        super().close()


class _Handler(WSGIRequestHandler):
    """wsgiref's handler, quiet, and able to cut the socket on DropConnection."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        logger.debug("%s - %s", self.address_string(), format % args)

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.parse_request():
            return
        handler = _ServerHandler(
            self.rfile, self.wfile, self.get_stderr(), self.get_environ(),
            multithread=True,
        )  # fmt: skip
        handler.request_handler = self
        try:
            handler.run(self.server.get_app())
        except DropConnection:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()


class Simulator:
    """The simulator server on 127.0.0.1 with its state and callback dispatcher."""

    def __init__(
        self,
        state: SimulatorState | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        callback_interval: float = 0.2,
    ) -> None:
        self.state = state or SimulatorState()
        self.httpd = make_server(
            host, port, make_app(self.state), server_class=_Server,
            handler_class=_Handler,
        )  # fmt: skip
        self.url = f"http://{host}:{self.httpd.server_port}"
        self.callback_interval = callback_interval
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> Simulator:
        """Serve in background threads (tests)."""
        self._spawn(self.httpd.serve_forever)
        self._spawn(self._dispatch_callbacks)
        return self

    def serve_forever(self) -> None:
        """Serve in the foreground (the simulator process)."""
        self._spawn(self._dispatch_callbacks)
        try:
            self.httpd.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _spawn(self, target) -> None:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _dispatch_callbacks(self) -> None:
        while not self._stop.wait(self.callback_interval):
            try:
                self.send_due_callbacks()
            except Exception:  # noqa: BLE001 - the dispatcher must keep running
                logger.exception("callback dispatch failed")

    def send_due_callbacks(self) -> None:
        generation, due = self.state.due_callbacks()
        for url, body, content_type in due:
            if self.state.generation != generation:
                return  # reset meanwhile: these are about forgotten messages
            status = _post(url, body, content_type)
            with self.state.lock:
                self.state.callbacks_sent.append(
                    (url, body.decode("utf-8", "replace"), status)
                )


def _post(url: str, body: bytes, content_type: str) -> int | None:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError) as exc:
        logger.warning("callback to %s failed: %s", url, exc)
        return None


def load_accounts(state: SimulatorState, path: Path) -> int:
    """Accounts as a gateway's cabinet would hold them (written by `load_demo`)."""
    rows = json.loads(path.read_text())
    for row in rows:
        state.add_account(SimAccount.from_row(row))
    return len(rows)

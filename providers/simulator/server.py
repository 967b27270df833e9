"""A threaded loopback HTTP server for the simulator, plus the callback dispatcher."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.handlers import BaseHandler
from wsgiref.simple_server import (
    ServerHandler,
    WSGIRequestHandler,
    WSGIServer,
    make_server,
)

import httpx

from providers.simulator.state import SimAccount, SimulatorState
from providers.simulator.wsgi import DropConnection, make_app

logger = logging.getLogger("providers.simulator")

# Seconds before each new attempt of a callback the receiver did not acknowledge (as
# each gateway's module says: callback_unacknowledged). Webcom's document gives 5
# attempts in total (REFERENCE §1.7), so 4 more. Assumption: the intervals are
# published by none of the gateways, nor SMSC's and WEBSMS's counts; the same for
# all, growing, so a dashboard down for a restart, or for some minutes, still gets
# its reports (the last attempt comes about 21 minutes after the first).
CALLBACK_RETRY_DELAYS = (10.0, 60.0, 300.0, 900.0)
# Callbacks awaiting each retry, at most: a receiver down through a big campaign
# would otherwise pile up every report's body. The oldest go first.
RETRIES_KEPT = 20_000
# How often the dispatcher forgets the messages out of the state's memory window.
FORGET_INTERVAL = 5.0


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
        callback_senders: int = 8,
        callback_retry_delays: Sequence[float] = CALLBACK_RETRY_DELAYS,
    ) -> None:
        self.state = state or SimulatorState()
        self.httpd = make_server(
            host, port, make_app(self.state), server_class=_Server,
            handler_class=_Handler,
        )  # fmt: skip
        self.url = f"http://{host}:{self.httpd.server_port}"
        self.callback_interval = callback_interval
        # Callbacks go out from several threads, each keeping its connections alive:
        # one at a time on a new connection each, a receiver taking 70-100 ms a
        # request (a development server) got 10-15 reports a second.
        self.callback_senders = callback_senders
        self._senders = ThreadPoolExecutor(
            callback_senders, thread_name_prefix="simulator-callbacks"
        )
        self.callback_retry_delays = tuple(callback_retry_delays)
        # Callbacks to post again, one queue per retry: a queue's delay is the same
        # for all its entries, so each is in the order they fall due.
        # (due on time.monotonic(), generation, url, body, content type, gateway)
        self._retries: list[deque[tuple[float, int, str, bytes, str, str]]] = [
            deque(maxlen=RETRIES_KEPT) for _ in self.callback_retry_delays
        ]
        self._retries_lock = threading.Lock()
        self._forgotten_at = 0.0
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
        self._senders.shutdown(wait=False, cancel_futures=True)

    def _spawn(self, target) -> None:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _dispatch_callbacks(self) -> None:
        while not self._stop.wait(self.callback_interval):
            try:
                self.send_due_callbacks()
                if time.monotonic() - self._forgotten_at >= FORGET_INTERVAL:
                    self._forgotten_at = time.monotonic()
                    self.state.forget_old()
            except Exception:  # noqa: BLE001 - the dispatcher must keep running
                logger.exception("callback dispatch failed")

    def send_due_callbacks(self) -> None:
        """Post the callbacks owed and the retries due, several at once; returns
        when all are answered (the next collection waits, so a slow receiver holds
        owed messages in the state's set, not posts in a queue)."""
        generation, collected = self.state.due_callbacks()
        # (attempts made before, generation, url, body, content type, gateway)
        due = [(0, generation, *callback) for callback in collected]
        due.extend(self._retries_due())
        if not due:
            return
        # One client a collection, shared by the senders (httpx's is thread-safe):
        # its connections are kept alive for the collection, then closed, as a
        # receiver may keep a thread and a database session per open connection
        # (Django's live server in tests did, past the test database's teardown).
        limits = httpx.Limits(max_connections=self.callback_senders)
        with httpx.Client(timeout=10, limits=limits) as client:
            posts = [
                self._senders.submit(self._send_one, client, *callback)
                for callback in due
            ]
            wait(posts)
        for post in posts:
            if post.exception() is not None:
                logger.error("callback not posted", exc_info=post.exception())

    def _retries_due(self) -> list[tuple[int, int, str, bytes, str, str]]:
        now = time.monotonic()
        due = []
        with self._retries_lock:
            for attempts, queue in enumerate(self._retries, start=1):
                while queue and queue[0][0] <= now:
                    _at, generation, *callback = queue.popleft()
                    if generation == self.state.generation:
                        due.append((attempts, generation, *callback))
        return due

    def _send_one(
        self,
        client: httpx.Client,
        attempts: int,
        generation: int,
        url: str,
        body: bytes,
        content_type: str,
        gateway: str,
    ) -> None:
        if self.state.generation != generation:
            return  # reset meanwhile: these are about forgotten messages
        status, reply = _post(client, url, body, content_type)
        with self.state.lock:
            self.state.callbacks_sent.append(
                (url, body.decode("utf-8", "replace"), status)
            )
        unacknowledged = self.state.callback_checkers.get(gateway)
        again = unacknowledged(body, status, reply) if unacknowledged else None
        if again is None:
            return
        if attempts >= len(self.callback_retry_delays):
            logger.warning(
                "callback to %s given up after %d attempts", url, attempts + 1
            )
            return
        due_at = time.monotonic() + self.callback_retry_delays[attempts]
        with self._retries_lock:
            self._retries[attempts].append(
                (due_at, generation, url, again, content_type, gateway)
            )


def _post(
    client: httpx.Client, url: str, body: bytes, content_type: str
) -> tuple[int | None, bytes]:
    """(HTTP status, body) of the receiver's answer; (None, b"") without one."""
    try:
        response = client.post(
            url, content=body, headers={"Content-Type": content_type}
        )
    except httpx.HTTPError as exc:
        logger.warning("callback to %s failed: %s", url, exc)
        return None, b""
    return response.status_code, response.content


def load_accounts(state: SimulatorState, path: Path) -> int:
    """Accounts as a gateway's cabinet would hold them (written by `load_demo`)."""
    rows = json.loads(path.read_text())
    for row in rows:
        state.add_account(SimAccount.from_row(row))
    return len(rows)

"""The Redis the worker tests use: the suite's broker, or a private server.

The suite's broker is CELERY_BROKER_URL (tests/settings.py defaults it to database 0
on loopback; `make test` takes TEST_CELERY_BROKER_URL): a worker process started by a
test listens where the test sends. A test that kills Redis gets a server of its own on
a free port, so nothing else using the machine's Redis (a `make run`, a second suite)
loses its broker.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from celery import Celery

from django.conf import settings


def broker_url() -> str:
    """The suite's broker: where worker processes started by tests listen."""
    return settings.CELERY_BROKER_URL


def celery_client(url: str, *, backend: str | None = None) -> Celery:
    """A Celery app that sends to `url`. Not Celery(broker=url): its `broker_url`
    prefers the process's CELERY_BROKER_URL (tests/settings.py sets it) to the
    argument, so the task would go to the suite's broker, not the one asked for."""
    client = Celery(backend=backend, set_as_current=False)
    client.conf.broker_read_url = client.conf.broker_write_url = url
    return client


def sibling_url(url: str, database: int) -> str:
    """Another numbered database on the same Redis server as `url`."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def broker_database(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


@dataclass(frozen=True)
class PrivateRedis:
    port: int

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        subprocess.run(
            ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1",
             "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", tempfile.gettempdir()],
            check=True, capture_output=True,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while not self.ping():
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.1)

    def shutdown(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
            check=False, capture_output=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while self.ping() and time.monotonic() < deadline:
            time.sleep(0.1)

    def restart(self) -> None:
        self.shutdown()
        self.start()


def redis_server_available() -> bool:
    return (
        shutil.which("redis-server") is not None
        and shutil.which("redis-cli") is not None
    )


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    """A Redis server of the test's own, on a free loopback port, stopped after."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = PrivateRedis(port)
    server.start()
    try:
        yield server
    finally:
        server.shutdown()

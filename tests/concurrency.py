"""Two requests at once, as two browsers or scripts send them."""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable

from django.db import connections


def both_at_once(
    monkeypatch, module: str, name: str, requests: list[Callable]
) -> list[int]:
    """Send the requests in threads (each on its own connection), each held when it
    calls `module.name` (put where a request has read its record and not yet saved)
    until the other gets there too, or for a second when the other cannot (the
    record is locked): the reads race as they can on a busy server, every time.
    The status codes, in the order the answers came."""
    met = threading.Barrier(len(requests))
    target = importlib.import_module(module)
    original = getattr(target, name)

    def held(*args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            met.wait(timeout=1)
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, held)
    codes: list[int] = []

    def send(call: Callable) -> None:
        try:
            codes.append(call().status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(call,)) for call in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    monkeypatch.undo()
    return codes

"""Two people at once: one's request is held right after its check (that a group
is unused, that a campaign may be deleted) while the other's runs, then goes on.
Shared by the race tests of what is deleted while it is being used."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def meanwhile(
    monkeypatch: Any,
    checked_by: tuple[object, str],
    first: Callable[[], Any],
    then: Callable[[], Any],
) -> tuple[Any, Any]:
    """(first's answer, then's answer): `first` runs in a thread of its own until
    the check `checked_by` ((module, function name)) has answered, and is held there
    (until `then` is done, or 2 s) while `then` runs here."""
    module, name = checked_by
    checked, done = threading.Event(), threading.Event()
    original = getattr(module, name)

    def checked_then_wait(*args, **kwargs):
        answer = original(*args, **kwargs)
        checked.set()
        done.wait(timeout=2)
        return answer

    monkeypatch.setattr(module, name, checked_then_wait)
    answers: dict[str, Any] = {}

    def run_first() -> None:
        try:
            answers["first"] = first()
        finally:
            connections.close_all()

    running = threading.Thread(target=run_first)
    running.start()
    assert checked.wait(timeout=10)
    try:
        answers["then"] = then()
    finally:
        done.set()
        running.join(timeout=30)
    monkeypatch.undo()
    return answers["first"], answers["then"]

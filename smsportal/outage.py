"""The shared cache and the task queue (both Redis in production) going away.

What only uses the cache to go faster (a price remembered, a count kept for a minute)
goes on without it through the `soft_*` helpers; what truly needs the broker (a launch
queues the audience build) refuses with QueueUnavailable, which pages show as an alert
and the API as a 503. Pages say that either is down from what this process last saw:
an operation that failed, or a probe run in a background thread at most every
PROBE_SECONDS, so no page waits for a connection attempt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from kombu.exceptions import OperationalError as KombuOperationalError

from django.core.cache import cache
from django.utils.translation import gettext as _

from smsportal.exceptions import ApplicationError

try:  # the Redis client is there whenever Redis is configured (celery[redis])
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    _REDIS_ERRORS: tuple[type[Exception], ...] = (
        RedisConnectionError,
        RedisTimeoutError,
    )
except ImportError:  # pragma: no cover - embedded installs without redis
    _REDIS_ERRORS = ()

logger = logging.getLogger("smsportal.outage")

CACHE = "cache"
BROKER = "broker"
# A cache or broker that does not answer: connection refused, reset or timed out.
CACHE_ERRORS: tuple[type[Exception], ...] = (*_REDIS_ERRORS, OSError)
BROKER_ERRORS: tuple[type[Exception], ...] = (KombuOperationalError, *CACHE_ERRORS)
# What an error that reached a view must be to be told as an outage (not OSError:
# a full disk is no task queue down).
OUTAGE_ERRORS: tuple[type[Exception], ...] = (KombuOperationalError, *_REDIS_ERRORS)
PROBE_SECONDS = 15.0


class QueueUnavailable(ApplicationError):
    """The task queue (or the cache its leases live in) does not answer, so work that
    must be queued was refused and nothing was changed; the API answers 503, pages
    show the message. The caller tries again once it is back."""


def queue_unavailable() -> QueueUnavailable:
    return QueueUnavailable(
        _(
            "The task queue is unavailable, so this cannot start now; nothing was "
            "changed. Try again when it is back (your administrator can check "
            "/healthz)."
        )
    )


def outage_message() -> str:
    """For work that failed half-way on the cache or the broker (no service knew)."""
    return _(
        "The task queue or the shared cache is unavailable, so this could not be "
        "completed. Try again when it is back (your administrator can check "
        "/healthz)."
    )


class _Seen:
    """What this process last knew of each service: down since when, or up."""

    def __init__(self) -> None:
        self.down: dict[str, float] = {}
        self.probed_at = 0.0
        self.probing = threading.Lock()

    def note_down(self, kind: str) -> None:
        self.down.setdefault(kind, time.monotonic())

    def set_result(self, results: dict[str, bool]) -> None:
        for kind, up in results.items():
            if up:
                self.down.pop(kind, None)
            else:
                self.note_down(kind)
        self.probed_at = time.monotonic()


_seen = _Seen()


def outage_noted(exc: BaseException) -> bool:
    """Whether `exc` says the broker or the cache is down (and note which)."""
    if not isinstance(exc, OUTAGE_ERRORS):
        return False
    note_down(BROKER if isinstance(exc, KombuOperationalError) else CACHE, exc)
    return True


def note_down(kind: str, exc: BaseException | None = None) -> None:
    """An operation found `kind` (CACHE or BROKER) not answering."""
    if kind not in _seen.down:
        logger.warning("%s unavailable: %r", kind, exc)
    _seen.note_down(kind)


def seen_down() -> frozenset[str]:
    """The services this process last saw down, without probing."""
    return frozenset(_seen.down)


def services_down() -> frozenset[str]:
    """The services this process last saw down; starts a probe in the background
    when the last is older than PROBE_SECONDS (never waits for it)."""
    if time.monotonic() - _seen.probed_at >= PROBE_SECONDS and _seen.probing.acquire(
        blocking=False
    ):
        threading.Thread(target=_probe_and_release, daemon=True).start()
    return frozenset(_seen.down)


def probe_now() -> frozenset[str]:
    """Look at both services now (tests, and the probe thread)."""
    _seen.set_result({CACHE: cache_answers(), BROKER: broker_answers()})
    return frozenset(_seen.down)


def forget() -> None:
    """Start over as a fresh process would (tests)."""
    _seen.down.clear()
    _seen.probed_at = 0.0


def _probe_and_release() -> None:
    try:
        probe_now()
    except Exception:  # a probe must never take the process down
        logger.exception("outage probe failed")
    finally:
        _seen.probing.release()


def cache_answers() -> bool:
    try:
        cache.get("smsportal:outage-probe")
    except CACHE_ERRORS:
        return False
    return True


def broker_problem() -> str:
    """One connection attempt to the broker, bounded by the configured timeouts: ""
    when it answers, else the name of what the transport raised (/healthz shows it)."""
    from smsportal.celery import app

    timeout = float(app.conf.broker_connection_timeout or 1.0)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=timeout
            )
    except Exception as exc:  # noqa: BLE001 - whatever the transport raises, it is down
        return type(exc).__name__
    return ""


def broker_answers() -> bool:
    return not broker_problem()


def queue_required() -> None:
    """Raise QueueUnavailable unless the broker answers now (before an action that
    queues work changes anything)."""
    if not broker_answers():
        note_down(BROKER)
        raise queue_unavailable()
    _seen.down.pop(BROKER, None)


def send_or_leave_queued(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Send `task` for a job already saved as queued (after its commit); a broker
    that does not answer leaves the job queued, for the sweep to send once it is
    back (smsportal.job_sweep), instead of an error page for work that was saved."""
    try:
        task.delay(*args, **kwargs)
    except BROKER_ERRORS as exc:
        note_down(BROKER, exc)
        return False
    return True


# The cache as a speed-up: a miss when it is down, and nothing kept.


def soft_get(key: str, default: Any = None) -> Any:
    try:
        return cache.get(key, default)
    except CACHE_ERRORS as exc:
        note_down(CACHE, exc)
        return default


def soft_get_many(keys: Iterable[str]) -> dict[str, Any]:
    try:
        return cache.get_many(list(keys))
    except CACHE_ERRORS as exc:
        note_down(CACHE, exc)
        return {}


def soft_set(key: str, value: Any, timeout: float | None) -> None:
    try:
        cache.set(key, value, timeout)
    except CACHE_ERRORS as exc:
        note_down(CACHE, exc)


def soft_set_many(values: dict[str, Any], timeout: float | None) -> None:
    try:
        cache.set_many(values, timeout)
    except CACHE_ERRORS as exc:
        note_down(CACHE, exc)


def soft_delete(key: str) -> None:
    try:
        cache.delete(key)
    except CACHE_ERRORS as exc:
        note_down(CACHE, exc)

"""Celery beat's heartbeat: whether the scheduler is alive, in the database.

Beat starts scheduled campaigns (campaigns_tick), polls statuses, fetches replies,
runs the birthday greetings and sweeps lost jobs; when it dies nothing of that
happens and nothing else would say so. Beat's own scheduler loop writes the
heartbeat (HeartbeatScheduler, made beat's scheduler in smsportal.celery), not a
task it schedules: such a task needs a worker and the broker too, so a missing
heartbeat would not say which of the three is gone, while the broker and the
workers already have their own checks. Written from tick(), not from a thread
beside the loop, it stops when the loop stops, also when beat hangs without
dying. The database, as for the workers (campaigns.workers): web and beat share it
in both modes, and a page reads it with one indexed query.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery.beat import PersistentScheduler

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger("campaigns.beat")

HEARTBEAT_SECONDS = 10


def stale_after() -> timedelta:
    """No beat heartbeat for this long: beat is taken for dead."""
    return timedelta(seconds=getattr(settings, "SMSPORTAL_BEAT_STALE_SECONDS", 60))


def beat_heartbeat(instance: str, hostname: str, started_at: datetime) -> None:
    """Write one heartbeat of the beat `instance`."""
    from campaigns.models import BeatHeartbeat

    BeatHeartbeat.write(instance, hostname, started_at)


class HeartbeatScheduler(PersistentScheduler):
    """Beat's usual scheduler (the schedule kept in a file) that also writes the
    heartbeat at least every HEARTBEAT_SECONDS. A beat stopped on purpose keeps its
    row: a scheduler that does not run is as much a problem as one that died."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hostname = socket.gethostname()
        self.instance = f"beat@{self.hostname}:{os.getpid()}:{secrets.token_hex(4)}"
        self.started_at = timezone.now()
        self.written_at: float | None = None

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = super().tick(*args, **kwargs)
        now = time.monotonic()
        if self.written_at is None or now - self.written_at >= HEARTBEAT_SECONDS:
            self._write_heartbeat()
            self.written_at = now
        # Beat sleeps until its next entry is due: never longer than a heartbeat.
        return min(interval, HEARTBEAT_SECONDS)

    def _write_heartbeat(self) -> None:
        close_old_connections()
        try:
            beat_heartbeat(self.instance, self.hostname, self.started_at)
        except Exception:  # noqa: BLE001 - a database hiccup must not stop beat
            logger.warning("beat heartbeat not written", exc_info=True)


@dataclass(frozen=True)
class BeatStatus:
    """The freshest beat heartbeat, and whether anything waits for beat."""

    last_seen: datetime | None
    work_waiting: bool

    @property
    def state(self) -> str:
        """ "ok", "stale" (seen, not lately) or "never" (no heartbeat at all)."""
        if self.last_seen is None:
            return "never"
        return "ok" if timezone.now() - self.last_seen < stale_after() else "stale"

    @property
    def alarming(self) -> bool:
        """A beat that ran and stopped always is (replies, balances and polling stop
        with it); one never seen only while work waits, so a setup still being made
        (a first runserver, the tests) is not called broken."""
        state = self.state
        return state == "stale" or (state == "never" and self.work_waiting)


def beat_status() -> BeatStatus:
    """One small indexed query; one more (work waiting) only when beat was never
    seen."""
    from campaigns.models import BeatHeartbeat
    from campaigns.workers import work_waiting

    last_seen = BeatHeartbeat.last_seen()
    return BeatStatus(
        last_seen=last_seen, work_waiting=last_seen is None and work_waiting()
    )

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
from django.db.models.functions import Now

logger = logging.getLogger("campaigns.beat")

HEARTBEAT_SECONDS = 10


def stale_after() -> timedelta:
    """No beat heartbeat for this long: beat is taken for dead."""
    return timedelta(seconds=getattr(settings, "SMSPORTAL_BEAT_STALE_SECONDS", 60))


def beat_heartbeat(instance: str, hostname: str) -> None:
    """Write one heartbeat of the beat `instance`."""
    from campaigns.models import BeatHeartbeat

    BeatHeartbeat.write(instance, hostname)


class HeartbeatScheduler(PersistentScheduler):
    """Beat's usual scheduler (the schedule kept in a file) that also writes the
    heartbeat at least every HEARTBEAT_SECONDS. A beat stopped on purpose keeps its
    row: a scheduler that does not run is as much a problem as one that died."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hostname = socket.gethostname()
        self.instance = f"beat@{self.hostname}:{os.getpid()}:{secrets.token_hex(4)}"
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
            beat_heartbeat(self.instance, self.hostname)
        except Exception:  # noqa: BLE001 - a database hiccup must not stop beat
            logger.warning("beat heartbeat not written", exc_info=True)


# How many of the latest heartbeat rows a status reads: one per beat started within
# the last day is kept (Heartbeat.FORGET_AFTER), and only the fresh ones matter.
LATEST_ROWS = 10


@dataclass(frozen=True)
class BeatProcess:
    """One beat process as its heartbeat row tells it."""

    instance: str  # beat@host:pid:random (HeartbeatScheduler)
    started_at: datetime
    seen_at: datetime

    @property
    def label(self) -> str:
        """host:pid, what a person looks for on the machines."""
        return self.instance.removeprefix("beat@").rsplit(":", 1)[0]


def beats_overlapping(processes: list[BeatProcess]) -> list[BeatProcess]:
    """The processes that ran beside another one: a beat that went on writing its
    heartbeat for at least a heartbeat's interval after a later one had started.

    Not merely two fresh rows: a restarted beat leaves its predecessor's row fresh
    for up to the stale window, and a supervisor may start the new one a moment
    before the old one has stopped (one last heartbeat of the old one then falls
    after the new one's start, within HEARTBEAT_SECONDS of it). Start and last-seen
    times are the database's (Heartbeat.write), so beats on hosts whose clocks
    differ are judged alike."""
    overlap = timedelta(seconds=HEARTBEAT_SECONDS)
    ordered = sorted(processes, key=lambda p: p.started_at)
    found: dict[str, BeatProcess] = {}
    for i, earlier in enumerate(ordered):
        for later in ordered[i + 1 :]:
            if earlier.seen_at - later.started_at >= overlap:
                found[earlier.instance] = earlier
                found[later.instance] = later
    return sorted(found.values(), key=lambda p: p.started_at)


@dataclass(frozen=True)
class BeatStatus:
    """The freshest beat heartbeat, whether anything waits for beat, and the beats
    running at once when more than one is."""

    last_seen: datetime | None
    work_waiting: bool
    duplicates: tuple[BeatProcess, ...] = ()
    seen_ago: timedelta | None = None  # by the database's clock, as it was written

    @property
    def database_now(self) -> datetime | None:
        """The database's time when this was read: "seen N ago" counts to it, as the
        judgement does, not to the web server's clock."""
        if self.last_seen is None or self.seen_ago is None:
            return None
        return self.last_seen + self.seen_ago

    @property
    def state(self) -> str:
        """ "ok", "stale" (seen, not lately), "never" (no heartbeat at all) or
        "duplicate" (two or more beats running at once)."""
        if self.last_seen is None or self.seen_ago is None:
            return "never"
        if self.seen_ago >= stale_after():
            return "stale"
        return "duplicate" if self.duplicates else "ok"

    @property
    def alarming(self) -> bool:
        """A beat that ran and stopped always is (replies, balances and polling stop
        with it); one never seen only while work waits, so a setup still being made
        (a first runserver, the tests) is not called broken. Two beats always are:
        every periodic task runs twice (twice the polling, balance and reply requests
        to the gateways) and it never heals by itself. Nothing is sent twice (a
        scheduled campaign is started by a conditional update, greetings claim
        their contacts in GreetedBirthday, the sweep locks its rows), so it is a
        misconfiguration for a person to put right, which a monitor reading
        /healthz's status code alone would otherwise not see."""
        state = self.state
        return state in ("stale", "duplicate") or (
            state == "never" and self.work_waiting
        )


def beat_status() -> BeatStatus:
    """One small indexed query; one more (work waiting) only when beat was never
    seen."""
    from campaigns.models import BeatHeartbeat
    from campaigns.workers import work_waiting

    # The database's time with the rows: heartbeats are written in it.
    rows = list(
        BeatHeartbeat.objects.order_by("-seen_at").values_list(
            "instance", "started_at", "seen_at", Now()
        )[:LATEST_ROWS]
    )
    processes = [BeatProcess(*row[:3]) for row in rows]
    last_seen = processes[0].seen_at if processes else None
    now = rows[0][3] if rows else None
    fresh = [p for p in processes if now and p.seen_at >= now - stale_after()]
    return BeatStatus(
        last_seen=last_seen,
        seen_ago=None if now is None else now - last_seen,
        work_waiting=last_seen is None and work_waiting(),
        duplicates=tuple(beats_overlapping(fresh)),
    )

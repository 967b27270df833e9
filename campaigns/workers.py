"""Worker heartbeats: whether any Celery worker is alive, in the database.

Each worker process starts a thread (a bootstep, registered in smsportal.celery) that
writes its WorkerHeartbeat row every HEARTBEAT_SECONDS. The database, not the cache or
Celery's broadcast ping: it is shared by web and workers in both modes (the embedded
one's cache is each process's own, and its file-system broker has no broadcast), it
needs no round trip to the workers, and a page reads it with one indexed query. The
thread runs beside the pool, so a worker busy with long pumps still shows as alive; a
worker killed (kill -9, a lost machine) stops writing.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import bootsteps

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections
from django.db.models import QuerySet

from smsportal import worker_instance
from smsportal.lib.shared_clock import database_now

logger = logging.getLogger("campaigns.workers")

HEARTBEAT_SECONDS = 10
# A pump lease whose worker missed three heartbeats is taken over (lease_abandoned);
# pages wait longer (stale_after) before they warn, so a slow moment does not flash.
LEASE_DEAD_AFTER = timedelta(seconds=3 * HEARTBEAT_SECONDS)


def stale_after() -> timedelta:
    """No heartbeat for this long: the worker is taken for dead."""
    return timedelta(seconds=getattr(settings, "SMSPORTAL_WORKER_STALE_SECONDS", 60))


def heartbeat(instance: str, hostname: str) -> None:
    """Write one heartbeat of `instance`."""
    from campaigns.models import WorkerHeartbeat

    WorkerHeartbeat.write(instance, hostname)


def heartbeat_remove(instance: str) -> None:
    """A worker stopping on purpose says so at once, not after stale_after()."""
    from campaigns.models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(instance=instance).delete()


class Heartbeat(bootsteps.StartStopStep):
    """The worker's heartbeat thread (smsportal.celery adds it to every worker)."""

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        hostname = getattr(worker, "hostname", None) or socket.gethostname()
        # Set before the pool forks, so pool processes name the same instance.
        self.instance = f"{hostname}:{os.getpid()}:{secrets.token_hex(4)}"
        worker_instance.current = self.instance
        self.hostname = hostname
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, worker: Any) -> None:
        self.thread = threading.Thread(
            target=self._run, name="smsportal-heartbeat", daemon=True
        )
        self.thread.start()

    def stop(self, worker: Any) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=HEARTBEAT_SECONDS)
        try:
            heartbeat_remove(self.instance)
        except Exception:  # noqa: BLE001 - stopping must not fail on it
            logger.warning("could not remove heartbeat %s", self.instance)

    def _run(self) -> None:
        while True:
            close_old_connections()
            try:
                heartbeat(self.instance, self.hostname)
            except Exception:  # noqa: BLE001 - a database hiccup; try again next time
                logger.warning("heartbeat not written", exc_info=True)
            if self.stopping.wait(HEARTBEAT_SECONDS):
                return


# A worker asked to stop (SIGTERM: a deploy, `docker stop`) waits for its tasks, and
# a pump ran on for up to its 50 s: a supervisor that kills after 10 s cut it off
# mid-batch, leaving messages in doubt (a person to decide, on Webcom GET). The
# worker marks itself stopping in the cache, which its pool's processes share, and a
# pump hands over between batches.
STOP_MARK_SECONDS = 600
STOP_LOOK_EVERY = 1.0  # seconds between a pump's looks at the mark


def _stopping_key(instance: str) -> str:
    return f"worker-stopping:{instance}"


def worker_stopping_mark(instance: str) -> None:
    """Tell this worker's pumps to hand over (smsportal.celery, at shutdown)."""
    try:
        cache.set(_stopping_key(instance), 1, timeout=STOP_MARK_SECONDS)
    except Exception:  # noqa: BLE001 - stopping must not fail on the cache
        logger.warning("could not mark worker %s stopping", instance)


def stop_asked_check() -> Callable[[], bool]:
    """A check, cheap enough for every batch, whether this worker is stopping: it
    looks at the cache at most once a second. Outside a worker, never."""
    instance = worker_instance.name()
    if not instance:
        return lambda: False
    key = _stopping_key(instance)
    asked, next_look = False, 0.0

    def check() -> bool:
        nonlocal asked, next_look
        now = time.monotonic()
        if not asked and now >= next_look:
            next_look = now + STOP_LOOK_EVERY
            try:
                asked = bool(cache.get(key))
            except Exception:  # noqa: BLE001 - no cache: go on as before
                asked = False
        return asked

    return check


@dataclass(frozen=True)
class WorkerStatus:
    """The freshest heartbeat (how long ago, by the database's clock, as it was
    written), and whether anything waits for a worker."""

    last_seen: datetime | None
    work_waiting: bool
    seen_ago: timedelta | None = None

    @property
    def database_now(self) -> datetime | None:
        """The database's time when this was read: "seen N ago" counts to it, as the
        judgement does, not to the web server's clock."""
        if self.last_seen is None or self.seen_ago is None:
            return None
        return self.last_seen + self.seen_ago

    @property
    def state(self) -> str:
        """ "ok", "stale" (seen, not lately) or "none" (no heartbeat at all)."""
        if self.last_seen is None or self.seen_ago is None:
            return "none"
        return "ok" if self.seen_ago < stale_after() else "stale"

    @property
    def alarming(self) -> bool:
        """No live worker while work waits: what the pages warn of."""
        return self.work_waiting and self.state != "ok"


def worker_status() -> WorkerStatus:
    """Two or three small indexed queries: the last heartbeat, and (when no worker is
    alive) whether campaigns are sending or scheduled or jobs are queued."""
    from campaigns.models import WorkerHeartbeat

    last_seen, now = WorkerHeartbeat.last_seen()
    seen_ago = None if last_seen is None else now - last_seen
    alive = seen_ago is not None and seen_ago < stale_after()
    return WorkerStatus(last_seen=last_seen, seen_ago=seen_ago,
                        work_waiting=not alive and work_waiting())  # fmt: skip


def live_instances() -> QuerySet[Any]:
    """The instance names of the workers alive now (a subquery: a sweep compares
    a job's worker with them in the same statement)."""
    from campaigns.models import WorkerHeartbeat

    fresh = database_now() - stale_after()
    return WorkerHeartbeat.objects.filter(seen_at__gte=fresh).values("instance")


def work_waiting() -> bool:
    """Campaigns sending or scheduled, or imports and bulk jobs queued or running."""
    from campaigns.models import Campaign
    from contacts.models import ContactBulkJob, ImportJob, NumberingPlanLoad

    live = [Campaign.State.SENDING, Campaign.State.SCHEDULED]
    queued = ["queued", "running"]
    return (
        Campaign.objects.filter(state__in=live).exists()
        or ImportJob.objects.filter(status__in=queued).exists()
        or ContactBulkJob.objects.filter(status__in=queued).exists()
        or NumberingPlanLoad.objects.filter(status__in=queued).exists()
    )


def lease_owner() -> str | int:
    """What a pump writes into its lease: its worker's instance (OWNER_HERE outside
    one: not QUEUED, which says a campaign waits for a slot)."""
    from campaigns.turns import OWNER_HERE

    return worker_instance.name() or OWNER_HERE


def lease_abandoned(owner: object) -> bool:
    """Whether a pump lease held by `owner` belongs to a worker taken for dead.

    Only a lease that names a worker can be judged: one written when the pump was
    queued (1) runs out by itself. A worker stopped on purpose removed its row.
    Taking a lease over is safe even when the judgement is wrong (a worker frozen,
    not dead): the lease only keeps a slot to one pump, while every message is
    claimed in the database before it is sent, so two pumps never send one twice.
    """
    from campaigns.models import WorkerHeartbeat

    if not isinstance(owner, str) or not owner:
        return False
    seen = (
        WorkerHeartbeat.objects.filter(instance=owner)
        .values_list("seen_at", flat=True)
        .first()
    )
    return seen is None or database_now() - seen >= LEASE_DEAD_AFTER

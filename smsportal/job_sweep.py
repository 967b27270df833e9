"""Contacts jobs the task queue lost or whose worker went away (beat, every minute).

An import, a bulk action of the contact list and a numbering-plan load are saved,
then sent to the workers once the transaction commits. If the broker was down at
that moment (smsportal.outage), or lost the task, or the worker that took it died,
the job said "queued" or "running" for ever. The sweep, set-based per kind:

- sends again a job still queued SMSPORTAL_JOB_REQUEUE_SECONDS after it was last
  sent (enqueued_at), stamping the time first under a row lock, so two sweeps do
  not both send it. A copy still in the queue is harmless: whichever delivery
  comes first claims the job (contacts.job_claim), the other finds it taken.
- settles a job running on a worker whose heartbeat has gone (campaigns.workers),
  as its kind allows (KINDS). A job that names no worker (claimed outside one)
  cannot be judged and is left alone.

It lives in smsportal because it joins both sides: the jobs are contacts', the
heartbeats campaigns'.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from campaigns.workers import live_instances
from contacts.models import ContactBulkJob, ImportJob, NumberingPlanLoad, WorkerJob
from smsportal.outage import send_or_leave_queued

logger = logging.getLogger("smsportal.job_sweep")

RESUME, FAIL = "resume", "fail"
# A job whose worker died this many times is not started again by itself: it may be
# what kills them (memory), and it would take every worker down in turn.
MAX_RUNS = 3

IMPORT_WORKER_GONE = gettext_noop(
    "The worker running this import stopped before it finished (it was restarted "
    "or ran out of memory). Run it again: rows already imported are not added "
    "twice."
)
BULK_WORKERS_GONE = gettext_noop(
    "Workers stopped several times while running this action, so it was not "
    "started again: it may be what stops them. Ask your administrator to look at "
    "the workers' logs, then continue it: it goes on after the contacts already "
    "gone through."
)
LOAD_WORKERS_GONE = gettext_noop(
    "Workers stopped several times while loading these files, so the load was not "
    "started again: it may be what stops them. Nothing of it was kept; ask your "
    "administrator to look at the workers' logs, then upload the files again."
)


@dataclass(frozen=True)
class SweptKind:
    model: type[WorkerJob]
    task_path: str  # the Celery task that runs one job: (job_id, language=)
    worker_gone: str  # RESUME or FAIL
    reason: str  # why it failed (a msgid), in the job's language
    after_fail: Callable[[list[int]], None] | None = None


def _bulk_jobs_failed(ids: list[int]) -> None:
    from contacts.bulk_jobs import contacts_bulk_jobs_failed

    contacts_bulk_jobs_failed(ids)


def _loads_failed(ids: list[int]) -> None:
    from contacts.numbering_jobs import numbering_plan_loads_failed

    numbering_plan_loads_failed(ids)


# What becomes of a job running on a worker that is gone. Run again, none of the
# three does its work twice; what differs is whether running it again by itself is
# wise, so none is left for a person to untangle:
# - An import is failed at once, for a person to run again (its page has the
#   button). It is the job that holds the most in memory (the book's numbers, a
#   workbook), so its worker most likely died of it; and a run that got as far as
#   the commit would report every row "unchanged" if repeated unasked. Repeating
#   adds nothing twice (one transaction, rows matched on the phone).
# - A bulk action goes on after the last chunk it went through: each chunk commits
#   with the job's progress under the job's row lock, so no chunk is applied twice
#   and its memory is bounded (CHUNK), which makes it an unlikely killer.
# - A numbering-plan load runs again from the start: it is one transaction, so a
#   dead worker's load left nothing behind, and its files stay until it ends
#   (failed for good, they go: the reason asks for them to be uploaded again).
# Both are failed after MAX_RUNS, with a reason saying so.
KINDS = (
    SweptKind(ImportJob, "contacts.tasks.contacts_import", FAIL, IMPORT_WORKER_GONE),
    SweptKind(
        ContactBulkJob,
        "contacts.tasks.contacts_bulk_run",
        RESUME,
        BULK_WORKERS_GONE,
        after_fail=_bulk_jobs_failed,
    ),
    SweptKind(
        NumberingPlanLoad,
        "contacts.tasks.numbering_plan_load",
        RESUME,
        LOAD_WORKERS_GONE,
        after_fail=_loads_failed,
    ),
)


@dataclass
class Swept:
    """What one sweep did, by kind (the model's name)."""

    sent_again: dict[str, int] = field(default_factory=dict)
    resumed: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)


def requeue_after() -> timedelta:
    return timedelta(seconds=settings.SMSPORTAL_JOB_REQUEUE_SECONDS)


def jobs_sweep(*, now: datetime | None = None) -> Swept:
    """Send lost jobs again and settle those whose worker has gone."""
    now = now or timezone.now()
    swept = Swept()
    for kind in KINDS:
        name = kind.model.__name__
        waiting = _take_waiting(kind, now)
        resumed, failed = _settle_orphans(kind, now)
        _send(kind, waiting + resumed)
        swept.sent_again[name] = len(waiting)
        swept.resumed[name] = len(resumed)
        swept.failed[name] = failed
    return swept


def _take_waiting(kind: SweptKind, now: datetime) -> list[tuple[int, str]]:
    """Queued jobs last sent before the threshold: (id, language), their sending
    time stamped under a row lock (a second sweep skips them)."""
    cutoff = now - requeue_after()
    waiting = kind.model.objects.filter(status="queued").filter(
        Q(enqueued_at__lt=cutoff) | Q(enqueued_at__isnull=True)
    )
    with transaction.atomic():
        rows = list(
            waiting.select_for_update(skip_locked=True).values_list("pk", "language")
        )
        kind.model.objects.filter(pk__in=[pk for pk, _ in rows]).update(enqueued_at=now)
    return rows


def _settle_orphans(
    kind: SweptKind, now: datetime
) -> tuple[list[tuple[int, str]], int]:
    """Running jobs whose worker is gone: queued again (to be sent) or failed.
    Returns the ones queued again, and how many failed."""
    orphans = (
        kind.model.objects.filter(status="running")
        .exclude(worker="")
        .exclude(worker__in=live_instances())
    )
    with transaction.atomic():
        rows = list(
            orphans.select_for_update(skip_locked=True).values_list(
                "pk", "language", "attempts"
            )
        )
        if not rows:
            return [], 0
        again = [
            (pk, language)
            for pk, language, attempts in rows
            if kind.worker_gone == RESUME and attempts < MAX_RUNS
        ]
        again_ids = {pk for pk, _ in again}
        kind.model.objects.filter(pk__in=again_ids).update(
            status="queued", worker="", enqueued_at=now
        )
        failing: dict[str, list[int]] = defaultdict(list)
        for pk, language, _attempts in rows:
            if pk not in again_ids:
                failing[language].append(pk)
        for language, ids in failing.items():
            with translation.override(language or settings.LANGUAGE_CODE):
                reason = _(kind.reason)
            kind.model.objects.filter(pk__in=ids).update(
                status="failed", error=reason, finished_at=now
            )
        failed = [pk for ids in failing.values() for pk in ids]
        if failed and kind.after_fail is not None:
            kind.after_fail(failed)
    for pk, _language, attempts in rows:
        logger.warning(
            "%s %s: its worker is gone after %s run(s); %s",
            kind.model.__name__,
            pk,
            attempts,
            "queued again" if pk in again_ids else "failed",
        )
    return again, len(failed)


def _send(kind: SweptKind, rows: list[tuple[int, str]]) -> None:
    """Send each job to the workers. A broker that does not answer leaves the rest
    queued: the next sweep after the threshold sends them."""
    task = _task(kind.task_path)
    for pk, language in rows:
        if not send_or_leave_queued(task, pk, language=language or None):
            logger.warning("broker down: %s jobs wait", kind.model.__name__)
            return


def _task(path: str) -> Any:
    from importlib import import_module

    module, name = path.rsplit(".", 1)
    return getattr(import_module(module), name)

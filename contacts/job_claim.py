"""A worker taking a contacts job (import, bulk action, numbering-plan load).

One conditional UPDATE, as for messages (docs/architecture.md): the job moves to
running under this worker only if its status is one the caller may start from and
nobody has claimed it since it was read (`attempts`, counted up by each claim, is
the version compared). A task delivered twice, or sent again by the sweep
(smsportal.job_sweep) while the first is still in the queue, runs the job once.
The worker's instance name goes on the job, so the sweep can tell a job whose
worker has gone.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Model
from django.db.models.functions import Coalesce
from django.utils import timezone

from smsportal import worker_instance


def job_claim(job: Model, *, startable: Iterable[str]) -> bool:
    """Whether this worker now holds `job` (read just before); False when another
    took it meanwhile or its status is not one of `startable`."""
    model = type(job)
    now = timezone.now()
    claimed = model.objects.filter(
        pk=job.pk, status__in=list(startable), attempts=job.attempts
    ).update(
        status="running",
        # A job resumed (a bulk action) keeps when it first started.
        started_at=Coalesce(F("started_at"), now),
        worker=worker_instance.name(),
        attempts=F("attempts") + 1,
    )
    if claimed:
        job.refresh_from_db(fields=["status", "started_at", "worker", "attempts"])
    return bool(claimed)

"""Loading the numbering plan from the dashboard: uploads stored, loaded by a worker.

A load reads a few hundred thousand ranges and fills the zone of a whole contact book
(about 15 s for a million contacts), longer than a page request should take; the page
shows the load's progress and report (contacts.views.numbering_plan).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contacts.importing.sources import max_import_bytes
from contacts.job_claim import job_claim
from contacts.models import NumberingPlanLoad, NumberRange
from contacts.numbering import numbering_plan_load
from contacts.timezones import zone_label
from smsportal.exceptions import ApplicationError
from smsportal.outage import send_or_leave_queued
from smsportal.shared_files import stored_file_missing, upload_unreachable_message

logger = logging.getLogger("contacts.numbering")
UPLOAD_DIR = "numbering"


def numbering_plan_upload(
    *, uploads: Sequence[UploadedFile], user: Any = None
) -> NumberingPlanLoad:
    """Store the registry's files and queue their load once this commits."""
    from contacts.tasks import numbering_plan_load as load_task

    limit = max_import_bytes()
    for upload in uploads:
        if upload.size > limit:
            raise ApplicationError(
                _("%(file)s is larger than the largest file that can be uploaded.")
                % {"file": upload.name},
                where="files",
            )
    stamp = timezone.now().strftime("%Y/%m/%d-%H%M%S")
    files = [
        {"name": upload.name[:255],
         "path": default_storage.save(f"{UPLOAD_DIR}/{stamp}/{upload.name}", upload)}
        for upload in uploads
    ]  # fmt: skip
    job = NumberingPlanLoad.objects.create(
        files=files,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        language=translation.get_language() or "",  # the uploader's, for the report
        enqueued_at=timezone.now(),
    )
    language = job.language or None
    transaction.on_commit(
        lambda: send_or_leave_queued(load_task, job.pk, language=language)
    )
    return job


def numbering_plan_job_run(*, job_id: int) -> NumberingPlanLoad:
    """Load a queued upload; a file the registry would not write fails it, with why."""
    job = NumberingPlanLoad.objects.get(pk=job_id)
    if job.is_finished:
        return job  # delivered again after it ran: nothing to do
    # Running: a worker died mid-load and the task came back (acks_late); the load
    # is one transaction, so running it again is safe.
    startable = (NumberingPlanLoad.Status.QUEUED, NumberingPlanLoad.Status.RUNNING)
    if not job_claim(job, startable=startable):
        return job  # another delivery took it meanwhile
    missing = [
        f["name"]
        for f in job.files
        if stored_file_missing(
            storage=default_storage, name=f["path"], what=f"numbering plan {job.pk}"
        )
    ]
    if missing:
        job.status = NumberingPlanLoad.Status.FAILED
        job.error = upload_unreachable_message(file_name=", ".join(missing))
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    try:
        with ExitStack() as stack:
            opened = [
                (f["name"], stack.enter_context(default_storage.open(f["path"], "rb")))
                for f in job.files
            ]
            load = numbering_plan_load(opened)
    except ApplicationError as exc:
        job.status, job.error = NumberingPlanLoad.Status.FAILED, exc.message
    except Exception:
        logger.exception("numbering plan load %s failed", job.pk)
        job.status = NumberingPlanLoad.Status.FAILED
        job.error = _("The load failed unexpectedly; the ranges loaded before stay.")
    else:
        job.status = NumberingPlanLoad.Status.DONE
        job.report = {
            "ranges": load.ranges,
            "rejected": load.rejected,
            "examples": load.examples,
            "unknown_regions": load.unknown_regions.most_common(),
            "contacts_zoned": load.contacts_zoned,
            "contacts_rezoned": load.contacts_rezoned,
            "messages_rezoned": load.messages_rezoned,
        }
    job.finished_at = timezone.now()
    # Only while the job is still this run's: a worker thought gone, whose job the
    # sweep gave to another, must not write over that run's outcome nor take its
    # files away (its ranges waited for the other's, see numbering_plan_load).
    still_ours = NumberingPlanLoad.objects.filter(pk=job.pk, attempts=job.attempts)
    if not still_ours.update(
        status=job.status, error=job.error, report=job.report,
        finished_at=job.finished_at,
    ):  # fmt: skip
        logger.warning("numbering plan load %s: taken over, outcome left", job.pk)
        return job
    numbering_plan_files_delete(job)
    return job


def numbering_plan_files_delete(job: NumberingPlanLoad) -> None:
    """The files are public data and the report is kept: they need not fill the disk."""
    for stored in job.files:
        default_storage.delete(stored["path"])


def numbering_plan_loads_failed(ids: list[int]) -> None:
    """Loads failed for good (smsportal.job_sweep): nobody loads their files again.
    They go once the failure commits."""
    jobs = list(NumberingPlanLoad.objects.filter(pk__in=ids))
    transaction.on_commit(lambda: [numbering_plan_files_delete(job) for job in jobs])


def numbering_plan_summary() -> dict[str, Any]:
    """What is loaded now: how many ranges, and how many of them each zone has."""
    zones = list(
        NumberRange.objects.values("time_zone")
        .annotate(ranges=Count("id"))
        .order_by("-ranges", "time_zone")
    )
    for row in zones:
        row["label"] = zone_label(row["time_zone"]) if row["time_zone"] else ""
    return {"ranges": sum(z["ranges"] for z in zones), "zones": zones}

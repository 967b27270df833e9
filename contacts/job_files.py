"""How long the files of contacts jobs are kept in MEDIA_ROOT.

An import's upload is the user's whole file (names, numbers: personal data) and its
rejected rows a copy of the rows it could not take. Both were kept for ever: a
200,000-row CSV left 11.9 MB behind it, its rejected rows 2.8 MB more. Now:

- a done import's upload goes as soon as it is done (its rows are in the book; the
  rejected rows are what the user needs);
- a failed import's upload stays for "Run this import again", and the rejected rows
  of any import stay, for SMSPORTAL_IMPORT_FILES_DAYS after it finished; the hourly
  task (contacts.import_uploads_expire) removes them, and the import's page says
  they were removed instead of offering a broken link;
- deleting a job (the admin, the discard of an upload, a shell) removes its files
  once the delete commits (a rolled-back delete keeps both). The same for a
  numbering-plan load, whose files already go once it has run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import ngettext

from contacts.models import ImportJob, NumberingPlanLoad


def import_files_days() -> int:
    return settings.SMSPORTAL_IMPORT_FILES_DAYS


def rejects_removed_message() -> str:
    """Why an import's rejected rows cannot be downloaded any more."""
    days = import_files_days()
    return ngettext(
        "The file of the rows that were not imported was kept for %(days)s day "
        "after the import and has been removed.",
        "The file of the rows that were not imported was kept for %(days)s days "
        "after the import and has been removed.",
        days,
    ) % {"days": days}


def stored_files_delete_on_commit(storage: Storage, names: Iterable[str]) -> None:
    """Delete the named files once the current transaction commits (at once outside
    one); a file already gone is no error."""
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: [storage.delete(name) for name in names])


def import_upload_release(job: ImportJob) -> None:
    """Forget a finished import's upload (the caller saves the job) and delete the
    file after the commit."""
    name = job.file.name
    job.file = ""
    stored_files_delete_on_commit(job.file.storage, [name])


def import_files_expire(*, now: datetime | None = None) -> int:
    """Remove the uploads of done imports (any left from before they went at once)
    and every file of imports finished longer than SMSPORTAL_IMPORT_FILES_DAYS ago;
    how many imports lost a file. Set-based: one read, one update."""
    cutoff = (now or timezone.now()) - timedelta(days=import_files_days())
    done_upload = Q(status=ImportJob.Status.DONE) & ~Q(file="")
    old = Q(finished_at__lt=cutoff) & (~Q(file="") | ~Q(rejects=""))
    finished = (ImportJob.Status.DONE, ImportJob.Status.FAILED)
    with transaction.atomic():
        rows = list(
            ImportJob.objects.select_for_update(skip_locked=True)
            .filter(done_upload | old, status__in=finished)
            .values_list("pk", "finished_at", "file", "rejects")
        )
        if not rows:
            return 0
        names: list[str] = []
        uploads_only: list[int] = []
        both: list[int] = []
        for pk, finished_at, upload, rejects in rows:
            if finished_at is not None and finished_at < cutoff:
                both.append(pk)
                names += [upload, rejects]
            else:  # done lately: the rejected rows stay
                uploads_only.append(pk)
                names.append(upload)
        ImportJob.objects.filter(pk__in=uploads_only).update(file="")
        ImportJob.objects.filter(pk__in=both).update(file="", rejects="")
        storage = ImportJob._meta.get_field("file").storage
        stored_files_delete_on_commit(storage, names)
    return len(rows)


def _import_job_deleted(sender: Any, instance: ImportJob, **kwargs: Any) -> None:
    storage = ImportJob._meta.get_field("file").storage
    stored_files_delete_on_commit(storage, [instance.file.name, instance.rejects.name])


def _numbering_plan_load_deleted(
    sender: Any, instance: NumberingPlanLoad, **kwargs: Any
) -> None:
    stored_files_delete_on_commit(default_storage, [f["path"] for f in instance.files])


def job_files_signals_connect() -> None:
    """post_delete also fires for a queryset's delete (the admin's "delete selected")."""
    from django.db.models.signals import post_delete

    post_delete.connect(
        _import_job_deleted, sender=ImportJob, dispatch_uid="import-job-files"
    )
    post_delete.connect(
        _numbering_plan_load_deleted,
        sender=NumberingPlanLoad,
        dispatch_uid="numbering-plan-load-files",
    )

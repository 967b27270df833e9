from celery import shared_task

from django.conf import settings
from django.utils import translation

# The jobs write what they report (reasons, rejected rows' header, errors) in the
# language of the person who uploaded the file, not the worker's default.


@shared_task(name="contacts.contacts_import", acks_late=True)
def contacts_import(job_id: int, language: str | None = None) -> None:
    """Run one queued contacts or stop-list import job."""
    from contacts.services import contacts_import as contacts_import_service

    with translation.override(language or settings.LANGUAGE_CODE):
        contacts_import_service(job_id=job_id)


@shared_task(name="contacts.numbering_plan_load", acks_late=True)
def numbering_plan_load(job_id: int, language: str | None = None) -> None:
    """Load one uploaded copy of the numbering plan registry."""
    from contacts.numbering_jobs import numbering_plan_job_run

    with translation.override(language or settings.LANGUAGE_CODE):
        numbering_plan_job_run(job_id=job_id)


@shared_task(name="contacts.import_uploads_expire")
def import_uploads_expire() -> int:
    """Discard uploads left at the column step for a day, and remove the files of
    finished imports that are not kept any more (contacts.job_files); hourly
    (smsportal/celery.py). How many imports went or lost a file."""
    from contacts.job_files import import_files_expire
    from contacts.services import import_uploads_expire as expire

    return expire() + import_files_expire()


@shared_task(name="contacts.contacts_bulk_run", acks_late=True)
def contacts_bulk_run(job_id: int, language: str | None = None) -> None:
    """Apply one queued bulk action of the contact list (contacts.bulk_jobs)."""
    from contacts.bulk_jobs import contacts_bulk_job_run

    with translation.override(language or settings.LANGUAGE_CODE):
        contacts_bulk_job_run(job_id=job_id)

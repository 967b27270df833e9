from celery import shared_task


@shared_task(name="contacts.contacts_import", acks_late=True)
def contacts_import(job_id: int) -> None:
    """Run one queued contacts or stop-list import job."""
    from contacts.services import contacts_import as contacts_import_service

    contacts_import_service(job_id=job_id)


@shared_task(name="contacts.numbering_plan_load", acks_late=True)
def numbering_plan_load(job_id: int) -> None:
    """Load one uploaded copy of the numbering plan registry."""
    from contacts.numbering_jobs import numbering_plan_job_run

    numbering_plan_job_run(job_id=job_id)

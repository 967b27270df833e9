from celery import shared_task


@shared_task(name="contacts.contacts_import", acks_late=True)
def contacts_import(job_id: int) -> None:
    """Run one queued contacts or stop-list import job."""
    from contacts.services import contacts_import as contacts_import_service

    contacts_import_service(job_id=job_id)

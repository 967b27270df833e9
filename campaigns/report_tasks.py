"""Periodic work of the reporting side; registered through smsportal.celery's imports."""

from celery import shared_task


@shared_task(name="campaigns.stoplist_sync_all")
def stoplist_sync_all() -> list[dict]:
    """Sync the stop list with every active account whose gateway keeps one."""
    from dataclasses import asdict

    from campaigns.stoplist_sync import stoplist_sync_all as sync_all

    return [asdict(result) for result in sync_all()]

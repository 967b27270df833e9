from datetime import datetime
from typing import Any

from django import template

from contacts.timezones import zone_name as _zone_name
from contacts.timezones import zoned, zoned_header

register = template.Library()


@register.filter
def zone_name(name: str) -> str:
    """A time zone as people name it: "Владивосток", not "Asia/Vladivostok"."""
    return _zone_name(name) if name else ""


@register.filter(name="zoned")
def zoned_filter(value: datetime | None, name: str = "") -> str:
    """ "06.12.2026 20:13 (Владивосток)": the time in zone `name` (the current zone
    when none is given), which the text names."""
    return zoned(value, name) if isinstance(value, datetime) else ""


@register.filter(name="zoned_header")
def zoned_header_filter(label: str) -> str:
    """A column heading that names the current zone its times are in."""
    return zoned_header(label)


@register.filter
def may_run_again(job: Any, user: Any) -> bool:
    """Whether `user` may retry this failed contacts job (an import or a bulk
    action): the right its kind needs to be started at all."""
    from contacts.forms import BulkActionForm
    from contacts.models import ContactBulkJob, ImportJob

    if job.status != "failed":
        return False
    if isinstance(job, ImportJob):
        from contacts.views import IMPORT_PERMISSIONS

        return (
            bool(job.options)
            and bool(job.file)  # removed after SMSPORTAL_IMPORT_FILES_DAYS
            and user.has_perm(IMPORT_PERMISSIONS[job.kind])
        )
    if isinstance(job, ContactBulkJob):
        return user.has_perm(BulkActionForm.PERMISSIONS[job.action])
    return False


@register.simple_tag
def import_files_days() -> int:
    """Days an import's files are kept after it finished (contacts.job_files)."""
    from contacts.job_files import import_files_days as days

    return days()

"""System checks of what contacts' time zones rest on (run by `manage.py check`,
migrate and runserver; registered in ContactsConfig.ready)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.checks import CheckMessage, Tags, Warning, register

from contacts.phone import KAZAKHSTAN_ZONE

# Kazakhstan keeps one zone, UTC+5, since 1 March 2024 (tzdata 2024a).
KAZAKHSTAN_OFFSET = timedelta(hours=5)


def kazakhstan_offset() -> timedelta | None:
    """The offset the system's time zone data gives Kazakhstan now; None without
    the zone at all."""
    try:
        return datetime(2025, 1, 1, tzinfo=ZoneInfo(KAZAKHSTAN_ZONE)).utcoffset()
    except ZoneInfoNotFoundError:
        return None


def _utc(offset: timedelta | None) -> str:
    if offset is None:
        return "no offset (the zone is missing)"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


@register(Tags.compatibility)
def time_zone_data_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Kazakhstan's numbers are zoned Asia/Almaty (contacts.phone), which older time
    zone data puts at UTC+6: quiet hours there would begin and end an hour early."""
    offset = kazakhstan_offset()
    if offset == KAZAKHSTAN_OFFSET:
        return []
    return [
        Warning(
            f"The system's time zone data puts {KAZAKHSTAN_ZONE} at "
            f"{_utc(offset)}, not UTC+5: it is older than 2024a, and quiet hours for "
            "Kazakhstan's numbers would be an hour off.",
            hint="Update the system's tzdata package (apt-get install tzdata).",
            id="contacts.W001",
        )
    ]

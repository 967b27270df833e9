"""A campaign's start on the clock of its zone: the instant is stored (in UTC), the
zone is the campaign's `time_zone`, and what a person reads is the wall time there."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _


def start_zone(time_zone: str) -> ZoneInfo:
    """The campaign's zone; UTC for a name this machine's zone database lacks (as
    the composer reads it)."""
    try:
        return ZoneInfo(time_zone) if time_zone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def start_on_clock(start_at: datetime | None, time_zone: str) -> datetime | None:
    """`start_at` in `time_zone`, with the offset it had there then (fold set on
    the second of a wall time the autumn change repeats)."""
    if start_at is None:
        return None
    try:
        return start_at.astimezone(start_zone(time_zone))
    except OverflowError:  # a day from the calendar's end has no date everywhere
        return start_at.astimezone(UTC)


def repeated_start_clock(start_at: datetime | None, time_zone: str) -> str:
    """For a start at a wall time the zone's autumn change shows twice, its clock in
    brief: "summer time, UTC+02:00" (said beside the wall time where a whole note
    does not fit: the launch button, its confirmation, the status line). "" for
    any other start."""
    local = start_on_clock(start_at, time_zone)
    if local is None:
        return ""
    other = local.replace(fold=1 - local.fold)
    if other.utcoffset() == local.utcoffset():
        return ""  # fold changes nothing: the clocks show this time once
    offset = local.strftime("%z")
    clock = f"UTC{offset[:3]}:{offset[3:]}"
    # By summer time where the zone keeps one; a zone that moved its standard time
    # back for good (Volgograd in 2020) has no summer or winter to name.
    if local.dst():
        return _("summer time, %(offset)s") % {"offset": clock}
    if other.dst():
        return _("winter time, %(offset)s") % {"offset": clock}
    return clock


def repeated_start_note(start_at: datetime | None, time_zone: str) -> str:
    """For a start at a wall time the zone's autumn change shows twice, which of the
    two it is: "02:30 the first time round (summer time, UTC+02:00): the clocks go
    back that night and show 02:30 twice." "" for any other start: the wall time
    and the zone's name say it all."""
    clock = repeated_start_clock(start_at, time_zone)
    if not clock:
        return ""
    local = start_on_clock(start_at, time_zone)
    values = {"time": f"{local:%H:%M}", "clock": clock}
    if local.fold == 0:
        return (
            _(
                "%(time)s the first time round (%(clock)s): the clocks go back that "
                "night and show %(time)s twice."
            )
            % values
        )
    return (
        _(
            "%(time)s the second time round (%(clock)s): the clocks go back that night "
            "and show %(time)s twice."
        )
        % values
    )

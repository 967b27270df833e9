"""A campaign's start on the clock of its zone: the instant is stored (in UTC), the
zone is the campaign's `time_zone`, and what a person reads is the wall time there."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


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

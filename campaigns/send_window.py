"""A campaign's daily send window on a recipient's wall clock.

The window is [start, end) of local time. One whose end comes before its start runs
overnight: 22:00–06:00 sends from 22:00 until 06:00 the next morning (a night-shift
service, a taxi company). The planning (campaigns.planning and its SQL twin in
campaigns.expansion) and the hold at send time (campaigns.quiet_hours) all read it
from here, so they agree on where it opens and closes.

Times are naive wall-clock datetimes: Russia keeps no summer time, and a wall-clock
day is what a window means elsewhere too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

DAY = timedelta(days=1)


@dataclass(frozen=True)
class SendWindow:
    start: time
    end: time

    @property
    def is_empty(self) -> bool:
        """Starts when it ends: the forms refuse it. One stored all the same holds
        nothing back (contains() is always true) rather than everything forever."""
        return self.start == self.end

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    @property
    def length(self) -> timedelta:
        day = date(2000, 1, 1)
        length = datetime.combine(day, self.end) - datetime.combine(day, self.start)
        return length + DAY if length <= timedelta(0) else length

    def contains(self, moment: time) -> bool:
        if self.is_empty:
            return True
        if self.crosses_midnight:
            return moment >= self.start or moment < self.end
        return self.start <= moment < self.end

    def opening_after(self, local: datetime) -> datetime:
        """The first opening at or after `local` (wall clock)."""
        day = local.date() if local.time() <= self.start else local.date() + DAY
        return datetime.combine(day, self.start)

    def moved_in(self, local: datetime) -> datetime:
        """`local` if the window is open then, else its next opening."""
        return local if self.contains(local.time()) else self.opening_after(local)

    def closing_after(self, local: datetime) -> datetime:
        """When the window open at `local` closes: the first `end` after it."""
        day = local.date() if local.time() < self.end else local.date() + DAY
        return datetime.combine(day, self.end)

    def sql_contains(self, local_sql: str) -> tuple[str, list[time]]:
        """contains() in SQL, on a timestamp-without-zone expression (wall clock)."""
        if self.is_empty:
            return "TRUE", []
        joiner = "OR" if self.crosses_midnight else "AND"
        return (
            f"({local_sql}::time >= %s::time {joiner} {local_sql}::time < %s::time)",
            [self.start, self.end],
        )

"""The campaign report's delivery chart: messages delivered per minute, hour, day,
week or month.

The unit follows the deliveries themselves, first to last: a campaign is finished once
everything is handed to the gateway, while quiet hours or spreading keep the gateway
delivering for hours after, so the campaign's own launch and finish say little about
the chart. Every bucket between the first and the last gets a bar, zero or not, so the
category axis reads as evenly spaced time.

The deliveries per minute come from the campaign's kept tally (one aggregate query
over campaigns.report_tallies, no scan of its messages); the coarser units are summed
from those rows here. The rows are bounded by the minutes in which something was
delivered (1,440 a day at most).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from campaigns.models import Campaign
from campaigns.report_tallies import delivered_minutes

# Finest first; the chart takes the first that needs at most MAX_BUCKETS bars.
UNITS = ("minute", "hour", "day", "week", "month")
MAX_BUCKETS = 200
_STEP = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
# As both languages' short dates and times (smsportal/formats), without the year.
_LABEL_FORMAT = {
    "minute": "%d.%m %H:%M",
    "hour": "%d.%m %H:00",
    "day": "%d.%m.%Y",
    "week": "%d.%m.%Y",  # the week's Monday
    "month": "%m.%Y",
}


@dataclass(frozen=True)
class ChartSeries:
    unit: str  # one of UNITS
    labels: list[str]
    values: list[int]


def bucket_start(moment: datetime, unit: str) -> datetime:
    """The start of the `unit` that holds `moment` (weeks start on Monday)."""
    if unit == "minute":
        return moment.replace(second=0, microsecond=0)
    if unit == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(start: datetime, unit: str) -> datetime:
    """The bucket after the one starting at `start`."""
    if unit == "month":
        return start.replace(
            year=start.year + start.month // 12, month=start.month % 12 + 1
        )
    return start + _STEP[unit]


def bucket_count(first: datetime, last: datetime, unit: str) -> int:
    """Bars from the bucket of `first` to the bucket of `last`, both included."""
    first, last = bucket_start(first, unit), bucket_start(last, unit)
    if unit == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return (last - first) // _STEP[unit] + 1


def chart_unit(first: datetime, last: datetime) -> str:
    """The finest unit that draws `first` to `last` in at most MAX_BUCKETS bars."""
    for unit in UNITS:
        if bucket_count(first, last, unit) <= MAX_BUCKETS:
            return unit
    return UNITS[-1]


def series_from_minutes(per_minute: dict[datetime, int]) -> ChartSeries:
    """Deliveries per local minute summed into the chart's unit, gaps filled with 0."""
    first, last = min(per_minute), max(per_minute)
    unit = chart_unit(first, last)
    totals: Counter[datetime] = Counter()
    for minute, count in per_minute.items():
        totals[bucket_start(minute, unit)] += count
    if bucket_count(first, last, unit) <= MAX_BUCKETS:
        buckets, bucket = [], bucket_start(first, unit)
        while bucket <= last:
            buckets.append(bucket)
            bucket = next_bucket(bucket, unit)
    else:
        # Only delivery times decades apart (a gateway's clock gone wrong) get here:
        # the months with deliveries, not hundreds of empty ones between them.
        buckets = sorted(totals)
    fmt = _LABEL_FORMAT[unit]
    return ChartSeries(
        unit=unit,
        labels=[bucket.strftime(fmt) for bucket in buckets],
        values=[totals[bucket] for bucket in buckets],
    )


def campaign_delivery_chart(*, campaign: Campaign) -> ChartSeries | None:
    """Messages delivered (or read) per unit of time, from the first delivery to the
    last; None for a campaign that never started and has nothing delivered."""
    per_minute = delivered_per_minute(campaign=campaign)
    if per_minute:
        return series_from_minutes(per_minute)
    start = campaign.launched_at or campaign.start_at
    if start is None:
        return None
    # Nothing delivered yet: the unit by the campaign's own span, for the heading.
    end = campaign.finished_at or timezone.now()
    return ChartSeries(
        unit=chart_unit(_local(start), _local(end)), labels=[], values=[]
    )


def delivered_per_minute(*, campaign: Campaign) -> dict[datetime, int]:
    """{local minute (naive): messages delivered in it}, in one aggregate query.

    The tally keeps UTC minutes: every zone's offset has been whole minutes since
    the 1920s (and a reported time before 2000 is replaced by its arrival,
    campaigns.gateway_values), so each is one local minute.
    """
    per_minute: Counter[datetime] = Counter()
    for minute, count in delivered_minutes(campaign_id=campaign.pk).items():
        per_minute[_local(minute)] += count
    return dict(per_minute)


def _local(moment: datetime) -> datetime:
    # Buckets are counted on the wall clock: a day is a local day, and a DST change
    # cannot make two bars of one hour or shift the days.
    return timezone.localtime(moment).replace(tzinfo=None)

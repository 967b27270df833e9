"""What campaigns leave held at the gateway for a later time: their messages handed
over (a gateway id), queued or sent, planned after now.

On PostgreSQL the minutes after the current one are summed from the tally the
message table's triggers keep per (campaign, UTC minute of the planned time)
(campaigns 0035, CampaignHeldCount), and the rest of the current minute is counted
through the index of handed-over messages by (campaign, planned minute, planned
time) (campaigns 0034): a spread campaign handed over whole holds all of its million messages for
hours, and reading them for their status took a second. The answer is exact: the
tally's minutes after the current one hold only times after now. The tally keeps a
minute while it is ahead and leaves it once passed (reports for messages whose time
has passed, most of them, write nothing to it); counts_squash removes what stays. SQLite (the
embedded demo) has no triggers for the tally and counts the messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Count, Max, QuerySet, Sum
from django.db.models.functions import TruncMinute
from django.utils import timezone

from campaigns.models import CampaignHeldCount, Message
from providers.base import DeliveryStatus
from smsportal.lib.sqlutil import is_postgres

# Handed over and not yet final. Sent too: Webcom has no word for "held for its time"
# and reports such a message as `send`, so a status poll turns it SENT hours before it
# leaves; its planned time, still ahead, says it waits. The tally's trigger (campaigns
# 0035) writes the same condition in SQL.
HELD_AT_GATEWAY = (DeliveryStatus.QUEUED, DeliveryStatus.SENT)

MINUTE = timedelta(minutes=1)


def handed_over_held(campaign_ids: Iterable[int]) -> QuerySet[Message]:
    """The messages of these campaigns the gateway has and has not settled."""
    return Message.objects.filter(
        campaign_id__in=list(campaign_ids), status__in=HELD_AT_GATEWAY
    ).exclude(gateway_message_id="")


def held_waits(
    campaign_ids: list[int], now: datetime
) -> dict[int, tuple[int, datetime]]:
    """{campaign: (messages held for after `now`, the last one's planned time)} for
    those of `campaign_ids` with any."""
    if not campaign_ids:
        return {}
    if not is_postgres():
        return scanned_held_waits(campaign_ids, now)
    boundary = now.astimezone(UTC).replace(second=0, microsecond=0) + MINUTE
    counts: dict[int, int] = {}
    last_minute: dict[int, datetime] = {}
    for row in (
        CampaignHeldCount.objects.filter(
            campaign_id__in=campaign_ids, minute__gte=boundary
        )
        .values("campaign_id", "minute")
        .annotate(n=Sum("count"))
        .filter(n__gt=0)
        .order_by()
    ):
        pk = row["campaign_id"]
        counts[pk] = counts.get(pk, 0) + row["n"]
        last_minute[pk] = max(row["minute"], last_minute.get(pk, row["minute"]))
    last_at = _current_minute(campaign_ids, now, boundary - MINUTE, counts)
    last_at.update(_last_in_minutes(last_minute))
    return {pk: (n, last_at[pk]) for pk, n in counts.items() if n}


def held_after_this_minute(campaign_ids: list[int], now: datetime) -> dict[int, int]:
    """{campaign: messages the gateway holds for a minute after the current one} for
    those of `campaign_ids` with any: from the tally alone, no message read (the
    dashboard). A campaign whose last held messages are due within the current minute
    is not among them."""
    if not campaign_ids:
        return {}
    if not is_postgres():
        waits = scanned_held_waits(campaign_ids, now)
        return {pk: count for pk, (count, _) in waits.items()}
    boundary = now.astimezone(UTC).replace(second=0, microsecond=0) + MINUTE
    return dict(
        CampaignHeldCount.objects.filter(
            campaign_id__in=campaign_ids, minute__gte=boundary
        )
        .values("campaign_id")
        .annotate(n=Sum("count"))
        .filter(n__gt=0)
        .values_list("campaign_id", "n")
    )


# The index's (campaigns 0037) minute expression and condition, word for word: the
# planner uses a partial index only for a query that repeats its condition. The
# queries below write out the rest of it too (a gateway id, a campaign) and
# HELD_AT_GATEWAY's statuses. Handed over before its planned time: a message recorded
# after its planned time went without a send time, and the gateway holds nothing.
HELD_MINUTE_SQL = "date_bin('1 minute', planned_at, timestamptz '2000-01-01 00:00+00')"
HELD_LATER_SQL = "(submitted_at IS NULL OR submitted_at < planned_at)"


# Messages held for the rest of a minute after now, per campaign.
CURRENT_MINUTE_SQL = f"""SELECT campaign_id, COUNT(*), MAX(planned_at)
    FROM campaigns_message
    WHERE campaign_id = ANY(%(ids)s) AND {HELD_MINUTE_SQL} = %(minute)s
      AND "planned_at" > %(now)s AND {HELD_LATER_SQL}
      AND gateway_message_id <> '' AND status IN ('queued', 'sent')
    GROUP BY campaign_id"""
# The last held message's time within the given minute of each campaign.
LAST_IN_MINUTES_SQL = f"""SELECT c.id, m.planned_at
    FROM unnest(%(ids)s::bigint[], %(minutes)s::timestamptz[]) AS c (id, minute)
    CROSS JOIN LATERAL (
        SELECT planned_at FROM campaigns_message
        WHERE campaign_id = c.id AND {HELD_MINUTE_SQL} = c.minute
          AND {HELD_LATER_SQL}
          AND gateway_message_id <> '' AND status IN ('queued', 'sent')
        ORDER BY planned_at DESC LIMIT 1
    ) AS m"""


def _current_minute(
    campaign_ids: list[int], now: datetime, minute: datetime, counts: dict[int, int]
) -> dict[int, datetime]:
    """Add to `counts` the messages held for the rest of the current `minute` (after
    `now`); {campaign: the last one's time} of those with any."""
    last_at = {}
    with connection.cursor() as cursor:
        cursor.execute(
            CURRENT_MINUTE_SQL, {"ids": campaign_ids, "minute": minute, "now": now}
        )
        for pk, n, last in cursor.fetchall():
            counts[pk] = counts.get(pk, 0) + n
            last_at[pk] = last
    return last_at


def _last_in_minutes(minutes: dict[int, datetime]) -> dict[int, datetime]:
    """{campaign: its last held message's planned time} within the given minute of
    each: down the index from the minute's end to the first held one (a minute may
    hold a million: quiet hours open for all at once)."""
    if not minutes:
        return {}
    found = dict(minutes)  # the tally's minute, should its messages have gone
    with connection.cursor() as cursor:
        cursor.execute(
            LAST_IN_MINUTES_SQL,
            {"ids": list(minutes), "minutes": list(minutes.values())},
        )
        found.update(cursor.fetchall())
    return found


def scanned_held_waits(
    campaign_ids: list[int], now: datetime
) -> dict[int, tuple[int, datetime]]:
    """held_waits() from the messages themselves."""
    return {
        row["campaign_id"]: (row["n"], row["last"])
        for row in handed_over_held(campaign_ids)
        .filter(planned_at__gt=now)
        .values("campaign_id")
        .annotate(n=Count("id"), last=Max("planned_at"))
        .order_by()
        if row["n"]
    }


def held_mismatches() -> list[tuple[tuple[int, datetime], int, int]]:
    """((campaign, minute), counted, kept) wherever the held tally disagrees with a
    GROUP BY over the messages, from the current minute on: the tally leaves a
    minute once it has passed (campaigns 0035). A full scan: for checks and tests,
    never for pages."""
    if not is_postgres():
        return []
    current = timezone.now().astimezone(UTC).replace(second=0, microsecond=0)
    counted = {
        (r["campaign_id"], r["minute"]): r["n"]
        for r in Message.objects.filter(
            campaign__isnull=False, status__in=HELD_AT_GATEWAY
        )
        .exclude(gateway_message_id="")
        .annotate(minute=TruncMinute("planned_at", tzinfo=UTC))
        .filter(minute__gte=current)
        .values("campaign_id", "minute")
        .annotate(n=Count("id"))
    }
    kept = {
        (r["campaign_id"], r["minute"]): r["n"]
        for r in CampaignHeldCount.objects.filter(minute__gte=current)
        .values("campaign_id", "minute")
        .annotate(n=Sum("count"))
    }
    keys = set(counted) | {k for k, v in kept.items() if v}
    return sorted(
        (key, counted.get(key, 0), kept.get(key, 0))
        for key in keys
        if counted.get(key, 0) != kept.get(key, 0)
    )

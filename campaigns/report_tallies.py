"""A campaign report's breakdowns: money and messages per operator and status, the
commonest failures, deliveries per minute.

On PostgreSQL they are read from the tallies the message table's triggers keep
(campaigns 0032: CampaignOperatorCount, CampaignFailureCount, CampaignDeliveryCount),
a few rows per campaign however many messages it has: scanning a million messages
for them made a report's first view take seconds. The `scanned_*` functions compute
the same from the messages: SQLite (the embedded demo) has no triggers for the
tallies and uses them, and `manage.py counts_check` compares the two.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMinute

from campaigns.models import (
    CampaignDeliveryCount,
    CampaignFailureCount,
    CampaignOperatorCount,
    Message,
)
from providers.base import DeliveryStatus, FailureReason
from smsportal.lib.sqlutil import is_postgres

# As campaigns.selectors has them (which imports the counts, which squash these).
DELIVERED = (DeliveryStatus.DELIVERED, DeliveryStatus.READ)
FAILED = (DeliveryStatus.UNDELIVERED, DeliveryStatus.REJECTED, DeliveryStatus.FAILED)

# Operator rows: {"operator", "status", "n", "reported", "estimated", "unpriced",
# "gateway_priced"}.
# Failure rows: {"status", "reason", "vendor_code", "vendor_text", "n"}.


def operator_rows(*, campaign_id: int) -> list[dict]:
    """Messages, reported cost, estimate of the unpriced-by-the-gateway, count of the
    unpriced and of those the gateway priced, per (operator, status) with any
    message."""
    if not is_postgres():
        return scanned_operator_rows(campaign_id=campaign_id)
    rows = (
        CampaignOperatorCount.objects.filter(campaign_id=campaign_id)
        .values("operator", "status")
        .annotate(
            n=Sum("count"),
            reported=Sum("cost"),
            estimated=Sum("estimated"),
            unpriced=Sum("unpriced"),
            gateway_priced=Sum("gateway_priced"),
        )
        .filter(n__gt=0)
        .order_by()
    )
    return list(rows)


def pending_estimate(*, campaign_ids: list[int]) -> Decimal:
    """What the campaigns' messages not yet sent will cost, at our estimate."""
    if not campaign_ids:
        return Decimal(0)
    if is_postgres():
        total = CampaignOperatorCount.objects.filter(
            campaign_id__in=campaign_ids, status=DeliveryStatus.PENDING
        ).aggregate(total=Sum("estimated"))["total"]
    else:
        total = Message.objects.filter(
            campaign_id__in=campaign_ids, is_pending=True
        ).aggregate(total=Sum("estimated_cost"))["total"]
    return total or Decimal(0)


def failure_rows(*, campaign_id: int, limit: int) -> list[dict]:
    """The commonest (status, reason, gateway code, gateway text) among the failed."""
    if not is_postgres():
        return scanned_failure_rows(campaign_id=campaign_id, limit=limit)
    rows = (
        CampaignFailureCount.objects.filter(campaign_id=campaign_id)
        .values("status", "reason", "vendor_code", "vendor_text")
        .annotate(n=Sum("count"))
        .filter(n__gt=0)
        .order_by("-n", "status", "reason", "vendor_code")[:limit]
    )
    return list(rows)


def outcome_unknown_failed(*, campaign_id: int) -> int:
    """Messages failed with their outcome unknown: the failure tally's few rows (an
    index on the messages' status would cost every status change its heap-only
    update: campaigns.models.Message.is_pending)."""
    unknown = {"status": DeliveryStatus.FAILED, "reason": FailureReason.OUTCOME_UNKNOWN}
    if is_postgres():
        total = CampaignFailureCount.objects.filter(
            campaign_id=campaign_id, **unknown
        ).aggregate(n=Sum("count"))["n"]
    else:
        total = Message.objects.filter(campaign_id=campaign_id, **unknown).count()
    return total or 0


def delivered_minutes(*, campaign_id: int) -> dict[datetime, int]:
    """{minute (aware): messages delivered or read in it} over the whole campaign."""
    if not is_postgres():
        return scanned_delivered_minutes(campaign_id=campaign_id)
    rows = (
        CampaignDeliveryCount.objects.filter(campaign_id=campaign_id)
        .values("minute")
        .annotate(n=Sum("count"))
        .filter(n__gt=0)
        .order_by()
    )
    return {row["minute"]: row["n"] for row in rows}


# The same from the messages -----------------------------------------------------------


def scanned_operator_rows(*, campaign_id: int | None = None) -> list[dict]:
    """operator_rows from one scan of the campaign (of every campaign with None,
    each row then naming its campaign)."""
    messages = Message.objects.filter(campaign__isnull=False)
    keys = ["campaign_id"] if campaign_id is None else []
    if campaign_id is not None:
        messages = messages.filter(campaign_id=campaign_id)
    return list(
        messages.order_by()
        .values(*keys, "operator", "status")
        .annotate(
            n=Count("id"),
            reported=Sum("cost"),
            estimated=Sum("estimated_cost", filter=Q(cost__isnull=True)),
            unpriced=Count(
                "id", filter=Q(cost__isnull=True, estimated_cost__isnull=True)
            ),
            gateway_priced=Count("cost"),
        )
    )


def scanned_failure_rows(
    *, campaign_id: int | None = None, limit: int | None = None
) -> list[dict]:
    """failure_rows from a scan (every campaign's and every row with None)."""
    messages = Message.objects.filter(campaign__isnull=False, status__in=FAILED)
    keys = ["campaign_id"] if campaign_id is None else []
    if campaign_id is not None:
        messages = messages.filter(campaign_id=campaign_id)
    rows = (
        messages.order_by()
        .values(*keys, "status", "reason", "vendor_code", "vendor_text")
        .annotate(n=Count("id"))
        .order_by("-n", "status", "reason", "vendor_code")
    )
    return list(rows if limit is None else rows[:limit])


def scanned_delivered_minutes(*, campaign_id: int) -> dict[datetime, int]:
    """delivered_minutes from one aggregate query over the campaign's messages."""
    rows = (
        Message.objects.filter(
            campaign_id=campaign_id, status__in=DELIVERED, delivered_at__isnull=False
        )
        .order_by()
        .annotate(minute=TruncMinute("delivered_at", tzinfo=UTC))
        .values("minute")
        .annotate(n=Count("id"))
    )
    minutes: Counter[datetime] = Counter()
    for row in rows:
        minutes[row["minute"]] += row["n"]
    return dict(minutes)


# Squashing and checking --------------------------------------------------------------

# Each tally's key and summed columns, for counts_squash to fold.
REPORT_TALLIES = (
    (
        CampaignOperatorCount,
        ("campaign_id", "status", "operator"),
        ("count", "cost", "estimated", "unpriced", "gateway_priced"),
    ),
    (
        CampaignFailureCount,
        ("campaign_id", "status", "reason", "vendor_code", "vendor_text"),
        ("count",),
    ),
    (CampaignDeliveryCount, ("campaign_id", "minute"), ("count",)),
)


def tallies_mismatches() -> list[tuple[str, tuple, tuple, tuple]]:
    """(tally, key, counted, kept) wherever a report tally disagrees with a GROUP BY
    over the messages (full scans: for checks and tests, never for pages)."""
    if not is_postgres():
        return []
    mismatches = []
    operators_key = ("campaign_id", "operator", "status")
    operator_values = ("n", "reported", "estimated", "unpriced", "gateway_priced")
    mismatches += _compare(
        "operators",
        {
            _key(r, operators_key): tuple(r[v] or 0 for v in operator_values)
            for r in scanned_operator_rows()
        },
        {
            _key(r, operators_key): tuple(r[v] or 0 for v in operator_values)
            for r in CampaignOperatorCount.objects.values(*operators_key).annotate(
                n=Sum("count"),
                reported=Sum("cost"),
                estimated=Sum("estimated"),
                unpriced=Sum("unpriced"),
                gateway_priced=Sum("gateway_priced"),
            )
        },
    )
    failures_key = ("campaign_id", "status", "reason", "vendor_code", "vendor_text")
    mismatches += _compare(
        "failures",
        {_key(r, failures_key): (r["n"],) for r in scanned_failure_rows()},
        {
            _key(r, failures_key): (r["n"],)
            for r in CampaignFailureCount.objects.values(*failures_key).annotate(
                n=Sum("count")
            )
        },
    )
    counted = Counter()
    for row in (
        Message.objects.filter(
            campaign__isnull=False, status__in=DELIVERED, delivered_at__isnull=False
        )
        .annotate(minute=TruncMinute("delivered_at", tzinfo=UTC))
        .values("campaign_id", "minute")
        .annotate(n=Count("id"))
    ):
        counted[(row["campaign_id"], row["minute"])] += row["n"]
    mismatches += _compare(
        "deliveries",
        {key: (n,) for key, n in counted.items()},
        {
            (r["campaign_id"], r["minute"]): (r["n"],)
            for r in CampaignDeliveryCount.objects.values(
                "campaign_id", "minute"
            ).annotate(n=Sum("count"))
        },
    )
    return mismatches


def _key(row: dict, names: tuple[str, ...]) -> tuple:
    return tuple(row[name] for name in names)


def _compare(
    tally: str, counted: dict[tuple, tuple], kept: dict[tuple, tuple]
) -> list[tuple[str, tuple, tuple, tuple]]:
    width = len(next(iter((counted | kept).values()), ()))
    zero = (0,) * width
    keys = set(counted) | {k for k, v in kept.items() if any(v)}
    return sorted(
        (tally, key, counted.get(key, zero), kept.get(key, zero))
        for key in keys
        if counted.get(key, zero) != kept.get(key, zero)
    )

"""Exact message counts from the trigger-kept tables: per campaign and status
(CampaignStatusCount) and per hour a message goes out and status (HourlyTraffic)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncHour

from campaigns.models import (
    CampaignClaimCount,
    CampaignDeliveryCount,
    CampaignFailureCount,
    CampaignHeldCount,
    CampaignOperatorCount,
    CampaignStatusCount,
    HourlyTraffic,
    Message,
    went_out,
)
from campaigns.report_tallies import REPORT_TALLIES


@dataclass(frozen=True)
class CampaignCounts:
    by_status: dict[str, int] = field(default_factory=dict)
    segments_by_status: dict[str, int] = field(default_factory=dict)

    # Cached: a progress bar asks for the total a dozen times.
    @cached_property
    def total(self) -> int:
        return sum(self.by_status.values())

    @cached_property
    def segments(self) -> int:
        return sum(self.segments_by_status.values())

    def get(self, status: str) -> int:
        return self.by_status.get(status, 0)


def campaign_counts(*, campaign_id: int) -> CampaignCounts:
    """Counts for one campaign without touching the messages table."""
    return campaigns_counts(campaign_ids=[campaign_id]).get(
        campaign_id, CampaignCounts()
    )


def campaigns_counts(*, campaign_ids: Iterable[int]) -> dict[int, CampaignCounts]:
    rows = (
        CampaignStatusCount.objects.filter(campaign_id__in=list(campaign_ids))
        .values("campaign_id", "status")
        .annotate(n=Sum("count"), s=Sum("segments"))
    )
    result: dict[int, tuple[dict, dict]] = {}
    for row in rows:
        if not row["n"]:
            continue
        by_status, by_segments = result.setdefault(row["campaign_id"], ({}, {}))
        by_status[row["status"]] = row["n"]
        by_segments[row["status"]] = row["s"]
    return {cid: CampaignCounts(a, b) for cid, (a, b) in result.items()}


def campaign_counts_delete(*, campaign_id: int) -> None:
    """Remove a deleted campaign's counts and report tallies (after its messages:
    their delete trigger writes rows of its own)."""
    for model in (
        CampaignStatusCount,
        CampaignOperatorCount,
        CampaignFailureCount,
        CampaignDeliveryCount,
        CampaignHeldCount,
        CampaignClaimCount,
    ):
        model.objects.filter(campaign_id=campaign_id).delete()


def counts_squash() -> int:
    """Fold the delta rows into one row per key of the trigger-kept tables: per
    (campaign, status), per (hour, status) and the report's tallies
    (campaigns.report_tallies), the held messages (campaigns.held_tally) and the
    unanswered claims (campaigns.claim_tally);
    returns rows folded."""
    if connection.vendor != "postgresql":
        return _squash_portable()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('campaigns_count_squash'))"
        )
        folded = 0
        for model, keys, sums in (*_KEPT, *REPORT_TALLIES):
            cursor.execute(_fold_sql(model._meta.db_table, keys, sums))
            folded += cursor.rowcount
        # The held tally's minutes an hour past: never read again (campaigns 0035
        # leaves a minute once it has passed, so what stays in it is stale).
        cursor.execute(
            f"DELETE FROM {CampaignHeldCount._meta.db_table} "
            "WHERE minute < now() - interval '1 hour'"
        )
        return folded + cursor.rowcount


# The trigger-kept tables: each one's key and summed columns.
_KEPT = (
    (CampaignStatusCount, ("campaign_id", "status"), ("count", "segments")),
    (HourlyTraffic, ("hour", "status"), ("count",)),
    (CampaignHeldCount, ("campaign_id", "minute"), ("count",)),
    (CampaignClaimCount, ("campaign_id", "minute"), ("count",)),
)


def _fold_sql(table: str, keys: tuple[str, ...], sums: tuple[str, ...]) -> str:
    """The rows of the keys that have deltas, taken out and put back summed, one row
    a key (a key whose sums are all zero goes)."""
    key_list = ", ".join(keys)
    return f"""
        WITH pending AS (
            SELECT DISTINCT {key_list} FROM {table} WHERE NOT is_squashed
        ), removed AS (
            DELETE FROM {table} t USING pending p
            WHERE {" AND ".join(f"t.{k} = p.{k}" for k in keys)}
            RETURNING {", ".join(f"t.{c}" for c in (*keys, *sums))}
        )
        INSERT INTO {table} ({key_list}, {", ".join(sums)}, is_squashed)
        SELECT {key_list}, {", ".join(f"sum({c})" for c in sums)}, TRUE
        FROM removed GROUP BY {key_list}
        HAVING {" OR ".join(f"sum({c}) <> 0" for c in sums)}
    """


def _squash_portable() -> int:
    with transaction.atomic():
        totals = list(
            CampaignStatusCount.objects.values("campaign_id", "status").annotate(
                n=Sum("count"), s=Sum("segments")
            )
        )
        CampaignStatusCount.objects.all().delete()
        CampaignStatusCount.objects.bulk_create(
            CampaignStatusCount(
                campaign_id=r["campaign_id"], status=r["status"], count=r["n"],
                segments=r["s"], is_squashed=True,
            )
            for r in totals
        )  # fmt: skip
        hours = list(
            HourlyTraffic.objects.values("hour", "status").annotate(n=Sum("count"))
        )
        HourlyTraffic.objects.all().delete()
        HourlyTraffic.objects.bulk_create(
            HourlyTraffic(
                hour=r["hour"], status=r["status"], count=r["n"], is_squashed=True
            )
            for r in hours
        )
        return len(totals) + len(hours)


def counts_mismatches() -> list[tuple[int, str, int, int]]:
    """(campaign, status, counted, kept) wherever the counts table disagrees."""
    actual = {
        (r["campaign_id"], r["status"]): r["n"]
        for r in Message.objects.filter(campaign__isnull=False)
        .values("campaign_id", "status")
        .annotate(n=Count("id"))
    }
    kept = {
        (r["campaign_id"], r["status"]): r["n"]
        for r in CampaignStatusCount.objects.values("campaign_id", "status").annotate(
            n=Sum("count")
        )
    }
    keys = set(actual) | {k for k, v in kept.items() if v}
    return sorted(
        (cid, status, actual.get((cid, status), 0), kept.get((cid, status), 0))
        for cid, status in keys
        if actual.get((cid, status), 0) != kept.get((cid, status), 0)
    )


def traffic_mismatches() -> list[tuple[datetime, str, int, int]]:
    """(hour, status, counted, kept) wherever HourlyTraffic disagrees with a GROUP BY
    over the messages by the hour they go out (a full scan: for checks and tests,
    never for pages)."""
    actual = {
        (r["hour"], r["status"]): r["n"]
        for r in Message.objects.filter(submitted_at__isnull=False)
        .annotate(hour=TruncHour(went_out(), tzinfo=UTC))
        .values("hour", "status")
        .annotate(n=Count("id"))
    }
    kept = {
        (r["hour"], r["status"]): r["n"]
        for r in HourlyTraffic.objects.values("hour", "status").annotate(n=Sum("count"))
    }
    keys = set(actual) | {k for k, v in kept.items() if v}
    return sorted(
        (hour, status, actual.get((hour, status), 0), kept.get((hour, status), 0))
        for hour, status in keys
        if actual.get((hour, status), 0) != kept.get((hour, status), 0)
    )

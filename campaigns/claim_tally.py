"""A campaign's messages claimed for sending and not answered: pending, claimed, no
submit recorded. Minutes after their claim they are in doubt (campaigns.reconcile).

On PostgreSQL they are counted from the tally the message table's triggers keep per
(campaign, UTC minute of the claim) (campaigns 0049, CampaignClaimCount): finding
them among a sending campaign's pending messages read all of these (claimed_at is in
no index, so the claim stays cheap), about a second at a million on every view of
its page. SQLite (the embedded demo) has no triggers for the tally and counts the
messages.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMinute

from campaigns.models import CampaignClaimCount, Message
from smsportal.lib.sqlutil import is_postgres


def unanswered_claims(campaign_id: int | None = None) -> QuerySet[Message]:
    """Messages claimed and not answered (of one campaign, or of every campaign)."""
    rows = Message.objects.filter(
        is_pending=True, claimed_at__isnull=False, submitted_at__isnull=True
    )
    if campaign_id is None:
        return rows.filter(campaign__isnull=False)
    return rows.filter(campaign_id=campaign_id)


def minute_floor(moment: datetime) -> datetime:
    """The start of the UTC minute `moment` falls in (the tally's minutes)."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def unanswered_claimed_before(campaign_id: int, before: datetime) -> int:
    """How many of the campaign's messages were claimed before `before` (the start
    of a minute) and are not answered."""
    if not is_postgres():
        return unanswered_claims(campaign_id).filter(claimed_at__lt=before).count()
    return (
        CampaignClaimCount.objects.filter(
            campaign_id=campaign_id, minute__lt=before
        ).aggregate(n=Sum("count"))["n"]
        or 0
    )


def claim_mismatches() -> list[tuple[tuple[int, datetime], int, int]]:
    """((campaign, minute), counted, kept) wherever the claim tally disagrees with a
    GROUP BY over the messages. A full scan: for checks and tests, never for pages."""
    if not is_postgres():
        return []
    counted = {
        (r["campaign_id"], r["minute"]): r["n"]
        for r in unanswered_claims()
        .annotate(minute=TruncMinute("claimed_at", tzinfo=UTC))
        .values("campaign_id", "minute")
        .annotate(n=Count("id"))
    }
    kept = {
        (r["campaign_id"], r["minute"]): r["n"]
        for r in CampaignClaimCount.objects.values("campaign_id", "minute").annotate(
            n=Sum("count")
        )
    }
    keys = set(counted) | {k for k, v in kept.items() if v}
    return sorted(
        (key, counted.get(key, 0), kept.get(key, 0))
        for key in keys
        if counted.get(key, 0) != kept.get(key, 0)
    )

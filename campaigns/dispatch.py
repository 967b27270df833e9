"""The campaign pump: claims due messages batch by batch and submits them.

A pump runs as a Celery task for a bounded time, re-reads the campaign's state between
batches (so pause and cancel take effect there) and re-enqueues itself while messages
remain. Several pumps may run for one campaign on several workers: claims never overlap.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from campaigns.models import Campaign, Message
from campaigns.sending import claim_due, submit
from providers.base import Capability, DeliveryStatus
from providers.registry import gateway_for

logger = logging.getLogger("campaigns.dispatch")

PUMP_SECONDS = 50.0  # then the pump hands over to a fresh task
PUMP_LEASE_SECONDS = 120
# Gateways that schedule per recipient get messages this far ahead of their time.
SCHEDULE_AHEAD = timedelta(days=7)


@dataclass
class PumpResult:
    sent: int = 0
    batches: int = 0
    next_due: datetime | None = None  # when the next pending message falls due
    finished: bool = False
    stopped: str = ""  # the state that stopped the pump, if any


def pump_lease_key(campaign_id: int, slot: int) -> str:
    return f"campaign-pump:{campaign_id}:{slot}"


def campaign_pump(
    *, campaign_id: int, slot: int = 0, budget: float = PUMP_SECONDS
) -> PumpResult:
    """Send due messages of a campaign until none are due or the time budget is spent."""
    result = PumpResult()
    deadline = time.monotonic() + budget
    campaign = Campaign.objects.select_related("account").get(pk=campaign_id)
    gateway = gateway_for(campaign.account)
    horizon_ahead = (
        SCHEDULE_AHEAD if gateway.supports(Capability.SCHEDULED_SEND) else timedelta(0)
    )
    batch_size = gateway.max_batch
    while time.monotonic() < deadline:
        state = (
            Campaign.objects.filter(pk=campaign_id)
            .values_list("state", flat=True)
            .first()
        )
        if state != Campaign.State.SENDING:
            result.stopped = state or "deleted"
            return result
        cache.set(pump_lease_key(campaign_id, slot), 1, timeout=PUMP_LEASE_SECONDS)
        claimed = claim_due(
            campaign_id=campaign_id,
            limit=batch_size,
            horizon=timezone.now() + horizon_ahead,
        )
        if not claimed:
            break
        outcome = submit(
            account=campaign.account,
            campaign=campaign,
            claimed=claimed,
            gateway=gateway,
        )
        result.sent += outcome.sent
        result.batches += 1
        if outcome.pause_reason:
            campaign_pause_for(campaign_id=campaign_id, reason=outcome.pause_reason)
            result.stopped = Campaign.State.PAUSED
            return result
        if outcome.retry is not None:
            raise outcome.retry  # the task retries with backoff; nothing was sent
    result.next_due, result.finished = _whats_left(campaign_id)
    if result.finished:
        campaign_finish_if_done(campaign_id=campaign_id)
    return result


def _whats_left(campaign_id: int) -> tuple[datetime | None, bool]:
    pending = Message.objects.filter(
        campaign_id=campaign_id, status=DeliveryStatus.PENDING
    )
    unclaimed = pending.filter(claimed_at__isnull=True).order_by("planned_at")
    next_due = unclaimed.values_list("planned_at", flat=True).first()
    return next_due, not pending.exists()


def campaign_pause_for(*, campaign_id: int, reason: str) -> None:
    """Pause a sending campaign because of the gateway, with a banner for the user."""
    Campaign.objects.filter(pk=campaign_id, state=Campaign.State.SENDING).update(
        state=Campaign.State.PAUSED, pause_reason=reason
    )


def campaign_finish_if_done(*, campaign_id: int) -> bool:
    """Mark a sending campaign completed when no message is pending any more."""
    if Message.objects.filter(
        campaign_id=campaign_id, status=DeliveryStatus.PENDING
    ).exists():
        return False
    return bool(
        Campaign.objects.filter(pk=campaign_id, state=Campaign.State.SENDING).update(
            state=Campaign.State.COMPLETED, finished_at=timezone.now()
        )
    )

"""Quiet hours when a message leaves, not only when it was planned.

The expansion plans every message inside its recipient's send window
(campaigns.planning), but a message can fall due late: a backlog behind the rate
limit, a resume in the evening, a worker that was down. Just before a claimed batch
leaves, the pump holds back those that would reach their recipient outside the
window: for the window's next opening, sent now with that send time to a gateway that
schedules, otherwise handed back to wait for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

from campaigns.models import Campaign, Message
from campaigns.planning import zone
from campaigns.send_window import SendWindow
from campaigns.sending import ClaimedMessage
from providers.base import DeliveryStatus


def recipient_zones(chunk: Sequence[ClaimedMessage]) -> dict[int, str]:
    """{message id: its recipient's zone name}: the contact's as it is now, else the
    one stored for a pasted number, else "" (the campaign's). One query a batch, for
    campaigns that keep quiet hours only."""
    rows = Message.objects.filter(id__in=[m.id for m in chunk]).values_list(
        "id", "contact__time_zone", "time_zone"
    )
    return {mid: contact_zone or own_zone or "" for mid, contact_zone, own_zone in rows}


def late_for_window(
    chunk: Sequence[ClaimedMessage],
    campaign: Campaign,
    *,
    now: datetime,
    zones: dict[int, str],
) -> dict[int, datetime]:
    """{message id: its window's next opening} for the messages of `chunk` that
    would leave now, outside their recipient's window (`zones`: recipient_zones).
    Those planned ahead go with their send time, which the expansion put inside the
    window."""
    window = campaign.send_window
    if not campaign.respect_quiet_hours or window.is_empty:
        return {}
    openings: dict[str, datetime | None] = {}  # per zone: a batch has a few
    late = {}
    for message in chunk:
        if message.planned_at is not None:
            continue
        name = zones.get(message.id, "")
        if name not in openings:
            # As the expansion planned it: the recipient's zone, else the campaign's.
            tz = zone(name) or zone(campaign.time_zone)
            openings[name] = next_opening(
                now,
                tz or timezone.get_current_timezone(),
                start=window.start,
                end=window.end,
            )
        opening = openings[name]
        if opening is not None:
            late[message.id] = opening
    return late


def next_opening(
    moment: datetime, tz: ZoneInfo, *, start: time, end: time
) -> datetime | None:
    """None if `moment` is inside the daily window [start, end) on the wall clock of
    `tz` (one that ends before it starts runs overnight); otherwise when the window
    next opens."""
    window = SendWindow(start, end)
    local = moment.astimezone(tz)
    if window.contains(local.time()):
        return None
    return window.opening_after(local.replace(tzinfo=None)).replace(tzinfo=tz)


def hold_for_window(
    chunk: list[ClaimedMessage], late: dict[int, datetime], *, schedules: bool
) -> list[ClaimedMessage]:
    """Move the late messages to their window's opening (one UPDATE per opening, a
    batch's zones). A gateway that schedules takes them now with that send time;
    for one that cannot, they are unclaimed and wait, pending, for it. The chunk
    left to send now."""
    by_opening: dict[datetime, list[int]] = {}
    for message_id, opening in late.items():
        by_opening.setdefault(opening, []).append(message_id)
    for opening, ids in by_opening.items():
        messages = Message.objects.filter(id__in=ids, status=DeliveryStatus.PENDING)
        if schedules:
            messages.update(planned_at=opening)
        else:
            messages.filter(submitted_at__isnull=True).update(
                planned_at=opening, claimed_at=None
            )
    if schedules:
        return [
            replace(m, planned_at=late[m.id], at_opening=True) if m.id in late else m
            for m in chunk
        ]
    return [m for m in chunk if m.id not in late]

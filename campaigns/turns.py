"""Turns of the worker slots between campaigns: a campaign just launched (or resumed)
does not wait for the pumps of others to spend their budget.

Pumps hold a worker's slot for up to PUMP_SECONDS, and with every slot taken by two
big campaigns a third one's start and pumps waited in the queue behind them, and
behind their hand-overs, for a minute or two. So:
- a pump hands over with a lower priority than everything else (HANDOVER_PRIORITY):
  a campaign's start and its first pumps go ahead of the hand-overs in the queue;
- every YIELD_CHECK_SECONDS a pump asks whether another campaign waits for its first
  pump (its start queued, or its pumps queued and none running), and if so hands
  over early, once for that campaign across all workers (a short ticket in the
  cache), so the slot it frees takes the waiting task.
The slots' leases say who holds them: a worker's instance (a pump running there),
OWNER_HERE for a pump outside a worker, QUEUED for a pump queued by
campaign_pumps_ensure, RETRYING for one waiting for its retry (its gateway refused,
not a slot). Exactly-once does not rest on any of this: claims are in the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign

# Lease values other than a worker's instance (which is a string).
QUEUED = 1  # queued by campaign_pumps_ensure, or a start (build) queued
RETRYING = 2  # a pump waiting for its retry's countdown
OWNER_HERE = 0  # a pump run outside a worker (a test, the benchmark)
BUILDING = 3  # a start lease whose build is under way

# How often a pump asks whether a campaign waits: a query of the campaigns that send
# (a handful of rows) and one read of their leases, not one per batch.
YIELD_CHECK_SECONDS = 2.0
# One early hand-over per waiting campaign in this long, whichever worker's pump
# sees it first: the others keep their slots. If the freed slot went to another
# task, the next pump to look after this hands over again.
TICKET_SECONDS = 3
# Redis serves a queue's priority 0 (the default) before 3, 6 and 9
# (kombu's priority_steps): hand-overs go behind the tasks that do not wait.
HANDOVER_PRIORITY = 6
# Pump slots per campaign (campaign_pumps_ensure's default).
SLOTS = 2


def pump_lease_key(campaign_id: int, slot: int) -> str:
    return f"campaign-pump:{campaign_id}:{slot}"


def _ticket_key(campaign_id: int) -> str:
    return f"campaign-turn:{campaign_id}"


def campaigns_waiting(*, besides: int) -> list[int]:
    """Campaigns (other than `besides`) whose start is queued, or whose pumps are
    queued with none running: they wait for a worker's slot."""
    from campaigns.services import start_lease_key

    ids = list(
        Campaign.objects.filter(
            Q(state=Campaign.State.SENDING)
            | Q(state=Campaign.State.SCHEDULED, start_at__lte=timezone.now())
        )
        .exclude(pk=besides)
        .values_list("pk", flat=True)
    )
    if not ids:
        return []
    keys = {
        campaign_id: (
            start_lease_key(campaign_id),
            [pump_lease_key(campaign_id, slot) for slot in range(SLOTS)],
        )
        for campaign_id in ids
    }
    values = cache.get_many(
        [start for start, _ in keys.values()]
        + [key for _, slots in keys.values() for key in slots]
    )
    waiting = []
    for campaign_id, (start, slots) in keys.items():
        leases = [values.get(key) for key in slots]
        if values.get(start) == QUEUED or (
            QUEUED in leases and all(v in (QUEUED, RETRYING, None) for v in leases)
        ):
            waiting.append(campaign_id)
    return waiting


def yield_check(campaign_id: int) -> Callable[[], bool]:
    """A callable the pump asks between batches: True once it should hand over
    early for a campaign that waits. Cheap between its checks (a clock read)."""
    next_check = time.monotonic() + YIELD_CHECK_SECONDS

    def should_yield() -> bool:
        nonlocal next_check
        now = time.monotonic()
        if now < next_check:
            return False
        next_check = now + YIELD_CHECK_SECONDS
        return any(
            cache.add(_ticket_key(waiting), campaign_id, timeout=TICKET_SECONDS)
            for waiting in campaigns_waiting(besides=campaign_id)
        )

    return should_yield

"""Campaign tasks: thin wrappers over services, taking ids."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from celery.exceptions import Retry
from celery.utils.time import get_exponential_backoff_interval

from django.utils import timezone

from providers.exceptions import GatewayUnavailable, RateLimited


@shared_task(name="campaigns.campaign_start", acks_late=True)
def campaign_start(campaign_id: int) -> None:
    """Build a campaign's audience and start its pumps."""
    from campaigns.services import campaign_start as start

    start(campaign_id=campaign_id)


# A pump the gateway turned away tries again after a wait that doubles from this,
# up to the maximum, with full jitter (Celery's exponential backoff).
RETRY_BACKOFF = 5
RETRY_BACKOFF_MAX = 300


@shared_task(
    name="campaigns.campaign_pump", bind=True, acks_late=True, max_retries=None
)
def campaign_pump(self, campaign_id: int, slot: int = 0) -> int:
    """Send a campaign's due messages for a while, then hand over to a fresh task."""
    from django.core.cache import cache

    from campaigns.dispatch import campaign_pump as pump
    from campaigns.dispatch import pump_lease_key
    from campaigns.turns import HANDOVER_PRIORITY

    try:
        result = pump(campaign_id=campaign_id, slot=slot)
    except RateLimited as exc:
        raise _retry_in_slot(self, exc, campaign_id, slot, exc.retry_after) from exc
    except GatewayUnavailable as exc:
        countdown = get_exponential_backoff_interval(
            RETRY_BACKOFF, self.request.retries, RETRY_BACKOFF_MAX, full_jitter=True
        )
        raise _retry_in_slot(self, exc, campaign_id, slot, countdown) from exc
    if (
        result.stopped
        or result.finished
        or result.only_in_doubt
        or self.request.is_eager
    ):
        # Eager mode (tests) ignores countdowns: beat's tick restarts pumps instead.
        # Messages in doubt only: beat's tick starts a pump once one is settled
        # or released (campaigns_tick), a person's "send again" at once.
        cache.delete(pump_lease_key(campaign_id, slot))
        if result.stopped:
            _restart_if_resumed(campaign_id)
        return result.sent
    if result.replanning:
        countdown = 5  # another pump plans the campaign again: then there is more
    elif result.next_due is not None:
        wait = (result.next_due - timezone.now()).total_seconds()
        countdown = min(max(wait, 0), 60)  # beat's tick picks it up later otherwise
    else:
        # Only claimed messages remain: being sent (their pump records them), or
        # claimed by a worker that died (the reconciler settles them).
        countdown = 5
    # Behind the tasks that do not wait (a campaign's start, its first pumps, status
    # polling): a campaign launched while every slot pumps starts at the next
    # hand-over, or sooner (campaigns.turns).
    campaign_pump.apply_async(
        (campaign_id, slot), countdown=countdown, priority=HANDOVER_PRIORITY
    )
    return result.sent


def _restart_if_resumed(campaign_id: int) -> None:
    """Start the pumps again if the campaign was resumed while this one, stopped by
    the pause, still recorded the batches it had out: the resume found the slot
    leased and started nothing, and the campaign waited for beat's tick (30 s).
    Asked after the lease is gone, so either the resume's start or this one sees
    the slot free."""
    from campaigns.models import Campaign
    from campaigns.services import campaign_pumps_ensure

    if Campaign.objects.filter(
        pk=campaign_id, state=Campaign.State.SENDING, expanded_at__isnull=False
    ).exists():
        campaign_pumps_ensure(campaign_id=campaign_id)


def _retry_in_slot(
    task, exc: Exception, campaign_id: int, slot: int, countdown: float
) -> Retry:
    """Retry the pump after `countdown` seconds, its slot's lease held until then.

    The lease (PUMP_LEASE_SECONDS) ran out while a retry waited longer, and beat's
    tick started another pump in the slot: a gateway down for a quarter of an hour
    had seven pumps of one campaign retrying against it, and when it came back
    five sent at once, every worker process taken by that campaign. Held with no
    worker named (the retry may run on any worker, and if it is lost the lease
    still runs out), and not as a queued pump's: the campaign waits for its
    gateway, not for a slot, so no other pump hands over for it (campaigns.turns).
    """
    from django.core.cache import cache

    from campaigns.dispatch import PUMP_LEASE_SECONDS, pump_lease_key
    from campaigns.turns import RETRYING

    cache.set(pump_lease_key(campaign_id, slot), RETRYING,
              timeout=countdown + PUMP_LEASE_SECONDS)  # fmt: skip
    return task.retry(exc=exc, countdown=countdown)


@shared_task(name="campaigns.campaigns_tick")
def campaigns_tick() -> None:
    """Start due scheduled campaigns; restart pumps of sending campaigns that lost them,
    and the audience build of those whose build was lost."""
    from campaigns.dispatch import messages_in_doubt_only
    from campaigns.models import Campaign
    from campaigns.services import campaign_pumps_ensure, campaign_start_enqueue

    due = Campaign.objects.filter(
        state=Campaign.State.SCHEDULED, start_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    for campaign_id in due:
        campaign_start_enqueue(campaign_id)
    for campaign_id, expanded_at in Campaign.objects.filter(
        state=Campaign.State.SENDING
    ).values_list("pk", "expanded_at"):
        if expanded_at is not None:
            # Nothing to send while only messages in doubt are left: a pump starts
            # once the reconciler or a person settles or releases one of them.
            if not messages_in_doubt_only(campaign_id):
                campaign_pumps_ensure(campaign_id=campaign_id)
        else:  # no audience yet: its build is queued or under way, or was lost
            campaign_start_enqueue(campaign_id)
    # A large cancel's rest whose withdrawal was lost (a worker gone): finished here.
    # Only the recent ones are looked at, each by the pending index.
    for campaign_id in _cancelled_with_messages_left():
        campaign_withdraw_rest.delay(campaign_id)


def _cancelled_with_messages_left() -> list[int]:
    from django.db.models import Exists, OuterRef

    from campaigns.models import Campaign, Message

    # Older than a tick, so the cancel's own run has begun; at most a week old.
    now = timezone.now()
    left = Message.objects.filter(
        campaign_id=OuterRef("pk"), is_pending=True, claimed_at__isnull=True
    )
    return list(
        Campaign.objects.filter(
            Exists(left),
            state=Campaign.State.CANCELLED,
            finished_at__lt=now - timedelta(seconds=30),
            finished_at__gte=now - timedelta(days=7),
        ).values_list("pk", flat=True)
    )


@shared_task(name="campaigns.campaign_withdraw_rest", acks_late=True)
def campaign_withdraw_rest(campaign_id: int) -> int:
    """The rest of a large cancel's pending messages, withdrawn a part at a time."""
    from campaigns.services import campaign_withdraw_rest as withdraw

    return withdraw(campaign_id=campaign_id)


@shared_task(name="campaigns.messages_reconcile")
def messages_reconcile() -> dict:
    """Settle messages whose submit outcome is unknown."""
    from campaigns.reconcile import messages_reconcile as reconcile

    return vars(reconcile())


@shared_task(name="campaigns.statuses_poll")
def statuses_poll() -> int:
    """Ask gateways for statuses of messages still on their way."""
    from campaigns.polling import statuses_poll as poll

    return poll()


@shared_task(name="campaigns.counts_squash")
def counts_squash() -> int:
    """Fold the counts table's delta rows."""
    from campaigns.counts import counts_squash as squash

    return squash()


@shared_task(name="campaigns.orphans_expire")
def orphans_expire() -> int:
    """Forget early status reports that no message claimed in days."""
    from campaigns.statuses import orphans_expire as expire

    return expire()


@shared_task(name="campaigns.orphans_adopt")
def orphans_adopt() -> int:
    """Apply early status reports whose message has its gateway id by now."""
    from campaigns.statuses import orphans_adopt as adopt

    return adopt()


@shared_task(name="campaigns.incoming_fetch_all")
def incoming_fetch_all() -> int:
    """Fetch incoming messages from every gateway that offers them."""
    from campaigns.inbox import incoming_fetch_all as fetch

    return fetch()


@shared_task(name="campaigns.birthday_greetings_run")
def birthday_greetings_run() -> int:
    """Launch the day's campaign of each birthday greeting whose send time has come."""
    from campaigns.greetings import greetings_run

    return greetings_run()


@shared_task(name="campaigns.withdraw_for_opt_outs", acks_late=True)
def withdraw_for_opt_outs(phones: list[str]) -> int:
    """Withdraw at the gateways what they hold for numbers put on the stop list."""
    from campaigns.withdrawal import withdraw_for_opt_outs as withdraw

    return withdraw(phones)

"""A campaign whose only pending messages are in doubt has no pump running.

Their submit outcome is unknown (the gateway's answer was lost): only the reconciler
or a person moves them on. A pump re-ran every 5 s meanwhile, finding nothing to
send, for as long as nobody decided (days); beat's tick started it again too.
"""

import pytest

from django.core.cache import cache

from campaigns import tasks
from campaigns.dispatch import pump_lease_key
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from campaigns.reconcile import message_decide
from providers.base import FailureReason
from providers.simulator import Fault
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_cancel_in_doubt import phones

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple]:
    """The pump tasks sent to the broker (campaign id, slot), instead of sending."""
    sent: list[tuple] = []
    monkeypatch.setattr(tasks.campaign_pump, "delay", lambda *args: sent.append(args))
    monkeypatch.setattr(
        tasks.campaign_pump,
        "apply_async",
        lambda args, **options: sent.append(tuple(args)),
    )
    return sent


def run_as_a_worker(campaign_id: int, slot: int = 0) -> int:
    """The pump task as a worker runs it (not eagerly: its follow-up is enqueued)."""
    tasks.campaign_pump.push_request(id="pump", retries=0, is_eager=False)
    try:
        return tasks.campaign_pump.run(campaign_id, slot)
    finally:
        tasks.campaign_pump.pop_request()


def answer_lost(simulator, make_group, make_campaign, n: int = 3) -> Campaign:
    """A sending Webcom campaign whose one batch's answer timed out."""
    account = simulated_account(simulator, "webcom", dialect="xml")
    campaign = make_campaign([make_group("G", phones(n))], account=account,
                             state=Campaign.State.SENDING)  # fmt: skip
    campaign_expand(campaign=campaign)
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", count=1, delay=1.0, path="/xml")
    )
    run_as_a_worker(campaign.pk)
    cache.clear()
    pending = Message.objects.filter(campaign=campaign, status="pending")
    assert set(pending.values_list("reason", flat=True)) == {
        FailureReason.OUTCOME_UNKNOWN
    }
    assert pending.count() == n
    return campaign


def test_no_pump_runs_while_only_messages_in_doubt_are_left(
    simulator, make_group, make_campaign, short_timeout, enqueued
):
    campaign = answer_lost(simulator, make_group, make_campaign)
    enqueued.clear()
    cache.set(pump_lease_key(campaign.pk, 0), "queued")

    run_as_a_worker(campaign.pk)
    tasks.campaigns_tick()

    assert enqueued == []
    assert cache.get(pump_lease_key(campaign.pk, 0)) is None  # the slot is free
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING


def test_a_message_sent_again_by_a_person_starts_a_pump_at_the_next_tick(
    simulator, make_group, make_campaign, short_timeout, enqueued
):
    campaign = answer_lost(simulator, make_group, make_campaign)
    first = Message.objects.filter(campaign=campaign).order_by("id").first()
    enqueued.clear()

    message_decide(message_ids=[first.pk], resend=True)
    tasks.campaigns_tick()

    assert sorted(enqueued) == [(campaign.pk, 0), (campaign.pk, 1)]


def test_a_pump_with_messages_still_being_sent_looks_again_soon(
    simulator, make_group, make_campaign, enqueued, monkeypatch
):
    """Claimed by the other slot's pump, not recorded yet: that pump records them,
    and this one comes back in a few seconds (to finish the campaign, say)."""
    from django.utils import timezone

    from campaigns.sending import claim_due

    account = simulated_account(simulator, "webcom", dialect="xml")
    campaign = make_campaign([make_group("G", phones(2))], account=account,
                             state=Campaign.State.SENDING)  # fmt: skip
    campaign_expand(campaign=campaign)
    claim_due(campaign_id=campaign.pk, limit=2, horizon=timezone.now(),
              login_generation=0, while_sending=True)  # fmt: skip
    options: list[dict] = []
    monkeypatch.setattr(tasks.campaign_pump, "apply_async",
                        lambda args, **kwargs: options.append(kwargs))  # fmt: skip

    run_as_a_worker(campaign.pk)
    tasks.campaigns_tick()

    assert [o["countdown"] for o in options] == [5]
    assert (campaign.pk, 0) in enqueued or (campaign.pk, 1) in enqueued


def test_a_campaign_with_nothing_pending_gets_a_pump_to_finish_it(
    simulator, make_group, make_campaign, enqueued
):
    account = simulated_account(simulator, "webcom", dialect="xml")
    campaign = make_campaign([make_group("G", phones(1))], account=account,
                             state=Campaign.State.SENDING)  # fmt: skip
    campaign_expand(campaign=campaign)
    Message.objects.filter(campaign=campaign).update(
        status="failed", reason=FailureReason.OUTCOME_UNKNOWN
    )
    campaign.refresh_from_db()
    assert campaign.expanded_at is not None

    tasks.campaigns_tick()

    assert sorted(enqueued) == [(campaign.pk, 0), (campaign.pk, 1)]


def test_a_message_sent_again_by_a_person_starts_the_pumps_at_once(
    simulator, make_group, make_campaign, short_timeout, enqueued,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """Not only at beat's next tick (up to 30 s): the person waits on the page."""
    campaign = answer_lost(simulator, make_group, make_campaign)
    first = Message.objects.filter(campaign=campaign).order_by("id").first()
    enqueued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        message_decide(message_ids=[first.pk], resend=True)

    assert sorted(enqueued) == [(campaign.pk, 0), (campaign.pk, 1)]

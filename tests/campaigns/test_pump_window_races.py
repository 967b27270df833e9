"""The pump's window of two batches, attacked: faults, pause, cancel and the rate
limit while two batches are with the gateway (the simulator over HTTP, its answers
held back by a fault so that both are out at once)."""

import threading
from collections import Counter

import pytest

from django.db import connection

from campaigns.dispatch import campaign_pump
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from providers.registry import gateway_class
from providers.simulator import Fault
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_sending import window_hours_ahead
from tests.providers.contract import wait_for

SLOW = 0.4  # seconds each send's answer is held back by the simulator


def phones(n: int) -> list[tuple[str, str, str]]:
    return [(f"+7916{i:07d}", f"N{i}", "Europe/Moscow") for i in range(n)]


def sends(simulator, kind: str, path: str) -> list[float]:
    return [
        at for gateway, logged, at in simulator.state.request_log
        if gateway == kind and logged.rstrip("/").endswith(path)
    ]  # fmt: skip


def pump_in_a_thread(campaign_id: int) -> threading.Thread:
    def run() -> None:
        try:
            campaign_pump(campaign_id=campaign_id)
        finally:
            connection.close()  # this thread's own, as a worker's task closes it

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_cancel_while_two_scheduled_batches_are_out_withdraws_both_at_the_gateway(
    simulator, make_group, make_campaign, monkeypatch
):
    """Messages held for quiet hours go to Webcom with their send time. The cancel's
    withdrawal ran while two batches were with the gateway, before their answers were
    recorded, so it found nothing of theirs held; once recorded, they must be
    withdrawn all the same, or the gateway sends them at their time."""
    from campaigns.services import campaign_cancel

    monkeypatch.setattr(gateway_class("webcom"), "max_batch", 2)
    account = simulated_account(simulator, "webcom")
    campaign = make_campaign(
        [make_group("G", phones(8))], account=account,
        state=Campaign.State.SENDING, **window_hours_ahead(),
    )  # fmt: skip
    campaign_expand(campaign=campaign)
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", count=-1, path="/xml", delay=SLOW)
    )
    pump = pump_in_a_thread(campaign.pk)
    try:
        assert wait_for(lambda: len(sends(simulator, "webcom", "/xml")) == 2,
                        timeout=10, interval=0.01)  # fmt: skip
        campaign_cancel(campaign=Campaign.objects.get(pk=campaign.pk))
    finally:
        pump.join(timeout=30)
    assert not pump.is_alive()
    assert len(sends(simulator, "webcom", "/xml")) == 2
    held = Counter(m.state for m in simulator.state.messages["webcom"].values())
    assert held == {"cancelled": 4}, held
    statuses = Counter(
        Message.objects.filter(campaign=campaign).values_list("status", flat=True)
    )
    assert statuses == {"cancelled": 8}, statuses

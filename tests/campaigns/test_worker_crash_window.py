"""A worker killed with SIGKILL while two batches of the pump's window are with the
gateway, both accepted there and neither answered: a fresh worker finishes the
campaign, the reconciler settles both batches and the one claimed behind them, and
every recipient has exactly one submission (Webcom's XML and JSON: one request a
batch, two out at once)."""

import signal
import uuid
from collections import Counter

import pytest

from campaigns.dispatch import campaign_pump
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from providers.simulator import Fault
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.reconciling import reconcile_until_settled
from tests.campaigns.test_worker_crash import (
    client_backends,
    make_audience,
    start_worker,
    stop,
)
from tests.providers.contract import wait_for
from tests.redis_servers import broker_url, celery_client

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SIZE = 3_000  # six batches of 500
BATCH = 500


@pytest.mark.parametrize("dialect", ["xml", "json"])
def test_sigkill_with_two_batches_out_sends_every_recipient_exactly_once(
    dialect, simulator
):
    account = simulated_account(simulator, "webcom", balance="1000000",
                                dialect=dialect)  # fmt: skip
    campaign = Campaign.objects.create(
        name="Crash", account=account, sender="SMSPORTAL", text="Hello {first_name}",
        respect_quiet_hours=False, state=Campaign.State.SENDING,
    )  # fmt: skip
    campaign.include_groups.set([make_audience(SIZE)])
    campaign_expand(campaign=campaign)
    queue = f"crash-{uuid.uuid4().hex[:8]}"
    client = celery_client(broker_url())
    submissions = simulator.state.submissions
    backends_before = client_backends()
    path = f"/{dialect}"
    # The first two batches go through; the next two are accepted and held.
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", count=2, path=path, delay=0.3)
    )
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", count=2, path=path, delay=60)
    )

    worker = start_worker(queue)
    try:
        client.send_task("campaigns.campaign_pump", args=[campaign.pk, 0], queue=queue)
        assert wait_for(lambda: len(submissions) >= 4 * BATCH, timeout=120,
                        interval=0.05)  # fmt: skip
        stop(worker, signal.SIGKILL)
    finally:
        stop(worker, signal.SIGKILL)
    simulator.state.clear_faults()
    assert wait_for(
        lambda: client_backends() <= backends_before, timeout=30, interval=0.05
    )
    doubtful = Message.objects.filter(
        campaign=campaign, status="pending", claimed_at__isnull=False,
        submitted_at__isnull=True,
    )  # fmt: skip
    in_doubt = doubtful.count()
    # Both held batches (and perhaps the one claimed behind them).
    assert in_doubt >= 2 * BATCH, in_doubt
    held_phones = {s.phone for s in submissions[2 * BATCH : 4 * BATCH]}
    doubtful_phones = {p.lstrip("+") for p in doubtful.values_list("phone", flat=True)}
    assert held_phones <= doubtful_phones

    worker = start_worker(queue)
    try:
        client.send_task("campaigns.campaign_pump", args=[campaign.pk, 1], queue=queue)
        unclaimed = Message.objects.filter(campaign=campaign, claimed_at__isnull=True)
        assert wait_for(lambda: not unclaimed.exists(), timeout=180, interval=0.2)
    finally:
        stop(worker)

    assert reconcile_until_settled() == in_doubt
    campaign_pump(campaign_id=campaign.pk)  # sends what the reconciler released

    per_phone = Counter(s.phone for s in submissions)
    rejected = Message.objects.filter(campaign=campaign, status="rejected").count()
    assert len(per_phone) == SIZE - rejected
    assert max(per_phone.values()) == 1
    statuses = Counter(
        Message.objects.filter(campaign=campaign).values_list("status", flat=True)
    )
    assert "pending" not in statuses, statuses
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED


def test_sigterm_with_two_batches_out_records_both_before_the_worker_stops(
    simulator,
):
    """A worker asked to stop (a deploy, `docker stop`) while two batches are held by
    the gateway: the pump claims no more, records both by their answers, and the
    worker exits with nothing left in doubt and nothing sent after the signal."""
    account = simulated_account(simulator, "webcom", balance="1000000")
    campaign = Campaign.objects.create(
        name="Stop", account=account, sender="SMSPORTAL", text="Hello {first_name}",
        respect_quiet_hours=False, state=Campaign.State.SENDING,
    )  # fmt: skip
    campaign.include_groups.set([make_audience(SIZE)])
    campaign_expand(campaign=campaign)
    queue = f"stop-{uuid.uuid4().hex[:8]}"
    client = celery_client(broker_url())
    submissions = simulator.state.submissions
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", count=2, path="/xml", delay=0.3)
    )
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", count=2, path="/xml", delay=3)
    )

    worker = start_worker(queue)
    try:
        client.send_task("campaigns.campaign_pump", args=[campaign.pk, 0], queue=queue)
        assert wait_for(lambda: len(submissions) >= 4 * BATCH, timeout=120,
                        interval=0.05)  # fmt: skip
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    finally:
        stop(worker, signal.SIGKILL)

    assert len(submissions) == 4 * BATCH  # nothing after the signal
    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status="queued").count() == 4 * BATCH
    assert not messages.filter(status="pending", claimed_at__isnull=False).exists()
    assert messages.filter(status="pending").count() == SIZE - 4 * BATCH

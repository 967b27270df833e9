"""The pump keeps two batches with the gateway when each goes as one request.

While one batch's answer is read and recorded the next is already queued at the
gateway, which so never waits for the pump; batches sent a request per message go
one at a time (paced by the rate limit on their own). Against the simulator over
HTTP, its answers slowed down by a fault that holds each one back.
"""

import threading
import time
from collections import Counter

import pytest

from django.db import connection

from campaigns.dispatch import campaign_pump
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from providers.registry import gateway_class
from providers.simulator import Fault
from tests.campaigns.gateway_accounts import simulated_account
from tests.providers.contract import wait_for

SLOW = 0.4  # seconds each send's answer is held back by the simulator


def phones(n: int) -> list[tuple[str, str, str]]:
    return [(f"+7916{i:07d}", f"N{i}", "Europe/Moscow") for i in range(n)]


def slow_campaign(simulator, make_group, make_campaign, kind, path, size, **fields):
    account = simulated_account(simulator, kind, **fields)
    campaign = make_campaign(
        [make_group("G", phones(size))], account=account, state=Campaign.State.SENDING
    )
    campaign_expand(campaign=campaign)
    simulator.state.add_fault(
        kind, Fault(mode="timeout_after", count=-1, path=path, delay=SLOW)
    )
    return campaign


def send_times(simulator, kind: str, path: str) -> list[float]:
    return [
        at for gateway, logged, at in simulator.state.request_log
        if gateway == kind and logged.rstrip("/").endswith(path)
    ]  # fmt: skip


def assert_each_sent_once(simulator, campaign, size: int) -> None:
    per_phone = Counter(s.phone for s in simulator.state.submissions)
    assert len(per_phone) == size, per_phone
    assert max(per_phone.values()) == 1, per_phone
    statuses = Counter(
        Message.objects.filter(campaign=campaign).values_list("status", flat=True)
    )
    assert statuses == {"queued": size}, statuses


@pytest.mark.django_db
def test_the_next_batch_waits_at_the_gateway_while_the_last_is_answered(
    simulator, make_group, make_campaign, monkeypatch
):
    monkeypatch.setattr(gateway_class("webcom"), "max_batch", 2)
    campaign = slow_campaign(simulator, make_group, make_campaign, "webcom", "/xml", 6)
    campaign_pump(campaign_id=campaign.pk)
    first, second, third = send_times(simulator, "webcom", "/xml")
    # The second left before the first's answer (held SLOW), the third once the
    # first's answer was in: two with the gateway at a time, never three.
    assert second - first < SLOW / 2
    assert third - first >= SLOW
    assert_each_sent_once(simulator, campaign, 6)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "path", "fields"),
    [
        ("smsc", "/send.php", {}),
        # Personal texts: a GET request per recipient.
        ("webcom", "/sendsms.php", {"dialect": "get"}),
    ],
)
def test_batches_sent_a_request_per_message_go_one_at_a_time(
    kind, path, fields, simulator, make_group, make_campaign, monkeypatch
):
    monkeypatch.setattr(gateway_class(kind), "max_batch", 2)
    campaign = slow_campaign(
        simulator, make_group, make_campaign, kind, path, 4, **fields
    )
    campaign_pump(campaign_id=campaign.pk)
    times = send_times(simulator, kind, path)
    assert len(times) == 4
    # Each request left after the answer to the one before (held SLOW).
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert min(gaps) >= SLOW, gaps
    assert_each_sent_once(simulator, campaign, 4)


@pytest.mark.django_db(transaction=True)
def test_a_pause_while_two_batches_are_out_records_both_by_their_answers(
    simulator, make_group, make_campaign, monkeypatch
):
    """Both batches were with the gateway when the pause came: each is recorded as
    its answer says (the gateway took them), none is released to be sent again, and
    nothing leaves after the pause."""
    from campaigns.services import campaign_pause

    monkeypatch.setattr(gateway_class("webcom"), "max_batch", 2)
    campaign = slow_campaign(simulator, make_group, make_campaign, "webcom", "/xml", 8)

    def pump_in_a_worker() -> None:
        try:
            campaign_pump(campaign_id=campaign.pk)
        finally:
            connection.close()  # this thread's own, as a worker's task closes it

    pump = threading.Thread(target=pump_in_a_worker)
    pump.start()
    try:
        assert wait_for(
            lambda: len(send_times(simulator, "webcom", "/xml")) == 2,
            timeout=10, interval=0.01,
        )  # fmt: skip
        campaign_pause(campaign=Campaign.objects.get(pk=campaign.pk))
    finally:
        pump.join(timeout=30)
    time.sleep(SLOW)  # a request leaving now would have reached the log
    assert len(send_times(simulator, "webcom", "/xml")) == 2
    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status="queued").count() == 4
    # The rest, one batch of them claimed ahead meanwhile, wait for the resume.
    assert messages.filter(status="pending", claimed_at__isnull=True).count() == 4
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.PAUSED

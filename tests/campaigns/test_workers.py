"""Worker heartbeats: the warning when none is alive, and dead pumps' slots."""

import signal
import time
import uuid
from datetime import timedelta

import pytest

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from campaigns import services, workers
from campaigns.dispatch import campaign_pump, pump_lease_key
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, WorkerHeartbeat
from smsportal import worker_instance
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_worker_crash import start_worker, stop
from tests.providers.contract import wait_for

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def beat(instance: str = "celery@a:1:x", *, seconds_ago: int = 0) -> WorkerHeartbeat:
    seen = timezone.now() - timedelta(seconds=seconds_ago)
    return WorkerHeartbeat.objects.create(
        instance=instance, hostname="celery@a", started_at=seen, seen_at=seen
    )


def test_a_heartbeat_is_written_once_then_refreshed():
    workers.heartbeat("celery@a:1:x", "celery@a")
    first = WorkerHeartbeat.objects.get()
    workers.heartbeat("celery@a:1:x", "celery@a")
    row = WorkerHeartbeat.objects.get()
    assert row.seen_at >= first.seen_at
    assert row.started_at == first.started_at == first.seen_at


def test_a_worker_whose_clock_runs_behind_is_judged_by_the_databases_clock(
    monkeypatch, settings
):
    """Several machines, their clocks apart: a worker's heartbeat was written with
    its own clock and judged with the reader's, so one 40 s behind had its pumps
    taken over at every tick and, a minute behind, the pages said no worker ran."""
    from campaigns import beat as beat_module

    settings.SMSPORTAL_WORKER_STALE_SECONDS = 30
    settings.SMSPORTAL_BEAT_STALE_SECONDS = 30
    behind = timezone.now() - timedelta(seconds=90)
    with monkeypatch.context() as machine:  # the worker's and beat's machine
        machine.setattr(timezone, "now", lambda: behind)
        workers.heartbeat("celery@slow:1:x", "celery@slow")
        beat_module.beat_heartbeat("beat@slow:1:x", "slow")
    ahead = timezone.now() + timedelta(seconds=90)
    monkeypatch.setattr(timezone, "now", lambda: ahead)  # the web server's machine

    assert workers.worker_status().state == "ok"
    assert not workers.lease_abandoned("celery@slow:1:x")
    assert list(workers.live_instances().values_list("instance", flat=True)) == [
        "celery@slow:1:x"
    ]
    assert beat_module.beat_status().state == "ok"


def test_the_dashboard_warns_when_no_worker_runs_while_a_campaign_sends(
    manager_client, make_campaign
):
    make_campaign(state=Campaign.State.SENDING)
    page = manager_client.get(reverse("dashboard"), **EN).content.decode()
    assert 'data-workers-notice="none"' in page
    assert "No worker is running." in page


def test_the_dashboard_says_nothing_of_workers_while_one_beats(
    manager_client, make_campaign
):
    make_campaign(state=Campaign.State.SENDING)
    beat(seconds_ago=5)
    page = manager_client.get(reverse("dashboard"), **EN).content.decode()
    assert "data-workers-notice" not in page
    assert "Test campaign" in page  # the block is there, without the warning


def test_no_warning_when_no_work_waits(manager_client):
    page = manager_client.get(reverse("dashboard"), **EN).content.decode()
    assert "data-workers-notice" not in page
    assert "No campaign is scheduled or sending." in page


def test_a_sending_campaigns_page_says_since_when_no_worker_was_seen(
    manager_client, make_campaign
):
    campaign = make_campaign(state=Campaign.State.SENDING)
    beat(seconds_ago=600)
    for url in ("campaigns:detail", "campaigns:progress"):
        page = manager_client.get(reverse(url, args=[campaign.pk]), **EN)
        html = page.content.decode()
        assert 'data-workers-notice="stale"' in html
        assert "No worker has been seen for 10" in html  # "10 minutes"


def test_since_when_is_counted_by_the_databases_clock_not_the_web_servers(
    manager_client, make_campaign, monkeypatch
):
    """The judgement was the database's, the "seen N ago" the web server's: a web
    server 50 minutes ahead said an hour."""
    import datetime as real
    import types

    from django.utils import timesince

    campaign = make_campaign(state=Campaign.State.SENDING)
    beat(seconds_ago=600)
    skew = timedelta(minutes=50)

    class AnyDatetime(type):
        def __instancecheck__(cls, value) -> bool:
            return isinstance(value, real.datetime)

    class WebServersDatetime(real.datetime, metaclass=AnyDatetime):
        @classmethod
        def now(cls, tz=None):
            return real.datetime.now(tz) + skew

    clock = types.SimpleNamespace(**vars(real))
    clock.datetime = WebServersDatetime
    monkeypatch.setattr(timesince, "datetime", clock)
    monkeypatch.setattr(timezone, "now", lambda: real.datetime.now(real.UTC) + skew)

    html = manager_client.get(
        reverse("campaigns:detail", args=[campaign.pk]), **EN
    ).content.decode()

    assert "No worker has been seen for 10\xa0minutes" in html


def test_a_drafts_page_does_not_warn(manager_client, make_campaign):
    campaign = make_campaign()
    page = manager_client.get(reverse("campaigns:detail", args=[campaign.pk]), **EN)
    assert "data-workers-notice" not in page.content.decode()


@pytest.fixture
def enqueued(monkeypatch):
    """The pumps campaign_pumps_ensure queues, instead of running them eagerly."""
    from campaigns import tasks

    started: list[tuple[int, int]] = []
    monkeypatch.setattr(
        tasks.campaign_pump, "delay", lambda *args: started.append(args)
    )
    return started


def test_a_slot_held_by_a_dead_workers_pump_is_taken_over(enqueued, make_campaign):
    campaign = make_campaign(state=Campaign.State.SENDING)
    beat("celery@a:1:dead", seconds_ago=45)  # three heartbeats missed
    for slot in (0, 1):
        cache.set(pump_lease_key(campaign.pk, slot), "celery@a:1:dead", 120)
    assert services.campaign_pumps_ensure(campaign_id=campaign.pk) == 2
    assert enqueued == [(campaign.pk, 0), (campaign.pk, 1)]


def test_a_slot_of_a_worker_that_stopped_on_purpose_is_taken_over(
    enqueued, make_campaign
):
    campaign = make_campaign(state=Campaign.State.SENDING)
    # Its row removed on the way out: no heartbeat at all.
    cache.set(pump_lease_key(campaign.pk, 0), "celery@a:1:gone", 120)
    cache.set(pump_lease_key(campaign.pk, 1), "celery@a:1:gone", 120)
    assert services.campaign_pumps_ensure(campaign_id=campaign.pk) == 2


def test_a_slot_held_by_a_live_workers_pump_or_a_queued_one_is_left(
    enqueued, make_campaign
):
    campaign = make_campaign(state=Campaign.State.SENDING)
    beat("celery@a:1:alive", seconds_ago=5)
    cache.set(pump_lease_key(campaign.pk, 0), "celery@a:1:alive", 120)
    cache.set(pump_lease_key(campaign.pk, 1), 1, 120)  # queued, no worker yet
    assert services.campaign_pumps_ensure(campaign_id=campaign.pk) == 0
    assert enqueued == []


def test_a_pump_names_its_worker_in_its_lease(
    simulator, make_group, make_campaign, monkeypatch
):
    monkeypatch.setattr(worker_instance, "current", "celery@b:7:abcd")
    account = simulated_account(simulator, "websms")
    group = make_group("G", [("+79120000001", "A", "Europe/Moscow")])
    campaign = make_campaign([group], account=account, state=Campaign.State.SENDING)
    campaign_expand(campaign=campaign)
    campaign_pump(campaign_id=campaign.pk, slot=1)
    assert cache.get(pump_lease_key(campaign.pk, 1)) == "celery@b:7:abcd"
    assert len(simulator.state.submissions) == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_beats_and_leaves_no_heartbeat_when_stopped():
    queue = f"heartbeat-{uuid.uuid4().hex[:8]}"
    worker = start_worker(queue)
    try:
        assert wait_for(WorkerHeartbeat.objects.exists, timeout=60, interval=0.2)
        assert workers.worker_status().state == "ok"
    finally:
        stop(worker, signal.SIGTERM)
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_leaves_its_last_heartbeat_behind():
    queue = f"heartbeat-{uuid.uuid4().hex[:8]}"
    worker = start_worker(queue)
    try:
        assert wait_for(WorkerHeartbeat.objects.exists, timeout=60, interval=0.2)
    finally:
        stop(worker, signal.SIGKILL)
    # Nothing said goodbye: the row ages until pages and /healthz call it stale.
    row = WorkerHeartbeat.objects.get()
    assert not workers.lease_abandoned(row.instance)
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(seconds=40))
    assert workers.lease_abandoned(row.instance)


def test_a_pump_hands_over_between_batches_when_its_worker_is_asked_to_stop(
    simulator, make_group, make_campaign, monkeypatch
):
    """A worker asked to stop (SIGTERM) waits for its tasks, and a pump ran on for
    its 50 s: a supervisor that kills after 10 s (Docker) cut it off mid-batch and
    left messages in doubt. Asked during its first batch, it sends and records that
    batch and claims no more; another worker's stop changes nothing."""
    from celery.signals import worker_shutting_down

    from campaigns import dispatch
    from campaigns.models import Message

    monkeypatch.setattr(worker_instance, "current", "celery@b:7:abcd")
    monkeypatch.setattr(workers, "STOP_LOOK_EVERY", 0.0)
    account = simulated_account(simulator, "smsc")  # 20 messages a batch
    people = [(f"+791200000{i:02d}", "A", "Europe/Moscow") for i in range(60)]
    campaign = make_campaign(
        [make_group("G", people)], account=account, state=Campaign.State.SENDING
    )
    campaign_expand(campaign=campaign)
    workers.worker_stopping_mark("celery@c:9:ffff")  # another worker stops
    next_chunk = dispatch._next_chunk

    def first_then_stop(*args, **kwargs):
        chunk = next_chunk(*args, **kwargs)
        worker_shutting_down.send(sender="celery@b", sig="SIGTERM", how="Warm",
                                  exitcode=0)  # fmt: skip
        return chunk

    monkeypatch.setattr(dispatch, "_next_chunk", first_then_stop)

    result = campaign_pump(campaign_id=campaign.pk)

    assert (result.sent, result.finished) == (20, False)
    assert len(simulator.state.submissions) == 20
    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status="pending", claimed_at__isnull=True).count() == 40
    assert not messages.filter(status="pending", claimed_at__isnull=False).exists()


def test_a_pump_waiting_for_the_rate_limit_stops_waiting_when_asked_to_stop(
    simulator, make_group, make_campaign, monkeypatch
):
    """Its batch goes back unsent, at once, instead of after the wait (up to 30 s)."""
    from campaigns import dispatch
    from campaigns.models import Message
    from campaigns.ratelimit import rate_limit_acquire

    monkeypatch.setattr(worker_instance, "current", "celery@b:7:abcd")
    monkeypatch.setattr(workers, "STOP_LOOK_EVERY", 0.0)
    account = simulated_account(simulator, "webcom", rate_limit=5)
    people = [(f"+791200000{i:02d}", "A", "Europe/Moscow") for i in range(10)]
    campaign = make_campaign(
        [make_group("G", people)], account=account, state=Campaign.State.SENDING
    )
    campaign_expand(campaign=campaign)
    cache.clear()

    def stop_during_the_wait(**kwargs):
        if kwargs["give_up"] is not None and rate_limit_calls:
            workers.worker_stopping_mark("celery@b:7:abcd")  # SIGTERM meanwhile
        rate_limit_calls.append(kwargs["count"])
        return rate_limit_acquire(**kwargs)

    rate_limit_calls: list[int] = []
    monkeypatch.setattr(dispatch, "rate_limit_acquire", stop_during_the_wait)
    started = time.monotonic()

    result = campaign_pump(campaign_id=campaign.pk)

    assert time.monotonic() - started < 0.9  # the second batch's wait was given up
    assert (result.sent, rate_limit_calls) == (5, [5, 5])
    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status="pending", claimed_at__isnull=True).count() == 5


def test_a_campaign_whose_pumps_are_queued_and_none_runs_waits_for_a_slot(
    make_campaign, monkeypatch
):
    from campaigns import turns

    pumping, queued, half, retrying = (
        make_campaign(state=Campaign.State.SENDING) for _ in range(4)
    )
    for slot in (0, 1):
        cache.set(pump_lease_key(pumping.pk, slot), "celery@a:1:alive", 120)
        cache.set(pump_lease_key(queued.pk, slot), turns.QUEUED, 120)
    cache.set(pump_lease_key(half.pk, 0), "celery@a:1:alive", 120)
    cache.set(pump_lease_key(half.pk, 1), turns.QUEUED, 120)  # one runs: sending
    cache.set(pump_lease_key(retrying.pk, 0), turns.RETRYING, 120)  # its gateway's
    assert turns.campaigns_waiting(besides=pumping.pk) == [queued.pk]
    assert turns.campaigns_waiting(besides=queued.pk) == []

    # Of the pumps that see it, one hands over for it, not every one.
    monkeypatch.setattr(turns, "YIELD_CHECK_SECONDS", 0)
    first, second = turns.yield_check(pumping.pk), turns.yield_check(half.pk)
    assert first() is True
    assert second() is False

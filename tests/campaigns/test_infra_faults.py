"""Our own infrastructure failing mid-campaign: the database connection, then Redis."""

import signal
import time
import uuid
from collections import Counter
from datetime import timedelta

import psycopg
import pytest

from django.db import connection

from campaigns import sending
from campaigns.dispatch import campaign_pump
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from campaigns.reconcile import messages_reconcile
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_worker_crash import make_audience, start_worker, stop
from tests.providers.contract import wait_for
from tests.redis_servers import celery_client, private_redis, redis_server_available

pytestmark = pytest.mark.django_db(transaction=True)


def new_campaign(simulator, size: int, **account_fields) -> Campaign:
    account = simulated_account(
        simulator, "webcom", balance="1000000", **account_fields
    )
    campaign = Campaign.objects.create(
        name="Infra", account=account, sender="SMSPORTAL", text="Hi {first_name}",
        respect_quiet_hours=False, state=Campaign.State.SENDING,
    )  # fmt: skip
    campaign.include_groups.set([make_audience(size)])
    campaign_expand(campaign=campaign)
    return campaign


def assert_each_once(simulator, campaign, size: int) -> None:
    per_phone = Counter(s.phone for s in simulator.state.submissions)
    assert len(per_phone) == size
    assert max(per_phone.values()) == 1
    assert not Message.objects.filter(campaign=campaign, status="pending").exists()


def test_database_connection_dropped_after_the_gateway_accepted(simulator, monkeypatch):
    campaign = new_campaign(simulator, 300)
    original = sending.record_results
    dropped = []

    def drop_then_record(**kwargs):
        if not dropped:  # the first batch: the gateway has it, we lose the database
            pid = connection.connection.info.backend_pid
            db = connection.settings_dict
            dsn = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
            with psycopg.connect(dsn, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            dropped.append(pid)
        return original(**kwargs)

    monkeypatch.setattr(sending, "record_results", drop_then_record)
    with pytest.raises(Exception, match="(?i)terminat|closed|connection"):
        campaign_pump(campaign_id=campaign.pk)
    connection.close()  # a worker closes broken connections after each task
    assert len(simulator.state.submissions) > 0
    messages_reconcile(older_than=timedelta(0))
    campaign_pump(campaign_id=campaign.pk)
    assert_each_once(simulator, campaign, 300)


@pytest.mark.worker
@pytest.mark.skipif(not redis_server_available(), reason="redis-server missing")
def test_redis_restarted_mid_campaign(simulator):
    size = 3000
    # A rate limit stretches the campaign over a few seconds so Redis dies mid-way.
    campaign = new_campaign(simulator, size, rate_limit=1000)
    queue = f"redis-restart-{uuid.uuid4().hex[:8]}"
    # A Redis of the test's own: the machine's serves others (a `make run`) too.
    with private_redis() as redis:
        on_it = {"CELERY_BROKER_URL": redis.url(0), "CACHE_URL": redis.url(3)}
        broker = celery_client(redis.url(0))
        worker = start_worker(queue, extra_env=on_it)
        try:
            broker.send_task("campaigns.campaign_pump", args=[campaign.pk, 0],
                             queue=queue)  # fmt: skip
            assert wait_for(lambda: len(simulator.state.submissions) >= 500, timeout=60)
            redis.restart()
            # This Celery/kombu version's worker exits on a lost Redis connection
            # ("Unrecoverable error ... 'hostname'"); a supervisor (systemd) restarts
            # it.
            time.sleep(2)
            if worker.poll() is not None:
                worker = start_worker(queue, extra_env=on_it)
            # Redis kept nothing (no persistence): beat's tick restarts the pumps.
            broker.send_task("campaigns.campaigns_tick", queue=queue)
            unclaimed = Message.objects.filter(
                campaign=campaign, claimed_at__isnull=True
            )
            assert wait_for(lambda: not unclaimed.exists(), timeout=120, interval=0.5)
        finally:
            stop(worker, signal.SIGTERM)
    messages_reconcile(older_than=timedelta(0))
    campaign_pump(campaign_id=campaign.pk)
    assert_each_once(simulator, campaign, size)

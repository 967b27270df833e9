"""A campaign resumed while its pump still records the batches it had out when the
pause came: sending starts again at once, through a real Celery worker.

The worker runs as `make run` runs it (threads of one process, the pumps' leases in
its cache), with the cache in Redis, which this test shares to hold the second
slot as a pump waiting for its retry would.
"""

import os
import signal
import subprocess
import sys
import uuid

import pytest

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from campaigns.dispatch import pump_lease_key
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from campaigns.services import campaign_pause, campaign_resume
from providers.simulator import Fault
from smsportal.celery import app as celery_app
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_worker_crash import make_audience, stop
from tests.providers.contract import wait_for
from tests.redis_servers import broker_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def start_threads_worker(
    queue: str, cache_url: str, *, concurrency: int = 4
) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsportal.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": broker_url(),
        "CACHE_URL": cache_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "SECRET_KEY": settings.SECRET_KEY,
        "SMSPORTAL_FIELD_KEY": settings.SMSPORTAL_FIELD_KEY,
    }
    cmd = [sys.executable, "-m", "celery", "-A", "smsportal", "worker", "-Q", queue,
           "--pool", "threads", "--concurrency", str(concurrency), "--loglevel", "WARNING",
           "--without-heartbeat", "--without-gossip", "--without-mingle"]  # fmt: skip
    return subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env, start_new_session=True)


@pytest.fixture
def shared_cache(settings):
    """The worker's cache, Redis, for this process too."""
    url = broker_url()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
        }  # fmt: skip
    }
    return url


@pytest.fixture
def worker_queue(shared_cache):
    """Tasks go to a worker process, not run here."""
    queue = f"resume-{uuid.uuid4().hex[:8]}"
    before = (celery_app.conf.task_default_queue, celery_app.conf.task_always_eager)
    celery_app.conf.task_default_queue, celery_app.conf.task_always_eager = queue, False
    worker = start_threads_worker(queue, shared_cache)
    try:
        yield queue
    finally:
        celery_app.conf.task_default_queue, celery_app.conf.task_always_eager = before
        stop(worker, signal.SIGTERM)


def test_a_resume_while_the_pump_records_its_last_batch_sends_at_once(
    simulator, worker_queue
):
    size = 3000  # six batches of 500
    account = simulated_account(simulator, "webcom", balance="100000")
    campaign = Campaign.objects.create(
        name="Resumed", account=account, sender="SMSPORTAL", text="Hi {first_name}",
        respect_quiet_hours=False, state=Campaign.State.SENDING,
    )  # fmt: skip
    campaign.include_groups.set([make_audience(size)])
    campaign_expand(campaign=campaign)
    # The other slot's pump waits for a retry (a lease of a queued pump): one pump.
    cache.set(pump_lease_key(campaign.pk, 1), 1, timeout=300)
    # The first batch is answered after 2 s, the second after 10 s: the pump sees
    # the pause at the first answer and then waits for the second.
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", delay=2, path="/xml")
    )
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", delay=10, path="/xml")
    )
    celery_app.send_task("campaigns.campaign_pump", args=[campaign.pk, 0],
                         queue=worker_queue)  # fmt: skip
    submissions = simulator.state.submissions
    assert wait_for(lambda: len(submissions) >= 1000, timeout=30, interval=0.05)
    campaign_pause(campaign=campaign)
    recorded = Message.objects.filter(campaign=campaign, submitted_at__isnull=False)
    # The first batch's answer is in: the pump has seen the pause, and waits for
    # the second batch's answer (its lease held) before it stops.
    assert wait_for(lambda: recorded.count() >= 500, timeout=15, interval=0.05)
    assert len(submissions) == 1000
    campaign_resume(campaign=campaign)

    # No beat runs here: a resumed campaign waited for its tick (30 s) before.
    assert wait_for(lambda: len(submissions) == size, timeout=25, interval=0.2), (
        f"{len(submissions)} of {size} sent after the resume"
    )
    cache.delete(pump_lease_key(campaign.pk, 1))

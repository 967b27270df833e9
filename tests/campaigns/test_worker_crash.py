"""A worker killed with SIGKILL mid-campaign: nothing is sent twice, nothing is lost.

The simulator runs in this process; a real Celery worker process (Redis broker, the
test database) sends the campaign. The simulator hangs on one request after the
gateway has accepted it, and the worker is killed while it waits — the worst moment:
the gateway has the messages, our database does not know. A fresh worker finishes the
campaign, the reconciler settles the messages in doubt, and every recipient has
exactly one submission at the gateway.
"""

import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest

from django.conf import settings
from django.db import connection

from campaigns.dispatch import campaign_pump
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from contacts.models import Contact, ContactGroup, GroupMembership
from providers.simulator import Fault
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.reconciling import reconcile_until_settled
from tests.providers.contract import wait_for
from tests.redis_servers import broker_url, celery_client

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def start_worker(queue: str, extra_env: dict | None = None) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsportal.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": broker_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "SECRET_KEY": settings.SECRET_KEY,
        "SMSPORTAL_FIELD_KEY": settings.SMSPORTAL_FIELD_KEY,
        **(extra_env or {}),
    }
    cmd = [sys.executable, "-m", "celery", "-A", "smsportal", "worker", "-Q", queue,
           "--pool", "solo", "--loglevel", "WARNING", "--without-heartbeat",
           "--without-gossip", "--without-mingle"]  # fmt: skip
    return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)


def stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def client_backends() -> int:
    """Server processes connected to the test database, this test's own included."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_type = 'client backend'"
        )
        return cursor.fetchone()[0]


def make_audience(size: int) -> ContactGroup:
    group = ContactGroup.objects.create(name="Crash test")
    contacts = Contact.objects.bulk_create(
        Contact(phone=f"+7913{i:07d}", first_name=f"N{i}") for i in range(size)
    )
    GroupMembership.objects.bulk_create(
        GroupMembership(contact=c, group=group) for c in contacts
    )
    return group


@pytest.mark.parametrize(("kind", "size"), [("webcom", 20_000), ("smsc", 1_000)])
def test_sigkill_mid_campaign_sends_every_recipient_exactly_once(kind, size, simulator):
    account = simulated_account(simulator, kind, balance="1000000")
    campaign = Campaign.objects.create(
        name="Crash", account=account, sender="SMSPORTAL", text="Hello {first_name}",
        respect_quiet_hours=False, state=Campaign.State.SENDING,
    )  # fmt: skip
    campaign.include_groups.set([make_audience(size)])
    campaign_expand(campaign=campaign)
    queue = f"crash-{uuid.uuid4().hex[:8]}"
    client = celery_client(broker_url())
    submissions = simulator.state.submissions
    backends_before = client_backends()

    worker = start_worker(queue)
    try:
        client.send_task("campaigns.campaign_pump", args=[campaign.pk, 0], queue=queue)
        assert wait_for(
            lambda: len(submissions) >= size // 4, timeout=120, interval=0.1
        )
        # The next request is accepted by the gateway, then its answer never comes.
        before = len(submissions)
        simulator.state.add_fault(kind, Fault(mode="timeout_after", delay=30))
        assert wait_for(lambda: len(submissions) > before, timeout=30, interval=0.05)
        stop(worker, signal.SIGKILL)
    finally:
        stop(worker, signal.SIGKILL)
    simulator.state.clear_faults()
    # A statement the killed worker had sent (the next batch's claim) still runs in
    # its server process and commits: count once those processes are gone.
    assert wait_for(
        lambda: client_backends() <= backends_before, timeout=30, interval=0.05
    )
    in_doubt = Message.objects.filter(
        campaign=campaign, status="pending", claimed_at__isnull=False,
        submitted_at__isnull=True,
    ).count()  # fmt: skip
    assert in_doubt > 0, "the kill should leave messages whose outcome is unknown"

    worker = start_worker(queue)
    try:
        # The broker redelivers the killed task (acks_late); a tick would restart too.
        client.send_task("campaigns.campaign_pump", args=[campaign.pk, 1], queue=queue)
        unclaimed = Message.objects.filter(campaign=campaign, claimed_at__isnull=True)
        assert wait_for(lambda: not unclaimed.exists(), timeout=180, interval=0.5)
    finally:
        stop(worker)

    assert reconcile_until_settled() == in_doubt
    campaign_pump(campaign_id=campaign.pk)  # sends what the reconciler released

    per_phone = Counter(s.phone for s in submissions)
    # The simulator refuses numbers ending in 9999 at submit (invalid number).
    refused = {f"7913{i:07d}" for i in range(size) if f"{i:07d}".endswith("9999")}
    assert len(per_phone) == size - len(refused)
    assert max(per_phone.values()) == 1
    assert Message.objects.filter(campaign=campaign, status="rejected").count() == len(
        refused
    )
    statuses = Counter(
        Message.objects.filter(campaign=campaign).values_list("status", flat=True)
    )
    assert "pending" not in statuses, statuses
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED

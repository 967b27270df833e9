"""A campaign launched while two big ones hold every worker slot with their pumps
starts sending within seconds, through a real Celery worker of two threads.

Two campaigns send through rate-limited accounts (minutes of sending each), so their
pumps take both threads; the third campaign's start and pumps used to wait in the
queue behind them until a pump's budget (50 s) ran out, and again behind the
handed-over pumps. A one-off message and a test send go from the web process itself,
not through the queue: they are measured here too.
"""

import signal
import sys
import time
import uuid
from collections import Counter

import pytest

from django.core.cache import cache

from campaigns.models import Campaign, Message
from campaigns.one_off import one_off_send
from campaigns.services import campaign_launch, campaign_pause, campaign_test_send
from contacts.models import Contact, ContactGroup, GroupMembership
from smsportal.celery import app as celery_app
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_worker_crash import stop
from tests.providers.contract import wait_for
from tests.redis_servers import broker_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RATE = 100  # messages a second for each big campaign's account
BIG = 12_000  # two minutes of sending each


def _audience(prefix: str, size: int) -> ContactGroup:
    group = ContactGroup.objects.create(name=f"Audience {prefix}")
    contacts = Contact.objects.bulk_create(
        Contact(phone=f"+7{prefix}{i:07d}", first_name=f"N{i}") for i in range(size)
    )
    GroupMembership.objects.bulk_create(
        GroupMembership(contact=c, group=group) for c in contacts
    )
    return group


def _draft(name: str, account, group: ContactGroup) -> Campaign:
    campaign = Campaign.objects.create(
        name=name, account=account, sender="SMSPORTAL", text="Hi {first_name}",
        respect_quiet_hours=False,
    )  # fmt: skip
    campaign.include_groups.set([group])
    return campaign


@pytest.fixture
def two_thread_worker(settings):
    """A worker as `celery worker --concurrency 2` starts it (threads), its cache
    Redis, shared with this process."""
    from tests.campaigns.test_resume_kick import start_threads_worker

    url = broker_url()
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": url}
    }  # fmt: skip
    queue = f"fair-{uuid.uuid4().hex[:8]}"
    before = (celery_app.conf.task_default_queue, celery_app.conf.task_always_eager)
    celery_app.conf.task_default_queue, celery_app.conf.task_always_eager = queue, False
    worker = start_threads_worker(queue, url, concurrency=2)
    try:
        yield queue
    finally:
        celery_app.conf.task_default_queue, celery_app.conf.task_always_eager = before
        stop(worker, signal.SIGTERM)
        cache.clear()


def _first_at(submissions, prefix: str) -> float | None:
    return next((s.at for s in list(submissions) if s.phone.startswith(f"7{prefix}")),
                None)  # fmt: skip


def test_a_campaign_launched_while_pumps_hold_every_slot_starts_within_seconds(
    simulator, two_thread_worker
):
    submissions = simulator.state.submissions
    big = []
    for prefix in ("913", "914"):
        account = simulated_account(simulator, "webcom", name=f"Big {prefix}",
                                    balance="1000000", rate_limit=RATE)  # fmt: skip
        big.append(_draft(f"Big {prefix}", account, _audience(prefix, BIG)))
    small_account = simulated_account(simulator, "webcom", name="Small",
                                      balance="1000000")  # fmt: skip
    small = _draft("Urgent", small_account, _audience("915", 20))
    for campaign in big:
        campaign_launch(campaign=campaign)
    # Both big campaigns send: their pumps hold both threads, and a few seconds
    # more so none of them is about to hand over by itself.
    assert wait_for(
        lambda: all(_first_at(submissions, p) for p in ("913", "914")),
        timeout=60, interval=0.1,
    )  # fmt: skip
    time.sleep(5)

    launched = time.time()
    campaign_launch(campaign=small)
    # A test send and a one-off message meanwhile, through a busy account: they go
    # from this process, sharing only the account's rate limit with the pumps.
    started = time.monotonic()
    campaign_test_send(campaign=_draft("Test", big[0].account, small.include_groups.get()),
                       phones=["+79160000001"])  # fmt: skip
    test_send_took = time.monotonic() - started
    started = time.monotonic()
    one_off_send(account=big[1].account, phone="+79160000002", text="Urgent")
    one_off_took = time.monotonic() - started
    wait_for(lambda: _first_at(submissions, "915"), timeout=120, interval=0.1)
    first = _first_at(submissions, "915")
    waited = first - launched if first else None
    # The figures for a person comparing runs (pytest -s shows them).
    sys.stderr.write(f"third campaign's first message after {waited} s; test send "
                     f"took {test_send_took:.2f} s, one-off {one_off_took:.2f} s\n")  # fmt: skip
    assert test_send_took < 15
    assert one_off_took < 15  # the account's rate limit, shared with the pumps
    assert waited is not None, "the third campaign sent nothing in two minutes"
    assert waited < 10, f"its first message left {waited:.1f} s after the launch"
    small_sent = Message.objects.filter(campaign=small, submitted_at__isnull=False)
    assert wait_for(lambda: small_sent.count() == 20, timeout=30, interval=0.2)

    for campaign in big:
        campaign_pause(campaign=campaign)
    # Exactly once through the pumps' hand-overs: every number at most once, and
    # every one the gateway has is recorded once the pumps have settled.
    in_flight = Message.objects.filter(
        campaign__in=big, claimed_at__isnull=False, submitted_at__isnull=True
    )
    assert wait_for(lambda: not in_flight.exists(), timeout=60, interval=0.2)
    per_phone = Counter(s.phone for s in submissions)
    assert max(per_phone.values()) == 1
    recorded = Message.objects.filter(campaign__in=big, submitted_at__isnull=False)
    assert recorded.count() == sum(
        1 for phone in per_phone if phone[1:4] in ("913", "914")
    )
    small.refresh_from_db()
    assert small.state == Campaign.State.COMPLETED

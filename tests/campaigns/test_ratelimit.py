"""The account's rate limit, as the gateway sees it: no second, wherever it starts,
holds more messages than the limit, however the batches of several workers fall."""

import time
import uuid

import pytest

from django.core.cache import cache

from campaigns import ratelimit


class Clock:
    """time.time and time.sleep of the limiter, moved by hand."""

    def __init__(self, start: float) -> None:
        self.now = start

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    cache.clear()
    # Cache entries expire by the real clock; the fake one starts at a whole second.
    fake = Clock(start=float(int(ratelimit.time.time())) + 10)
    monkeypatch.setattr(ratelimit, "_clock", None)  # read again: the cache is ours
    monkeypatch.setattr(ratelimit.time, "time", fake.time)
    monkeypatch.setattr(ratelimit.time, "sleep", fake.sleep)
    yield fake
    monkeypatch.undo()
    cache.clear()


def most_in_a_second(grants: list[tuple[float, int]]) -> int:
    return max(
        sum(n for t, n in grants if start <= t < start + 1.0) for start, _ in grants
    )


def test_a_batch_at_the_start_of_a_second_waits_for_one_at_the_end_of_the_last(clock):
    """Two workers' full batches either side of a second's boundary went out
    together: twice the limit within a twentieth of a second."""
    clock.now += 0.95
    ratelimit.rate_limit_acquire(account_id=1, count=40, per_second=40)
    first = clock.now
    clock.now += 0.05  # the next second begins; another worker asks
    ratelimit.rate_limit_acquire(account_id=1, count=40, per_second=40)

    assert clock.now - first >= 1.0


def test_no_second_holds_more_than_the_limit_whatever_the_batches(clock):
    grants = []
    sizes = [40, 7, 13, 40, 1, 25, 40, 39, 2, 40, 18, 33]
    for step in range(120):
        clock.now += (step % 7) * 0.013  # workers asking at uneven moments
        size = sizes[step % len(sizes)]
        ratelimit.rate_limit_acquire(account_id=2, count=size, per_second=40)
        grants.append((clock.now, size))

    assert most_in_a_second(grants) <= 40


def test_full_batches_go_at_nearly_the_limit(clock):
    """A pump claims a second's worth of the limit at a time."""
    grants = []
    for _ in range(60):
        ratelimit.rate_limit_acquire(account_id=5, count=40, per_second=40)
        grants.append((clock.now, 40))
        clock.now += 0.004  # the request and the next claim

    sent, span = sum(n for _, n in grants[:-1]), grants[-1][0] - grants[0][0]
    assert most_in_a_second(grants) <= 40
    assert sent / span >= 40 * ratelimit.SLICES / (ratelimit.SLICES + 1) * 0.97


def test_accounts_do_not_share_a_limit(clock):
    ratelimit.rate_limit_acquire(account_id=3, count=40, per_second=40)
    start = clock.now

    assert ratelimit.rate_limit_acquire(account_id=4, count=40, per_second=40) == 0
    assert clock.now == start


def test_a_wait_is_given_up_when_the_worker_is_asked_to_stop(clock):
    """A rate-limited batch waited up to 30 s for its turn while its worker was
    being stopped (SIGTERM): a supervisor's 10 s then killed it mid-batch."""
    ratelimit.rate_limit_acquire(account_id=6, count=40, per_second=40)
    start = clock.now

    with pytest.raises(TimeoutError):
        ratelimit.rate_limit_acquire(
            account_id=6, count=40, per_second=40, give_up=lambda: True
        )
    assert clock.now == start  # no sleep at all
    # Not asked to stop: it waits its turn as before.
    waited = ratelimit.rate_limit_acquire(
        account_id=6, count=40, per_second=40, give_up=lambda: False
    )
    assert waited > 0.9


@pytest.mark.django_db
def test_a_request_per_message_is_spread_over_the_granted_second(
    simulator, make_group, make_campaign
):
    """SMSC takes a request per message: the limiter grants a batch at once, and its
    requests all left at the start of the second, meeting the next batch's in the
    same second (69 to 75 a second at the simulator for a limit of 40)."""
    from campaigns.dispatch import campaign_pump
    from campaigns.expansion import campaign_expand
    from campaigns.models import Campaign
    from tests.campaigns.gateway_accounts import simulated_account

    cache.clear()
    account = simulated_account(simulator, "smsc", rate_limit=10)
    people = [(f"+791200000{i:02d}", "A", "Europe/Moscow") for i in range(10)]
    campaign = make_campaign(
        [make_group("G", people)], account=account, state=Campaign.State.SENDING
    )
    campaign_expand(campaign=campaign)

    campaign_pump(campaign_id=campaign.pk)

    times = sorted(s.at for s in simulator.state.submissions)
    assert len(times) == 10
    # Ten a second, a tenth of a second apart: at most three in any quarter second.
    assert max(sum(1 for t in times if a <= t < a + 0.25) for a in times) <= 3
    assert times[-1] - times[0] >= 0.85


def test_workers_whose_clocks_differ_count_the_same_slices(monkeypatch, settings):
    """Several machines on one Redis: each worker counted the slices by its own
    clock, so one whose clock ran a few seconds ahead counted in slices nobody else
    looked at, and the account got the limit from each worker."""
    from tests.redis_servers import broker_url, sibling_url

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": sibling_url(broker_url(), 14),
            "KEY_PREFIX": f"skew-{uuid.uuid4().hex}",
        }
    }
    real = time.time

    def worker_on(skew: float) -> None:
        monkeypatch.setattr(ratelimit, "_clock", None, raising=False)  # a new process
        monkeypatch.setattr(ratelimit.time, "time", lambda: real() + skew)

    worker_on(skew=5.0)  # a machine whose clock runs 5 s ahead
    assert ratelimit.rate_limit_acquire(account_id=1, count=4, per_second=4) == 0
    worker_on(skew=0.0)
    waited = ratelimit.rate_limit_acquire(account_id=1, count=4, per_second=4)
    assert waited > 0  # the second worker waits for the first one's second


@pytest.mark.parametrize(
    ("limit", "share"), [(1, 1), (10, 10), (19, 19), (20, 19), (100, 95), (1000, 950)]
)
def test_campaigns_take_all_but_a_twentieth_of_a_limit_of_twenty_or_more(limit, share):
    assert ratelimit.campaign_rate(limit) == share


def test_a_one_off_goes_at_once_while_pumps_take_whole_seconds(clock):
    """Two pumps asking a second's worth each, back to back, filled every second: a
    one-off (an order's notice through the API) waited behind them up to 30 s, and
    was refused. Campaigns leave it a share."""
    limit = 100
    pumps = ratelimit.campaign_rate(limit)
    grants = []
    for _ in range(4):
        ratelimit.rate_limit_acquire(account_id=1, count=pumps, per_second=pumps)
        grants.append((clock.now, pumps))
    asked = clock.now

    ratelimit.rate_limit_acquire(account_id=1, count=1, per_second=limit)

    assert clock.now - asked < 0.1
    assert most_in_a_second([*grants, (clock.now, 1)]) <= limit


@pytest.mark.django_db
def test_a_pumps_batches_and_their_grants_are_the_campaigns_share(
    simulator, make_group, make_campaign, monkeypatch
):
    from campaigns import dispatch
    from campaigns.expansion import campaign_expand
    from campaigns.models import Campaign
    from tests.campaigns.gateway_accounts import simulated_account

    account = simulated_account(simulator, "webcom")
    account.rate_limit = 20
    account.save(update_fields=["rate_limit"])
    group = make_group(
        "G", [(f"+7912000{i:04d}", "A", "Europe/Moscow") for i in range(40)]
    )
    campaign = make_campaign([group], account=account, respect_quiet_hours=False)
    campaign_expand(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)
    asked = []
    acquire = dispatch.rate_limit_acquire

    def seen(**kwargs):
        asked.append((kwargs["count"], kwargs["per_second"]))
        return acquire(**kwargs)

    monkeypatch.setattr(dispatch, "rate_limit_acquire", seen)

    assert dispatch.campaign_pump(campaign_id=campaign.pk).sent == 40
    assert set(asked) == {(19, 19), (2, 19)}  # 19 + 19 + 2 at 19 a second

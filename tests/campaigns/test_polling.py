"""Status polling against the simulator: what is asked, and how often."""

from datetime import timedelta

import pytest

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Message
from campaigns.polling import statuses_poll
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = pytest.mark.django_db


def test_smsc_is_asked_one_mass_status_request_a_minute(simulator, make_campaign):
    """SMSC answers error 9 to more than one mass status request a minute (REFERENCE
    §2.5, §2.14): a poll run sent up to twenty, all but the first refused, and
    repeated errors get the IP blocked (error 4), sending included."""
    account = simulated_account(simulator, "smsc")
    campaign = make_campaign(account=account)
    sent = timezone.now() - timedelta(minutes=5)
    Message.objects.bulk_create(
        Message(
            campaign=campaign, account=account, phone=f"+7912{i:07d}", text="x",
            channel="sms", planned_at=sent, submitted_at=sent, status="sent",
            gateway_message_id=f"{i}:7912{i:07d}",
        )
        for i in range(250)
    )  # fmt: skip
    cache.clear()
    simulator.state.request_log.clear()

    statuses_poll()

    status_requests = [
        path for gateway, path, _at in simulator.state.request_log
        if gateway == "smsc" and "status.php" in path
    ]  # fmt: skip
    assert len(status_requests) == 1
    # Those not asked about are asked first next time, not a minute later still.
    assert Message.objects.filter(polled_at__isnull=False).count() == 100


def _open_messages(campaign, account, count: int, *, channel="sms", status="sent"):
    sent = timezone.now() - timedelta(minutes=5)
    Message.objects.bulk_create(
        Message(
            campaign=campaign, account=account, phone=f"+7912{i:07d}", text="x",
            channel=channel, planned_at=sent, submitted_at=sent, status=status,
            gateway_message_id=f"{i}:7912{i:07d}",
        )
        for i in range(count)
    )  # fmt: skip


def test_messages_never_asked_about_are_asked_before_those_asked_already(
    simulator, make_campaign
):
    """The gateway holds these (quiet hours): they stay open run after run. The runs
    must still come round to the rest, on PostgreSQL too, which sorts NULL last."""
    account = simulated_account(simulator, "smsc")
    _open_messages(make_campaign(account=account), account, 250)
    start = timezone.now()
    polled = []

    for run in range(4):
        cache.clear()
        statuses_poll(now=start + timedelta(seconds=61 * run))
        polled.append(Message.objects.filter(polled_at__isnull=False).count())

    assert polled == [100, 200, 250, 250]
    # Then round and round, those asked longest ago first: none was left behind.
    assert not Message.objects.filter(polled_at=start).exists()


@pytest.mark.parametrize(
    ("channel", "asked"),
    [("sms", False), ("flash", False), ("voice", False), ("viber", True),
     ("viber_sms", True)],
)  # fmt: skip
def test_only_delivered_viber_messages_are_asked_about_again(
    simulator, make_campaign, channel, asked
):
    """Delivered is final, but a Viber message may still be read."""
    account = simulated_account(simulator, "webcom")
    _open_messages(
        make_campaign(account=account), account, 1, channel=channel, status="delivered"
    )
    cache.clear()

    statuses_poll()

    assert Message.objects.filter(polled_at__isnull=False).exists() is asked


def test_a_deactivated_accounts_sent_messages_still_get_their_status(
    simulator, make_campaign, make_group
):
    """Deactivated right after a campaign, its messages stayed «queued» for good."""
    import time

    from campaigns.dispatch import campaign_pump
    from campaigns.expansion import campaign_expand
    from campaigns.models import Campaign
    from providers.models import ProviderAccount

    account = simulated_account(simulator, "smsc")
    group = make_group(
        "G", [(f"+7912000000{i}", "N", "Europe/Moscow") for i in range(3)]
    )
    campaign = make_campaign([group], account=account, state=Campaign.State.SENDING)
    campaign_expand(campaign=campaign)
    assert campaign_pump(campaign_id=campaign.pk).sent == 3
    ProviderAccount.objects.filter(pk=account.pk).update(is_active=False)
    time.sleep(1)  # the simulator delivers them meanwhile
    cache.clear()

    statuses_poll(now=timezone.now() + timedelta(minutes=10))

    assert set(Message.objects.values_list("status", flat=True)) == {"delivered"}


@pytest.mark.parametrize(
    ("planned_ago", "asked"),
    [(timedelta(hours=1), True), (timedelta(days=4), False)],
    ids=["held-until-an-hour-ago", "sent-at-once-four-days-ago"],
)
def test_a_message_the_gateway_held_for_days_is_asked_about_once_it_went_out(
    simulator, make_campaign, planned_ago, asked
):
    """A campaign spread over a week is handed over up to 7 days ahead, each message
    with its send time (dispatch.SCHEDULE_AHEAD). Polling gave up 3 days after the
    hand-over: a message sent out on its fifth day stayed «queued» for good where no
    callback came. The 3 days count from when it goes out."""
    account = simulated_account(simulator, "smsc")
    handed_over = timezone.now() - timedelta(days=4)
    Message.objects.create(
        campaign=make_campaign(account=account), account=account,
        phone="+79120000001", text="x", channel="sms",
        planned_at=timezone.now() - planned_ago, submitted_at=handed_over,
        status="queued", gateway_message_id="1:79120000001",
    )  # fmt: skip
    cache.clear()

    statuses_poll()

    assert Message.objects.filter(polled_at__isnull=False).exists() is asked


def test_messages_awaiting_their_outcome_are_asked_before_delivered_viber_ones(
    simulator, make_campaign
):
    """Delivered Viber messages stay open three days for a possible read. With SMSC's
    one request of 100 a minute, a large Viber campaign asked longer ago took every
    run's places, and another campaign's messages waited hours for delivered or not
    (what «resend to the failed» and the bill depend on) behind mere read receipts."""
    account = simulated_account(simulator, "smsc")
    start = timezone.now()
    viber = make_campaign(account=account, channel="viber")
    _open_messages(viber, account, 150, channel="viber", status="delivered")
    Message.objects.update(polled_at=start - timedelta(hours=2))
    sms = make_campaign(account=account)
    sent = start - timedelta(minutes=30)
    Message.objects.bulk_create(
        Message(
            campaign=sms, account=account, phone=f"+7913{i:07d}", text="x",
            channel="sms", planned_at=sent, submitted_at=sent, status="sent",
            gateway_message_id=f"{i}:7913{i:07d}", polled_at=start - timedelta(hours=1),
        )
        for i in range(40)
    )  # fmt: skip
    cache.clear()

    statuses_poll(now=start)

    asked = Message.objects.filter(polled_at=start)
    assert asked.count() == 100
    assert asked.filter(campaign=sms).count() == 40


def test_a_run_reads_its_candidates_in_one_query(simulator, make_campaign):
    """Each batch of 100 read the candidates again: during a campaign to 900,000,
    with 440,000 awaiting a report, each read scanned and sorted them all (0.4-0.6 s),
    twenty times a run, every 30 s."""
    account = simulated_account(simulator, "webcom")
    _open_messages(make_campaign(account=account), account, 250)
    cache.clear()

    with CaptureQueriesContext(connection) as queries:
        statuses_poll()

    reads = [
        q["sql"] for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and '"polled_at"' in q["sql"]
        and "ORDER BY" in q["sql"]
        and f'"account_id" = {account.pk} ' in q["sql"]
    ]  # fmt: skip
    assert len(reads) == 1
    assert Message.objects.filter(polled_at__isnull=False).count() == 250


def _status_requests(simulator, gateway: str = "webcom") -> int:
    return sum(
        1 for name, path, _at in simulator.state.request_log
        if name == gateway and "state" in path
    )  # fmt: skip


def test_a_run_goes_on_past_twenty_batches_while_its_budget_lasts(
    simulator, make_campaign
):
    """A run asked about twenty batches of 100 and stopped: with beat every 30 s a
    900,000-recipient campaign's statuses settled at ~66 a second, for hours."""
    account = simulated_account(simulator, "webcom")
    _open_messages(make_campaign(account=account), account, 2_500)
    cache.clear()
    simulator.state.request_log.clear()

    statuses_poll()

    assert _status_requests(simulator) == 25
    assert not Message.objects.filter(polled_at__isnull=True).exists()


def test_a_run_stops_at_its_budget_and_leaves_the_rest_unasked(
    simulator, make_campaign
):
    """Below beat's interval, so runs do not pile up; what it did not ask about is
    not marked asked, so the next run takes it first."""
    account = simulated_account(simulator, "webcom")
    _open_messages(make_campaign(account=account), account, 2_500)
    cache.clear()
    simulator.state.request_log.clear()
    ticks = iter(range(1_000_000))  # a clock a second on at each look

    statuses_poll(budget=5.0, clock=lambda: float(next(ticks)))

    asked = _status_requests(simulator)
    assert 0 < asked < 10
    assert Message.objects.filter(polled_at__isnull=False).count() == asked * 100


def test_an_unlimited_gateways_turn_is_left_when_its_run_ends(simulator, make_campaign):
    """The turn lasted a minute: beat's next tick 30 s later found it taken, so a
    run of up to 25 s came once a minute. SMSC's mass requests keep the minute."""
    from campaigns.status_turns import polling_turn_take

    webcom = simulated_account(simulator, "webcom")
    smsc = simulated_account(simulator, "smsc")
    cache.clear()

    statuses_poll()

    assert polling_turn_take(webcom.pk)
    assert not polling_turn_take(smsc.pk)


@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_claim_disjoint_messages(simulator, make_campaign):
    """Two workers polling the same account (a run outliving its turn, two beats)
    both read the same candidates and asked the gateway about each twice."""
    import threading

    from campaigns.polling import polling_claim

    account = simulated_account(simulator, "webcom")
    _open_messages(make_campaign(account=account), account, 300)
    ids = list(Message.objects.order_by("id").values_list("id", flat=True))
    now = timezone.now()
    since = now - timedelta(minutes=1)
    claimed: dict[str, list[int]] = {}
    holding, done = threading.Event(), threading.Event()

    def first() -> None:
        from django.db import connection as own
        from django.db import transaction

        try:
            with transaction.atomic():  # its claim not committed while the other runs
                claimed["first"] = [r[0] for r in polling_claim(ids[:200], now=now,
                                                                since=since)]  # fmt: skip
                holding.set()
                done.wait(10)
        finally:
            own.close()

    def second() -> None:
        from django.db import connection as own

        try:
            claimed["second"] = [r[0] for r in polling_claim(ids, now=now, since=since)]
        finally:
            own.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(10)
    other = threading.Thread(target=second)
    other.start()
    other.join(10)
    done.set()
    thread.join(10)
    # Once committed, the first's messages are asked about: a third claim gets none.
    again = polling_claim(ids, now=now, since=since)

    assert sorted(claimed["first"]) == ids[:200]
    assert sorted(claimed["second"]) == ids[200:]
    assert again == []


def test_the_time_quiet_accounts_leave_goes_to_the_busy_one_their_share_cut(
    simulator, make_campaign
):
    """The run's time was shared equally in the accounts' order: a busy account named
    first got 25 s / 7 with six quiet ones after it, and the run ended with most of
    its time unused (25-54 reports a second at a gateway answering in 0.4 s)."""
    busy = simulated_account(simulator, "webcom", name="A busy")
    for n in range(6):
        simulated_account(simulator, "webcom", name=f"Quiet {n}")
    _open_messages(make_campaign(account=busy), busy, 3_000)
    cache.clear()
    simulator.state.request_log.clear()

    # Each status request takes a second; nothing else takes time.
    statuses_poll(budget=21.0, clock=lambda: float(_status_requests(simulator)))

    # Its own share (21 s / 8 accounts) asked three batches; the rest of the run,
    # which the quiet ones left, 18 more.
    assert _status_requests(simulator) == 21

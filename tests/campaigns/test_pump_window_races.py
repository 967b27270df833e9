"""The pump's window of two batches, attacked: faults, pause, cancel and the rate
limit while two batches are with the gateway (the simulator over HTTP, its answers
held back by a fault so that both are out at once)."""

import contextlib
import threading
from collections import Counter
from datetime import timedelta

import pytest

from django.db import connection
from django.utils import timezone

from campaigns.dispatch import campaign_pump
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from providers.exceptions import GatewayUnavailable
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
            # A 503's retry is the task's: the ledger is what these tests look at.
            with contextlib.suppress(GatewayUnavailable):
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


# Faults on one of two batches out ---------------------------------------------------


def assert_nothing_released_that_the_gateway_has(simulator, campaign) -> None:
    """After a pump: each message recorded, released (and then the gateway never
    got it), or in doubt for the reconciler; none claimed without a word."""
    at_gateway = Counter(s.phone for s in simulator.state.submissions)
    assert max(at_gateway.values(), default=1) == 1, at_gateway
    for message in Message.objects.filter(campaign=campaign):
        if message.status != "pending":
            continue
        if message.claimed_at is None:
            assert message.phone not in at_gateway, (message.phone, "released")
        else:
            assert message.reason == "outcome_unknown", (message.phone, "lost")


def recover(simulator, campaign) -> None:
    """What the task's retries, the reconciler and a person's resume do."""
    import contextlib
    from datetime import timedelta

    from celery.exceptions import Retry

    from campaigns.reconcile import messages_reconcile
    from campaigns.services import campaign_resume
    from providers.exceptions import GatewayUnavailable

    simulator.state.clear_faults()
    for account in simulator.state.accounts.values():
        account.balance = account.balance + 1000
    for _ in range(6):
        campaign.refresh_from_db()
        if campaign.state == Campaign.State.PAUSED:
            campaign_resume(campaign=campaign)
        with contextlib.suppress(GatewayUnavailable, Retry):
            campaign_pump(campaign_id=campaign.pk)
        messages_reconcile(older_than=timedelta(0))
        if not Message.objects.filter(campaign=campaign, status="pending").exists():
            return


def assert_exactly_once(simulator, campaign, size: int) -> None:
    """Every recipient the gateway did not refuse got the message once."""
    statuses = Counter(
        Message.objects.filter(campaign=campaign).values_list("status", flat=True)
    )
    assert set(statuses) <= {"queued", "sent", "delivered", "rejected"}, statuses
    assert sum(statuses.values()) == size
    per_phone = Counter(s.phone for s in simulator.state.submissions)
    assert len(per_phone) == size - statuses["rejected"], per_phone
    assert max(per_phone.values()) == 1, per_phone


FAULTS = {
    # The request processed, its answer never read: in doubt.
    "timeout_after": Fault(mode="timeout_after", delay=2.5),
    "drop_after": Fault(mode="drop_after"),
    "malformed": Fault(mode="malformed"),
    # Turned away unprocessed: released, the task retries.
    "timeout_before": Fault(mode="timeout_before", delay=SLOW),
    "http503": Fault(mode="http503"),
    "drop_before": Fault(mode="drop_before"),
    "refuse": Fault(mode="refuse"),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("which", ["first", "second"])
@pytest.mark.parametrize("mode", sorted(FAULTS))
@pytest.mark.parametrize("dialect", ["xml", "json", "get"])
def test_a_fault_on_one_of_two_batches_out_loses_and_repeats_nothing(
    dialect, mode, which, simulator, make_group, make_campaign, monkeypatch
):
    """Webcom's GET with one text is one request a batch too; it cannot be asked
    about a message in doubt, so those wait for a person (not recovered here)."""
    from dataclasses import replace

    from providers import http as gateway_http

    monkeypatch.setattr(
        gateway_http, "_shared_client", lambda: gateway_http.build_client(timeout=1.5)
    )
    monkeypatch.setattr(gateway_class("webcom"), "max_batch", 2)
    account = simulated_account(simulator, "webcom", dialect=dialect)
    campaign = make_campaign(
        [make_group("G", phones(10))], account=account, text="Hello!",
        state=Campaign.State.SENDING,
    )  # fmt: skip
    campaign_expand(campaign=campaign)
    path = {"get": "/sendsms.php"}.get(dialect, f"/{dialect}")
    slow = Fault(mode="timeout_after", count=-1, path=path, delay=SLOW)
    if which == "second":
        simulator.state.add_fault("webcom", replace(slow, count=1))
    simulator.state.add_fault("webcom", replace(FAULTS[mode], count=1, path=path))
    simulator.state.add_fault("webcom", slow)

    pump = pump_in_a_thread(campaign.pk)
    pump.join(timeout=30)
    assert not pump.is_alive()
    assert_nothing_released_that_the_gateway_has(simulator, campaign)
    if dialect == "get":
        return
    recover(simulator, campaign)
    assert_exactly_once(simulator, campaign, 10)


def refusing_the_nth_login(simulator, monkeypatch, refused: set[int]) -> None:
    """The gateway refuses the credentials of these sends (counted from 1), as after
    a password changed in its cabinet."""
    real = simulator.state.authenticate
    calls = []

    def authenticate(gateway, **credentials):
        calls.append(gateway)
        return None if len(calls) in refused else real(gateway, **credentials)

    monkeypatch.setattr(simulator.state, "authenticate", authenticate)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "refusal", ["funds_first", "funds_second", "login_first", "login_second"]
)
def test_a_pausing_answer_with_two_batches_out_records_the_other_by_its_answer(
    refusal, simulator, make_group, make_campaign, monkeypatch
):
    """Funds run out (Webcom refuses per recipient, part way) or the login is refused
    on one of two batches out: the campaign pauses, the other batch is recorded as the
    gateway answered it, nothing leaves after the refusal is read, and after a top-up
    (or the login fixed) and a resume each recipient has the message once."""
    monkeypatch.setattr(gateway_class("webcom"), "max_batch", 2)
    # 3.50 a part: three messages' worth, so the second batch's second is refused.
    balance = "10.50" if refusal == "funds_second" else "1000.00"
    account = simulated_account(simulator, "webcom", balance=balance)
    campaign = make_campaign(
        [make_group("G", phones(10))], account=account, state=Campaign.State.SENDING
    )
    campaign_expand(campaign=campaign)
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", count=-1, path="/xml", delay=SLOW)
    )
    if refusal == "funds_first":
        sim = simulator.state.accounts[("webcom", account.login)]
        sim.balance = 0
    if refusal.startswith("login"):
        refusing_the_nth_login(
            simulator, monkeypatch, {1} if refusal == "login_first" else {2, 3, 4}
        )

    pump = pump_in_a_thread(campaign.pk)
    pump.join(timeout=30)
    assert not pump.is_alive()

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED, campaign.state
    assert_nothing_released_that_the_gateway_has(simulator, campaign)
    statuses = Counter(
        Message.objects.filter(campaign=campaign).values_list("status", flat=True)
    )
    taken = {"funds_first": 0, "funds_second": 3, "login_first": 2, "login_second": 2}
    assert statuses["queued"] == taken[refusal], statuses
    assert not Message.objects.filter(campaign=campaign, reason="outcome_unknown")
    monkeypatch.undo()  # the login works again
    monkeypatch.setattr(gateway_class("webcom"), "max_batch", 2)
    recover(simulator, campaign)
    assert_exactly_once(simulator, campaign, 10)


@pytest.mark.django_db
@pytest.mark.parametrize("refusal", ["http503", "login", "funds"])
def test_no_batch_leaves_after_a_stopping_answer_that_came_during_the_rate_wait(
    refusal, simulator, make_group, make_campaign, monkeypatch
):
    """The gateway turned the first batch away at once (503, a refused login, no
    money) while the second waited a second for the account's rate limit, with room
    in the window; the pump sent the second all the same: a second request to a
    gateway that is overloaded, or a second failed login where gateways lock the
    account after a few."""
    import contextlib

    from celery.exceptions import Retry

    from providers.exceptions import GatewayUnavailable

    monkeypatch.setattr(gateway_class("webcom"), "max_batch", 2)
    account = simulated_account(
        simulator, "webcom", balance="0" if refusal == "funds" else "1000.00",
        rate_limit=2,
    )  # fmt: skip
    campaign = make_campaign(
        [make_group("G", phones(10))], account=account, state=Campaign.State.SENDING
    )
    campaign_expand(campaign=campaign)
    if refusal == "http503":
        simulator.state.add_fault("webcom", Fault(mode="http503", path="/xml"))
    if refusal == "login":
        refusing_the_nth_login(simulator, monkeypatch, {1})

    with contextlib.suppress(GatewayUnavailable, Retry):
        campaign_pump(campaign_id=campaign.pk)

    assert len(sends(simulator, "webcom", "/xml")) == 1
    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status="pending", claimed_at__isnull=True).count() == 10


# Webcom's GET: a batch of one text is one request, of personal texts a request each --


def named(names: list[str]) -> list[tuple[str, str, str]]:
    return [(f"+7916{i:07d}", name, "Europe/Moscow") for i, name in enumerate(names)]


def get_campaign(simulator, make_group, make_campaign, monkeypatch, names, text):
    monkeypatch.setattr(gateway_class("webcom"), "max_batch", 2)
    account = simulated_account(simulator, "webcom", dialect="get")
    campaign = make_campaign(
        [make_group("G", named(names))], account=account, text=text,
        state=Campaign.State.SENDING,
    )  # fmt: skip
    campaign_expand(campaign=campaign)
    # Claimed in the order of the names (by planned_at): the expansion numbers the
    # messages in no particular order, and batches of one text must stay together.
    due = timezone.now() - timedelta(minutes=1)
    for index, (phone, _name, _zone) in enumerate(named(names)):
        Message.objects.filter(campaign=campaign, phone=phone).update(
            planned_at=due + timedelta(milliseconds=index)
        )
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", count=-1, path="/sendsms", delay=SLOW)
    )
    return campaign


@pytest.mark.django_db
def test_webcom_get_batches_of_one_text_go_two_at_a_time(
    simulator, make_group, make_campaign, monkeypatch
):
    """Each of these batches is one sendsms.php request (one text for its two
    recipients), as an XML batch is: the next waits at the gateway while the last
    is answered, as the window promises for Webcom's GET with one text."""
    campaign = get_campaign(simulator, make_group, make_campaign, monkeypatch,
                            ["A"] * 6, "Hello!")  # fmt: skip
    campaign_pump(campaign_id=campaign.pk)
    first, second, third = sends(simulator, "webcom", "/sendsms.php")
    assert second - first < SLOW / 2
    assert third - first >= SLOW
    assert_exactly_once(simulator, campaign, 6)


@pytest.mark.django_db
def test_webcom_get_window_follows_the_batches_texts_mid_campaign(
    simulator, make_group, make_campaign, monkeypatch
):
    """One campaign, its batches of one text (one request) and of personal texts (a
    request each): two batches of one text are out at once, a request of personal
    texts is never out beside any other."""
    names = ["A"] * 4 + ["B", "C", "D", "E"] + ["F"] * 4
    campaign = get_campaign(simulator, make_group, make_campaign, monkeypatch,
                            names, "Hello {first_name}!")  # fmt: skip
    campaign_pump(campaign_id=campaign.pk)
    assert_exactly_once(simulator, campaign, len(names))
    taken = sorted((s.at, s.text) for s in simulator.state.submissions)
    personal = {f"Hello {name}!" for name in "BCDE"}
    for index, (at, text) in enumerate(taken):
        if text not in personal:
            continue
        # Left after the answer to the request before, and answered before the next.
        if index:
            assert at - taken[index - 1][0] >= SLOW * 0.9, taken
        if index + 1 < len(taken):
            assert taken[index + 1][0] - at >= SLOW * 0.9, taken
    # The batches of one text at either end went two at a time.
    assert taken[3][0] - taken[0][0] < SLOW / 2, taken
    assert taken[-1][0] - taken[-4][0] < SLOW / 2, taken


# The rate limit with two batches out ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("dialect", "names"),
    [
        ("xml", ["A"] * 24),
        # Batches of one text (two out at once) and of personal texts (alone).
        ("get", ["A"] * 8 + [f"P{i}" for i in range(8)] + ["B"] * 8),
    ],
)
def test_with_two_batches_out_no_second_at_the_gateway_holds_more_than_the_limit(
    dialect, names, simulator, make_group, make_campaign
):
    """Answers held longer than the limiter's second: the next batch, granted a
    second after the last, joins it at the gateway; no second there, wherever it
    starts, sees more than the account's limit."""
    from django.core.cache import cache

    cache.clear()
    account = simulated_account(simulator, "webcom", dialect=dialect, rate_limit=4)
    campaign = make_campaign(
        [make_group("G", named(names))], account=account,
        text="Hello {first_name}!", state=Campaign.State.SENDING,
    )  # fmt: skip
    campaign_expand(campaign=campaign)
    path = "/sendsms.php" if dialect == "get" else "/xml"
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", count=-1, path=path, delay=1.3)
    )
    campaign_pump(campaign_id=campaign.pk)
    assert_exactly_once(simulator, campaign, len(names))
    times = sorted(s.at for s in simulator.state.submissions)
    # Over 0.8 s, not 1: the limiter counts when it grants, the simulator when a
    # request is read, and on a busy machine a request granted at the end of one
    # second can be read a moment later, next to the following second's.
    busiest = max(sum(1 for t in times if a <= t < a + 0.8) for a in times)
    assert busiest <= 4, times
    # The window was used: some batch left while the one before was out.
    starts = sorted(sends(simulator, "webcom", path))
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) < 1.3


# Pause and resume with two batches out ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_pause_and_a_resume_while_two_batches_are_out_send_each_once(
    simulator, make_group, make_campaign, monkeypatch
):
    """Resumed before the pump that saw the pause has recorded its two batches: the
    pumps the resume starts and that one's records meet, and still each recipient
    gets the message once and none is left behind."""
    from campaigns.services import campaign_pause, campaign_resume

    monkeypatch.setattr(gateway_class("webcom"), "max_batch", 2)
    account = simulated_account(simulator, "webcom")
    campaign = make_campaign(
        [make_group("G", phones(12))], account=account, state=Campaign.State.SENDING
    )
    campaign_expand(campaign=campaign)
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", count=4, path="/xml", delay=SLOW)
    )
    pump = pump_in_a_thread(campaign.pk)
    try:
        assert wait_for(lambda: len(sends(simulator, "webcom", "/xml")) == 2,
                        timeout=10, interval=0.01)  # fmt: skip
        campaign_pause(campaign=Campaign.objects.get(pk=campaign.pk))
        campaign_resume(campaign=Campaign.objects.get(pk=campaign.pk))  # eager pumps
    finally:
        pump.join(timeout=30)
    assert not pump.is_alive()
    recover(simulator, campaign)
    assert_exactly_once(simulator, campaign, 12)
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.COMPLETED

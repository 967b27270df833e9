"""Gateway faults during a campaign: retried where safe, never duplicated, never lost.

Each case injects one fault into the simulator while a campaign is being sent, then
lets the system recover the way production does (task retry, the reconciler, the
pump again) and checks that every recipient has exactly one submission at the gateway.
"""

import contextlib
import time
from collections import Counter
from datetime import timedelta

import pytest
from celery.exceptions import Retry

from campaigns.dispatch import campaign_pump
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from campaigns.reconcile import messages_reconcile
from campaigns.sending import pause_reason_for
from providers.exceptions import GatewayUnavailable, InsufficientBalance
from providers.simulator import Fault
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = pytest.mark.django_db

SIZE = 12


def phones(n: int) -> list[tuple[str, str, str]]:
    return [(f"+7916{i:07d}", f"N{i}", "Europe/Moscow") for i in range(n)]


def sending_campaign(simulator, kind, make_group, make_campaign, **account_fields):
    account = simulated_account(simulator, kind, **account_fields)
    campaign = make_campaign(
        [make_group("G", phones(SIZE))], account=account, state=Campaign.State.SENDING
    )
    campaign_expand(campaign=campaign)
    return campaign


def pump_until_done(campaign, attempts: int = 6) -> None:
    """What workers, task retries and the reconciler do between them."""
    for _ in range(attempts):
        with contextlib.suppress(GatewayUnavailable, Retry):  # the task would retry
            campaign_pump(campaign_id=campaign.pk)
        messages_reconcile(older_than=timedelta(0))
        if not Message.objects.filter(campaign=campaign, status="pending").exists():
            return


def assert_exactly_once(simulator, campaign):
    per_phone = Counter(s.phone for s in simulator.state.submissions)
    assert len(per_phone) == SIZE, per_phone
    assert max(per_phone.values()) == 1, per_phone
    statuses = Counter(
        Message.objects.filter(campaign=campaign).values_list("status", flat=True)
    )
    # Handed over; a reconciled message may already report its delivery.
    assert set(statuses) <= {"queued", "sent", "delivered"}, statuses
    assert sum(statuses.values()) == SIZE


@pytest.mark.parametrize("kind", ["webcom", "smsc", "websms"])
@pytest.mark.parametrize(
    "mode", ["http500", "http502", "http503", "drop_before", "drop_after", "malformed"]
)
def test_fault_during_send_is_recovered_without_duplicates(
    kind, mode, simulator, make_group, make_campaign
):
    campaign = sending_campaign(simulator, kind, make_group, make_campaign)
    simulator.state.add_fault(kind, Fault(mode=mode, count=1, path=_send_path(kind)))
    pump_until_done(campaign)
    assert_exactly_once(simulator, campaign)


@pytest.mark.parametrize("kind", ["webcom", "smsc", "websms"])
def test_timeout_after_the_gateway_accepted_is_reconciled_not_resent(
    kind, simulator, make_group, make_campaign, monkeypatch
):
    from providers import http as gateway_http

    monkeypatch.setattr(
        gateway_http, "_shared_client", lambda: gateway_http.build_client(timeout=0.5)
    )
    campaign = sending_campaign(simulator, kind, make_group, make_campaign)
    simulator.state.add_fault(
        kind, Fault(mode="timeout_after", count=1, delay=1.0, path=_send_path(kind))
    )
    pump_until_done(campaign)
    assert_exactly_once(simulator, campaign)


@pytest.mark.parametrize("kind", ["webcom", "smsc", "websms"])
def test_refused_recipients_are_recorded_with_the_vendor_text(
    kind, simulator, make_group, make_campaign
):
    campaign = sending_campaign(simulator, kind, make_group, make_campaign)
    simulator.state.add_fault(
        kind, Fault(mode="refuse", count=1, path=_send_path(kind))
    )
    pump_until_done(campaign)
    refused = Message.objects.filter(campaign=campaign, status="rejected")
    assert refused.exists()
    assert all(m.vendor_text or m.vendor_code for m in refused)
    assert all(m.reason for m in refused)
    per_phone = Counter(s.phone for s in simulator.state.submissions)
    assert max(per_phone.values(), default=1) == 1
    assert not Message.objects.filter(campaign=campaign, status="pending").exists()


@pytest.mark.parametrize(
    ("kind", "balance"), [("webcom", "0"), ("smsc", "0"), ("websms", "0")]
)
def test_insufficient_funds_pause_the_campaign_with_a_banner(
    kind, balance, simulator, make_group, make_campaign
):
    campaign = sending_campaign(
        simulator, kind, make_group, make_campaign, balance=balance
    )
    campaign_pump(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert campaign.pause_reason == pause_reason_for(
        InsufficientBalance(kind, "no money")
    )
    assert not Message.objects.filter(campaign=campaign, status="queued").exists()
    assert (
        Message.objects.filter(campaign=campaign, claimed_at__isnull=True).count()
        == SIZE
    )


def _send_path(kind: str) -> str:
    return {"webcom": "/xml", "smsc": "send.php", "websms": "http_in6"}[kind]


def test_the_pipelined_pump_sends_no_batch_after_a_pausing_answer(
    simulator, make_group, make_campaign, monkeypatch
):
    from providers.registry import gateway_class

    # Batches of 2 at 3.50 a part, two at the gateway at once: the first three are
    # taken, the fourth is refused for funds; the fifth, claimed when the third's
    # answer came, leaves only if the fourth's was not in yet (refused too, then),
    # and the sixth never leaves.
    monkeypatch.setattr(gateway_class("webcom"), "max_batch", 2)
    campaign = sending_campaign(
        simulator, "webcom", make_group, make_campaign, balance="21.00"
    )
    campaign_pump(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    sends = [path for gateway, path, _at in simulator.state.request_log
             if gateway == "webcom" and _send_path("webcom") in path]  # fmt: skip
    assert len(sends) in (4, 5)  # nothing after the refusal came
    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status="queued").count() == 6
    # The refused batches and the one claimed ahead are free to send after a top-up.
    assert messages.filter(status="pending", claimed_at__isnull=True).count() == 6
    assert not messages.filter(claimed_at__isnull=False, submitted_at__isnull=True)


@pytest.mark.parametrize(
    ("kind", "dialect"),
    [("smsc", ""), ("websms", ""), ("webcom", "xml"), ("webcom", "get")],
)
def test_money_running_out_mid_batch_pauses_and_the_resume_sends_the_rest_once(
    kind, dialect, simulator, make_group, make_campaign, monkeypatch
):
    """SMSC and WEBSMS take one request per message, Webcom's XML one for the batch
    and refuses the recipients past the money one by one ("Out of SMS"), its GET
    dialect one request per text (each recipient's own here): either way the five
    sent are kept, the campaign pauses, and the other seven wait for the resume
    (before, Webcom's seven were rejected for good, and its GET dialect's failed)."""
    from decimal import Decimal

    from campaigns.services import campaign_resume
    from tests.campaigns.gateway_accounts import LOGIN

    campaign = sending_campaign(
        simulator,
        kind,
        make_group,
        make_campaign,
        balance="17.50",  # 5 × 3.50
        **({"dialect": dialect} if dialect else {}),
    )
    campaign_pump(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert campaign.pause_reason == pause_reason_for(InsufficientBalance(kind, "x"))
    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status="queued").count() == 5
    assert messages.filter(status="pending", claimed_at__isnull=True).count() == 7
    assert len(simulator.state.submissions) == 5

    simulator.state.accounts[(kind, LOGIN)].balance = Decimal("100.00")
    # A top-up takes minutes; within one SMSC would refuse the sixth request again as
    # identical to the refused one (error 9), and we would wait for it.
    monkeypatch.setattr(simulator.state, "clock", lambda: time.time() + 120)
    campaign_resume(campaign=campaign)
    pump_until_done(campaign)
    assert_exactly_once(simulator, campaign)


def test_a_batch_that_stopped_on_an_unknown_outcome_is_settled_message_by_message(
    simulator, make_group, make_campaign
):
    """The sent are recorded, the one whose request timed out awaits the reconciler,
    and the rest, never sent, go back to the queue."""
    from campaigns import sending
    from providers.exceptions import PartlySent
    from providers.registry import gateway_for

    campaign = sending_campaign(simulator, "smsc", make_group, make_campaign)
    account = campaign.account
    gateway = gateway_for(account)
    chunk = sending.claim_due(
        campaign_id=campaign.pk,
        limit=SIZE,
        horizon=campaign.created_at + timedelta(days=1),
        login_generation=account.login_generation,
    )
    outgoing = sending.outgoing_for(chunk, campaign, account, gateway)
    sent = gateway.send(outgoing[:3])  # really at the simulator
    timeout = GatewayUnavailable("smsc", "read timeout", outcome_unknown=True)
    outcome = sending.BatchOutcome()
    answer = PartlySent("smsc", results=sent, cause=timeout)
    assert not sending.stops_sending(answer)
    sending.settle(account=account, chunk=chunk, answer=answer, outcome=outcome)

    assert (outcome.sent, outcome.unknown, outcome.released) == (3, 1, SIZE - 4)
    by_id = {m.id: m for m in Message.objects.filter(campaign=campaign)}
    assert all(by_id[m.id].gateway_message_id for m in chunk[:3])
    assert by_id[chunk[3].id].reason == "outcome_unknown"
    assert by_id[chunk[3].id].claimed_at is not None  # left for the reconciler
    assert all(by_id[m.id].claimed_at is None for m in chunk[4:])


def test_a_batch_that_waits_too_long_for_the_rate_limit_goes_back_unsent(
    simulator, make_group, make_campaign, monkeypatch
):
    """The account's rate is taken by other workers: the claimed batch is released
    (it never left) and the batch before it recorded, none left in doubt."""
    from campaigns import dispatch

    waits = []

    def busy_after_the_first(*, account_id, count, per_second, give_up):
        waits.append(count)
        if len(waits) > 1:
            raise TimeoutError("rate limit wait too long")
        return 0.0

    monkeypatch.setattr(dispatch, "rate_limit_acquire", busy_after_the_first)
    campaign = sending_campaign(simulator, "webcom", make_group, make_campaign,
                                rate_limit=4)  # fmt: skip

    result = campaign_pump(campaign_id=campaign.pk)

    assert waits == [4, 4]  # a second's worth of the rate per batch
    assert (result.sent, result.finished) == (4, False)
    assert result.next_due is not None
    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status="queued").count() == 4
    assert messages.filter(status="pending", claimed_at__isnull=True).count() == 8
    monkeypatch.undo()
    pump_until_done(campaign)
    assert_exactly_once(simulator, campaign)


@pytest.mark.parametrize("kind", ["webcom", "smsc", "websms"])
def test_the_balance_is_read_again_when_a_campaign_completes(
    kind, simulator, make_group, make_campaign, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    campaign = sending_campaign(
        simulator, kind, make_group, make_campaign, balance="100.00"
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_pump(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED
    account = campaign.account
    account.refresh_from_db()
    # The simulator bills 3.50 a part; the stored balance is what it says now, not
    # what the last scheduled refresh read.
    assert account.balance == Decimal("100.00") - Decimal("3.50") * SIZE


def test_the_balance_is_read_again_when_a_campaign_runs_out_of_money(
    simulator, make_group, make_campaign, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    campaign = sending_campaign(
        simulator, "websms", make_group, make_campaign, balance="7.00"
    )
    account = campaign.account
    account.balance = Decimal("500.00")  # as read before the campaign
    account.save(update_fields=["balance"])
    with django_capture_on_commit_callbacks(execute=True):
        campaign_pump(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    account.refresh_from_db()
    assert account.balance < Decimal("3.50")  # what the gateway says is left


def test_the_pause_banner_is_in_the_readers_language_not_the_workers(
    simulator, make_group, make_campaign, viewer_client
):
    """A Russian worker used to store its banner in Russian for every reader."""
    from django.urls import reverse
    from django.utils import translation

    campaign = sending_campaign(
        simulator, "smsc", make_group, make_campaign, balance="0"
    )
    with translation.override("ru"):
        campaign_pump(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED

    english = "The gateway reports insufficient funds: top up the account, then resume."
    russian = "Шлюз сообщает о нехватке средств: пополните счёт и возобновите рассылку."
    page = reverse("campaigns:detail", args=[campaign.pk])
    api = f"/api/v1/campaigns/{campaign.pk}"
    for language, banner in (("en", english), ("ru", russian)):
        body = viewer_client.get(page, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert banner in body[body.index("data-pause-reason") :]
        answer = viewer_client.get(api, HTTP_ACCEPT_LANGUAGE=language).json()
        assert answer["pause_reason"] == banner


def test_a_channel_the_gateway_lacks_pauses_with_a_banner_and_sends_nothing(
    simulator, make_group, make_campaign
):
    """The account changed under a composed campaign: Webcom has no voice channel."""
    campaign = sending_campaign(simulator, "webcom", make_group, make_campaign)
    Campaign.objects.filter(pk=campaign.pk).update(channel="voice")
    Message.objects.filter(campaign=campaign).update(channel="voice")

    campaign_pump(campaign_id=campaign.pk)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert campaign.pause_reason.startswith(
        "The account's gateway cannot send this campaign as it is"
    )
    campaign.account.refresh_from_db()
    assert "voice messages" in campaign.account.last_error
    assert simulator.state.submissions == []
    assert (
        not Message.objects.filter(campaign=campaign)
        .exclude(status="pending", claimed_at__isnull=True)
        .exists()
    )


def test_an_unreachable_gateway_says_why_on_the_campaign_until_it_answers(
    simulator, make_group, make_campaign, manager_client, settings
):
    """The task retried for minutes while the page showed only "waiting to be sent";
    the reason is the account's error, in words, gone once a batch goes through."""
    settings.LANGUAGE_CODE = "ru"
    campaign = sending_campaign(simulator, "smsc", make_group, make_campaign)
    account = campaign.account
    reachable = account.base_url
    account.base_url = "http://127.0.0.1:9/smsc"  # nothing listens there
    account.save(update_fields=["base_url"])
    campaign.launched_at = campaign.created_at
    campaign.save(update_fields=["launched_at"])

    with pytest.raises(GatewayUnavailable):
        campaign_pump(campaign_id=campaign.pk)
    page = manager_client.get(f"/campaigns/{campaign.pk}/").content.decode()

    account.refresh_from_db()
    assert account.last_error.startswith("Не удалось связаться со шлюзом")
    assert "ConnectError" not in page
    assert "data-gateway-error" in page
    assert account.last_error in page

    account.base_url = reachable
    account.save(update_fields=["base_url"])
    pump_until_done(campaign)
    account.refresh_from_db()
    assert account.last_error == ""
    page = manager_client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "data-gateway-error" not in page
    assert_exactly_once(simulator, campaign)


def test_smsc_denying_a_message_pauses_without_blaming_the_sender(
    simulator, make_group, make_campaign
):
    """SMSC error 6 is "message denied" for its text or its sender: the banner said
    the sender name was refused, sending the user to fix what may be the text."""
    from providers.exceptions import MessageDenied

    campaign = sending_campaign(simulator, "smsc", make_group, make_campaign)
    campaign.messages.update(sender="NOPE")  # refused by the simulator with error 6

    campaign_pump(campaign_id=campaign.pk)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert campaign.pause_reason == pause_reason_for(MessageDenied("smsc", "x"))
    assert "text or its sender name" in campaign.pause_reason


def test_a_campaign_through_a_websms_account_in_test_mode_completes(
    simulator, make_group, make_campaign
):
    """Test mode sends nothing and answers id "0": the messages stayed queued for
    the poller's three-day give-up, the campaign "sending" all that time."""
    campaign = sending_campaign(
        simulator, "websms", make_group, make_campaign, test_mode=True
    )

    pump_until_done(campaign)

    campaign.refresh_from_db()
    reasons = set(campaign.messages.values_list("status", "reason"))
    assert reasons == {("cancelled", "test_mode")}
    assert campaign.state == Campaign.State.COMPLETED
    assert simulator.state.submissions == []


def test_a_paused_campaign_takes_another_sender_name_and_sends_with_it(
    simulator, make_group, make_campaign, manager_client, settings
):
    """The gateway refused the sender: the page asked for an approved one, then
    Resume, but a paused campaign could not change it (only cancel and copy)."""
    settings.LANGUAGE_CODE = "en"
    campaign = sending_campaign(simulator, "smsc", make_group, make_campaign)
    Campaign.objects.filter(pk=campaign.pk).update(sender="NOPE")
    campaign.messages.update(sender="NOPE")  # refused by the simulator
    campaign_pump(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    page = manager_client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "data-sender-change" in page

    refused = manager_client.post(
        f"/campaigns/{campaign.pk}/sender/", {"sender": "Other"}, follow=True
    )
    changed = manager_client.post(
        f"/campaigns/{campaign.pk}/sender/", {"sender": "SMSPORTAL"}, follow=True
    )
    manager_client.post(f"/campaigns/{campaign.pk}/resume/")
    pump_until_done(campaign)

    assert "“Other” is not a usable sender name" in refused.content.decode()
    assert (
        f"The sender name is now “SMSPORTAL”, for {SIZE} messages not sent yet."
        in changed.content.decode()
    )
    campaign.refresh_from_db()
    assert campaign.sender == "SMSPORTAL"
    assert {m.sender for m in simulator.state.messages["smsc"].values()} == {
        "SMSPORTAL"
    }
    assert_exactly_once(simulator, campaign)
    # Only while paused: a sending or finished campaign keeps its name.
    late = manager_client.post(
        f"/campaigns/{campaign.pk}/sender/", {"sender": "SMSPORTAL"}, follow=True
    )
    assert "can change only while the campaign is paused" in late.content.decode()


def test_a_viewer_cannot_change_a_paused_campaigns_sender(
    simulator, make_group, make_campaign, viewer_client
):
    campaign = sending_campaign(simulator, "smsc", make_group, make_campaign)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.PAUSED)

    page = viewer_client.get(f"/campaigns/{campaign.pk}/").content.decode()
    response = viewer_client.post(
        f"/campaigns/{campaign.pk}/sender/", {"sender": "SMSPORTAL"}
    )

    assert "data-sender-change" not in page
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("kind", "dialect", "path"),
    [
        ("smsc", "", "send.php"),
        ("websms", "", "http_in6"),
        ("webcom", "get", "sendsms"),
    ],
)
def test_a_slow_gateway_keeps_no_message_claimed_and_unrecorded_past_the_deadline(
    kind, dialect, path, simulator, make_group, make_campaign, monkeypatch
):
    """A request per message (Webcom's GET: per text, so per recipient with personal
    texts): batches of 20, 50 or 500 kept their messages, and the batch claimed behind
    them, out for minutes on a slow gateway. Past reconcile.GRACE the reconciler
    released those still to be sent to the other pump (SMSC then sends them twice once
    a minute apart), or the page offered to send them again. A batch now starts no
    request past SEND_WITHIN after its claim (here scaled down with the requests);
    the rest go with the next batches, once."""
    from campaigns import dispatch
    from providers.registry import gateway_class

    monkeypatch.setattr(gateway_class(kind), "max_batch", 6)
    monkeypatch.setattr(dispatch, "SEND_WITHIN", 0.5)
    campaign = sending_campaign(
        simulator, kind, make_group, make_campaign,
        **({"dialect": dialect} if dialect else {}),
    )  # fmt: skip
    for message in Message.objects.filter(campaign=campaign):
        message.text = f"Hello, {message.phone}"  # a request each for Webcom's GET
        message.save(update_fields=["text"])
    simulator.state.add_fault(
        kind, Fault(mode="timeout_after", count=-1, delay=0.4, path=path)
    )

    pump_until_done(campaign)

    assert_exactly_once(simulator, campaign)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED
    # Six requests of 0.4 s a batch, and the batch claimed behind it: about 4.8 s.
    held = [m.submitted_at - m.claimed_at for m in Message.objects.filter(campaign=campaign)]  # fmt: skip
    assert max(held) < timedelta(seconds=2.5), max(held)


def test_a_pump_keeps_to_its_time_budget_while_batches_keep_coming(
    simulator, make_group, make_campaign, monkeypatch
):
    """The batch's send deadline once took the budget's name in the pump's loop: each
    batch pushed the pump's own end a minute on, and it never handed over to a fresh
    task (its lease, the slot's other pumps) while messages were due."""
    from providers.registry import gateway_class

    monkeypatch.setattr(gateway_class("smsc"), "max_batch", 2)
    campaign = sending_campaign(simulator, "smsc", make_group, make_campaign)
    simulator.state.add_fault(
        "smsc", Fault(mode="timeout_after", count=-1, delay=0.05, path="send.php")
    )

    result = campaign_pump(campaign_id=campaign.pk, budget=0.3)

    # Six batches of two requests of 0.05 s at least: the budget ends it before.
    assert result.batches < SIZE // 2, result
    assert Message.objects.filter(campaign=campaign, status="pending").exists()


def test_a_pump_waiting_to_retry_a_gateway_outage_keeps_its_slot(
    simulator, make_group, make_campaign, monkeypatch
):
    """Beat's tick (campaign_pumps_ensure) starts a pump for a slot whose lease ran
    out. A pump retrying for longer than its lease lasted must still hold its slot,
    or every long wait of an outage added another pump of the campaign."""
    import random

    from django.core.cache import cache

    from campaigns import tasks
    from campaigns.dispatch import PUMP_LEASE_SECONDS
    from campaigns.services import campaign_pumps_ensure

    campaign = sending_campaign(simulator, "smsc", make_group, make_campaign)
    simulator.state.add_fault("smsc", Fault("http503", count=-1))
    # The longest wait the jitter allows after many retries: the backoff's maximum.
    monkeypatch.setattr(random, "randrange", lambda stop: stop - 1)

    # Run as a worker runs it after ten retries; the retry is raised, not sent
    # (an eager apply() would run it at once).
    tasks.campaign_pump.push_request(
        id="pump-retry", retries=10, is_eager=True, called_directly=False
    )
    try:
        with pytest.raises(Retry) as retry:
            tasks.campaign_pump.run(campaign.pk, 0)
    finally:
        tasks.campaign_pump.pop_request()
    countdown = retry.value.when
    assert countdown > PUMP_LEASE_SECONDS  # the lease alone would run out first
    started = time.time()
    try:
        # Just before the retry runs: the slot is still its.
        monkeypatch.setattr(time, "time", lambda: started + countdown - 5)
        assert campaign_pumps_ensure(campaign_id=campaign.pk, pumps=1) == 0
        assert simulator.state.submissions == []
        # The retry lost (its worker killed): the slot frees itself all the same.
        simulator.state.clear_faults()
        monkeypatch.setattr(
            time, "time", lambda: started + countdown + PUMP_LEASE_SECONDS + 5
        )
        assert campaign_pumps_ensure(campaign_id=campaign.pk, pumps=1) == 1
    finally:
        monkeypatch.undo()
        cache.clear()
    assert_exactly_once(simulator, campaign)

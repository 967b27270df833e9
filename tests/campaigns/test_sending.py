"""Campaigns sent through the real gateway classes to the loopback simulator."""

import time
from collections import Counter

import pytest

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from campaigns import sending
from campaigns.counts import campaign_counts, counts_mismatches
from campaigns.dispatch import campaign_pump
from campaigns.models import Campaign, Message
from campaigns.polling import statuses_poll
from campaigns.services import campaign_launch, campaign_start
from contacts.models import Contact, StopListEntry
from providers.simulator import Fault
from tests.campaigns.gateway_accounts import simulated_account
from tests.providers.contract import wait_for

pytestmark = pytest.mark.django_db

KINDS = ["webcom", "smsc", "websms"]


def phones(n: int, prefix: str = "+7912") -> list[tuple[str, str, str]]:
    return [(f"{prefix}{i:07d}", f"Name{i}", "Europe/Moscow") for i in range(n)]


def launch(campaign, user=None):
    campaign_launch(campaign=campaign, launched_by=user)
    # The test transaction never commits, so run what the on-commit task would.
    campaign_start(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


@pytest.mark.parametrize("kind", KINDS)
def test_every_recipient_reaches_the_gateway_exactly_once(
    kind, simulator, make_group, make_campaign
):
    account = simulated_account(simulator, kind)
    group = make_group("Clients", phones(25))
    campaign = launch(
        make_campaign([group], account=account, text="Привет, {first_name}!")
    )
    submitted = Counter(s.phone for s in simulator.state.submissions)
    assert len(submitted) == 25
    assert set(submitted.values()) == {1}
    assert campaign.state == Campaign.State.COMPLETED
    assert not Message.objects.filter(campaign=campaign, status="pending").exists()
    texts = {s.text for s in simulator.state.submissions}
    assert "Привет, Name3!" in texts


@pytest.mark.parametrize("kind", KINDS)
def test_stop_listed_numbers_never_reach_the_gateway(
    kind, simulator, make_group, make_campaign
):
    account = simulated_account(simulator, kind)
    group = make_group("Clients", phones(5))
    StopListEntry.objects.create(phone="+79120000001")
    campaign = make_campaign([group], account=account)
    campaign_launch(campaign=campaign)
    from campaigns.expansion import campaign_expand

    campaign_expand(campaign=campaign)
    # Opted out after the audience was built, before the batch went out.
    StopListEntry.objects.create(phone="+79120000002")
    campaign_pump(campaign_id=campaign.pk)
    sent = {s.phone for s in simulator.state.submissions}
    assert "79120000001" not in sent
    assert "79120000002" not in sent
    assert len(sent) == 3
    late = Message.objects.get(campaign=campaign, phone="+79120000002")
    assert (late.status, late.reason) == ("rejected", "stop_list")


def test_running_the_pump_again_sends_nothing_twice(
    simulator, make_group, make_campaign
):
    account = simulated_account(simulator, "websms")
    campaign = launch(make_campaign([make_group("G", phones(10))], account=account))
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)
    campaign_start(campaign_id=campaign.pk)
    campaign_pump(campaign_id=campaign.pk)
    assert len(simulator.state.submissions) == 10


@pytest.mark.parametrize("kind", KINDS)
def test_polled_statuses_reach_delivered_and_counts_match(
    kind, simulator, make_group, make_campaign, monkeypatch
):
    from datetime import timedelta

    import campaigns.polling as polling

    monkeypatch.setattr(polling, "poll_delay", lambda gateway: timedelta(0))
    account = simulated_account(simulator, kind)
    group = make_group("G", [*phones(4), ("+79120009990", "Lost", "Europe/Moscow")])
    campaign = launch(make_campaign([group], account=account))

    def settled():
        from django.core.cache import cache

        cache.clear()
        simulator.state.pass_time(60)  # SMSC: one mass status request a minute
        Message.objects.update(
            polled_at=None, submitted_at=Message.objects.first().submitted_at
        )
        statuses_poll()
        statuses = Counter(Message.objects.values_list("status", flat=True))
        return statuses if statuses == {"delivered": 4, "undelivered": 1} else None

    assert wait_for(settled, timeout=10, interval=0.3), list(
        Message.objects.values_list("phone", "status", "vendor_code", "vendor_text")
    )
    counts = campaign_counts(campaign_id=campaign.pk)
    assert counts.by_status == {"delivered": 4, "undelivered": 1}
    assert counts_mismatches() == []


@pytest.mark.parametrize("kind", KINDS)
def test_server_error_releases_the_batch_for_a_retry(
    kind, simulator, make_group, make_campaign
):
    from celery.exceptions import Retry

    from providers.exceptions import GatewayUnavailable

    account = simulated_account(simulator, kind)
    campaign = make_campaign([make_group("G", phones(3))], account=account)
    campaign_launch(campaign=campaign)
    simulator.state.add_fault(kind, Fault(mode="http503"))
    # The pump task re-raises for Celery to retry with backoff (eager: Retry).
    with pytest.raises((GatewayUnavailable, Retry)):
        campaign_start(campaign_id=campaign.pk)
    assert (
        Message.objects.filter(claimed_at__isnull=True, status="pending").count() == 3
    )
    campaign_pump(campaign_id=campaign.pk)  # the retry
    assert len(simulator.state.submissions) == 3


def test_resend_to_failed_sends_only_the_failed_recipients(
    simulator, make_group, make_campaign
):
    account = simulated_account(simulator, "webcom")
    group = make_group("G", phones(3))
    campaign = launch(make_campaign([group], account=account))
    unreached = phones(3)[1][0]
    undelivered(campaign, unreached)
    assert resent_to(campaign, simulator) == [unreached]


def undelivered(campaign, phone: str) -> None:
    """The delivery report of `phone`'s message said it never arrived."""
    Message.objects.filter(campaign=campaign, phone=phone).update(
        status="undelivered", reason="unreachable", status_changed_at=timezone.now()
    )


def test_resend_to_failed_leaves_out_numbers_the_gateway_called_invalid(
    simulator, make_group, make_campaign
):
    # They would only be refused again.
    account = simulated_account(simulator, "webcom")
    group = make_group("G", [*phones(2), ("+79120009999", "Invalid", "Europe/Moscow")])
    campaign = launch(make_campaign([group], account=account))
    rejected = Message.objects.get(campaign=campaign, phone="+79120009999")
    assert (rejected.status, rejected.reason) == ("rejected", "invalid_number")
    undelivered(campaign, phones(2)[0][0])

    assert resent_to(campaign, simulator) == [phones(2)[0][0]]


def resent_to(campaign, simulator) -> list[str]:
    """The phones a follow-up of the campaign's failures sends to, once launched."""
    from campaigns.services import campaign_resend_failed

    followup = campaign_resend_failed(campaign=campaign)
    simulator.state.reset()
    launch(followup)
    return list(
        Message.objects.filter(campaign=followup).values_list("phone", flat=True)
    )


def test_resend_to_failed_leaves_out_what_a_person_gave_up_on(
    simulator, make_group, make_campaign
):
    # "Give up" on a message in doubt: it may have arrived, so no follow-up sends it.
    from campaigns.reconcile import message_decide

    account = simulated_account(simulator, "webcom")
    group = make_group("G", phones(3))
    campaign = launch(make_campaign([group], account=account))
    undelivered(campaign, phones(3)[2][0])
    doubtful = Message.objects.get(campaign=campaign, phone=phones(1)[0][0])
    Message.objects.filter(pk=doubtful.pk).update(
        status="pending", gateway_message_id="", submitted_at=None,
        claimed_at=timezone.now(), reason="outcome_unknown",
    )  # fmt: skip
    message_decide(message_ids=[doubtful.pk], resend=False)
    assert Message.objects.get(pk=doubtful.pk).status == "failed"

    assert resent_to(campaign, simulator) == [phones(3)[2][0]]


BELL = "+79120000002"  # the recipient whose first name holds U+0007


def with_a_bell_in_one_name(make_group, n: int = 5):
    group = make_group("Clients", phones(n))
    # Straight into the database, past the forms and the importer (the admin, old
    # data): only the last check before the request stands between it and the gateway.
    Contact.objects.filter(phone=BELL).update(first_name="Bell\x07")
    return group


@pytest.mark.parametrize("kind", KINDS)
def test_a_text_no_gateway_can_carry_is_rejected_and_the_rest_are_sent(
    kind, simulator, make_group, make_campaign, settings
):
    settings.LANGUAGE_CODE = "en"
    account = simulated_account(simulator, kind)
    group = with_a_bell_in_one_name(make_group)

    campaign = launch(
        make_campaign([group], account=account, text="Привет, {first_name}!")
    )

    submissions = simulator.state.submissions
    assert sorted(s.phone for s in submissions) == [
        "79120000000", "79120000001", "79120000003", "79120000004",
    ]  # fmt: skip
    assert not any("\x07" in s.text or "Bell" in s.text for s in submissions)
    sends = [path for gw, path, _ in simulator.state.request_log if gw == kind]
    # One request per message (SMSC, WEBSMS) or one for the batch (Webcom): none
    # for the refused one.
    assert len(sends) == (1 if kind == "webcom" else 4), sends
    assert campaign.state == Campaign.State.COMPLETED
    bell = Message.objects.get(campaign=campaign, phone=BELL)
    assert (bell.status, bell.reason) == ("rejected", "invalid_text")
    assert bell.vendor_text == (
        "Text: Line 1, column 13: the control character U+0007 cannot be sent by "
        "any gateway."
    )
    assert bell.text == "Привет, Bell\x07!"  # kept as rendered: nothing is lost
    assert (bell.submitted_at, bell.gateway_message_id) == (None, "")
    counts = campaign_counts(campaign_id=campaign.pk)
    assert counts.by_status.get("rejected") == 1
    assert sum(counts.by_status.values()) == 5
    assert counts_mismatches() == []


@pytest.mark.parametrize("kind", ["smsc", "websms"])
def test_a_refused_text_keeps_a_part_sent_batch_in_step(
    kind, simulator, make_group, make_campaign, monkeypatch
):
    """One request per message: money runs out after the fifth sent. The refused
    message is not one of the requests, so the sixth *request* is the one that
    failed; none of the five sent is taken for it and sent again on the resume."""
    from decimal import Decimal

    from campaigns.services import campaign_resume
    from tests.campaigns.gateway_accounts import LOGIN

    account = simulated_account(simulator, kind, balance="17.50")  # 5 × 3.50
    campaign = launch(
        make_campaign([with_a_bell_in_one_name(make_group, 9)], account=account)
    )

    assert campaign.state == Campaign.State.PAUSED
    messages = Message.objects.filter(campaign=campaign)
    assert messages.get(phone=BELL).reason == "invalid_text"
    assert messages.filter(status="queued").count() == 5
    assert len(simulator.state.submissions) == 5
    assert messages.filter(status="pending", claimed_at__isnull=True).count() == 3

    simulator.state.accounts[(kind, LOGIN)].balance = Decimal("100.00")
    # A top-up takes minutes (see test_faults: SMSC refuses a repeat within one).
    monkeypatch.setattr(simulator.state, "clock", lambda: time.time() + 120)
    campaign_resume(campaign=campaign)
    campaign_pump(campaign_id=campaign.pk)

    per_phone = Counter(s.phone for s in simulator.state.submissions)
    assert len(per_phone) == 8
    assert set(per_phone.values()) == {1}
    assert "79120000002" not in per_phone
    assert not messages.filter(status="pending").exists()


def test_a_request_we_cannot_build_fails_its_messages_without_sending(
    simulator, make_group, make_campaign, monkeypatch, settings
):
    """A bug of ours while building the request (injected: nothing else reaches this
    far since the screening) means nothing left: the messages fail with the reason
    and can be sent again; they are not left "outcome unknown" for reconciliation."""
    from providers.gateways import webcom_parse

    def broken(batch, credentials):
        raise ValueError("no such field")

    monkeypatch.setattr(webcom_parse, "xml_send_request", broken)
    settings.LANGUAGE_CODE = "en"
    account = simulated_account(simulator, "webcom")
    campaign = launch(
        make_campaign([make_group("Clients", phones(3))], account=account)
    )

    assert simulator.state.request_log == []
    rows = set(
        Message.objects.filter(campaign=campaign).values_list(
            "status", "reason", "vendor_text", "submitted_at"
        )
    )
    assert rows == {
        ("failed", "gateway_error",
         "could not build the request: ValueError: no such field", None),
    }  # fmt: skip
    assert campaign.state == Campaign.State.FAILED  # none of it reached the gateway


def test_one_request_per_message_fails_only_the_message_we_cannot_build(
    simulator, make_group, make_campaign, monkeypatch, settings
):
    """SMSC sends a request per message: a bug of ours building the second one
    (injected) fails that message alone; the one before it was sent and is
    recorded, the ones after it go in the next batch."""
    from providers.gateways import smsc_parse

    built = smsc_parse.message_params

    def broken_for_one(sms):
        if sms.phone == "+79120000001":
            raise KeyError("no such field")
        return built(sms)

    monkeypatch.setattr(smsc_parse, "message_params", broken_for_one)
    settings.LANGUAGE_CODE = "en"
    account = simulated_account(simulator, "smsc")
    campaign = launch(
        make_campaign([make_group("Clients", phones(4))], account=account)
    )

    assert sorted(s.phone for s in simulator.state.submissions) == [
        "79120000000", "79120000002", "79120000003",
    ]  # fmt: skip
    broken = Message.objects.get(campaign=campaign, phone="+79120000001")
    assert (broken.status, broken.reason, broken.submitted_at) == (
        "failed", "gateway_error", None,
    )  # fmt: skip
    assert broken.vendor_text.startswith("could not build the request: KeyError")
    sent = Message.objects.filter(campaign=campaign).exclude(pk=broken.pk)
    assert set(sent.values_list("status", flat=True)) <= {"queued", "sent", "delivered"}
    assert campaign.state == Campaign.State.COMPLETED


def test_a_nul_in_the_gateways_words_is_dropped_not_fatal(
    simulator, make_group, make_campaign
):
    """PostgreSQL text and jsonb cannot hold NUL: a send answer or a refusal with one
    used to fail the batch's record (and its reconciliation) every time."""
    from campaigns.sending import _mark_failed, claim_ids, record_results
    from providers.base import DeliveryStatus as S
    from providers.base import SendResult
    from providers.exceptions import GatewayRefused

    account = simulated_account(simulator, "smsc")
    from campaigns.expansion import campaign_expand

    campaign = make_campaign([make_group("Clients", phones(2))], account=account)
    campaign_expand(campaign=campaign)
    first, second = claim_ids(
        message_ids=list(
            Message.objects.filter(campaign=campaign).values_list("id", flat=True)
        ),
        login_generation=0,
    )

    record_results(
        account=account,
        claimed=[first],
        results=[SendResult(str(first.id), "77\x00:1", S.QUEUED, vendor_text="ok\x00")],
    )
    _mark_failed(
        [second.id], GatewayRefused("smsc", "refused\x00", vendor_code="\x009")
    )

    rows = dict(
        Message.objects.filter(campaign=campaign).values_list(
            "id", "gateway_message_id"
        )
    )
    assert rows[first.id] == "77:1"
    failed = Message.objects.get(id=second.id)
    assert (failed.status, failed.vendor_text, failed.vendor_code) == (
        "failed", "refused", "9",
    )  # fmt: skip
    assert Message.objects.get(id=first.id).vendor_text == "ok"


def test_a_send_answer_no_row_can_hold_is_fitted_not_fatal(
    simulator, make_group, make_campaign
):
    """A code past its column, a price of NaN, a count of parts no SMS has: one such
    answer failed the batch's record, and its reconciliation, every time."""
    from decimal import Decimal

    from campaigns.expansion import campaign_expand
    from campaigns.sending import claim_ids, record_results
    from providers.base import DeliveryStatus as S
    from providers.base import SendResult

    account = simulated_account(simulator, "smsc")
    campaign = make_campaign([make_group("Clients", phones(2))], account=account)
    campaign_expand(campaign=campaign)
    odd, plain = claim_ids(
        message_ids=list(
            Message.objects.filter(campaign=campaign).values_list("id", flat=True)
        ),
        login_generation=0,
    )
    before = Message.objects.get(id=odd.id).segments

    record_results(
        account=account,
        claimed=[odd, plain],
        results=[
            SendResult(str(odd.id), "g" * 100, S.QUEUED, vendor_code="c" * 100,
                       vendor_text="т" * 5000, segments=10**6, cost=Decimal("NaN")),
            SendResult(str(plain.id), "g-plain", S.QUEUED, cost=Decimal("2.50")),
        ],
    )  # fmt: skip

    stored = Message.objects.get(id=odd.id)
    assert stored.status == S.QUEUED
    assert (len(stored.gateway_message_id), len(stored.vendor_code)) == (64, 64)
    assert len(stored.vendor_text) == 1000
    assert (stored.segments, stored.cost) == (before, None)
    assert Message.objects.get(id=plain.id).cost == Decimal("2.50")


def test_a_pump_of_a_paused_campaign_claims_nothing_and_says_so(
    simulator, make_group, make_campaign
):
    from campaigns.expansion import campaign_expand

    account = simulated_account(simulator, "webcom")
    campaign = make_campaign([make_group("Clients", phones(3))], account=account)
    campaign_expand(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.PAUSED)

    result = campaign_pump(campaign_id=campaign.pk)

    assert (result.stopped, result.sent, result.batches) == ("paused", 0, 0)
    assert not Message.objects.filter(claimed_at__isnull=False).exists()
    assert simulator.state.submissions == []

    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)
    result = campaign_pump(campaign_id=campaign.pk)
    assert (result.stopped, result.sent, result.finished) == ("", 3, True)
    assert len(simulator.state.submissions) == 3


def test_a_message_planned_ahead_goes_with_its_send_time_the_rest_without(
    simulator, make_group, make_campaign
):
    """Webcom schedules per recipient (time_send): a message planned hours ahead is
    handed over now with its time, one due now goes as it is."""
    from datetime import timedelta

    from django.utils import timezone

    from campaigns.expansion import campaign_expand

    account = simulated_account(simulator, "webcom")
    campaign = make_campaign([make_group("Clients", phones(2))], account=account)
    campaign_expand(campaign=campaign)
    later = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=2)
    Message.objects.filter(campaign=campaign, phone="+79120000001").update(
        planned_at=later
    )
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)

    result = campaign_pump(campaign_id=campaign.pk)

    assert result.sent == 2
    send_at = {m.phone: m.send_at for m in simulator.state.messages["webcom"].values()}
    assert send_at["79120000000"] is None
    assert send_at["79120000001"] == later.timestamp()


# After launch: cancel, resume, resend, delete ----------------------------------------


def window_hours_ahead() -> dict:
    """A one-hour sending window that starts three or more hours from now (Moscow),
    never spanning midnight: every recipient is held for it."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    start = (datetime.now(ZoneInfo("Europe/Moscow")).hour + 3) % 24
    start = 1 if start == 23 else start
    return {"respect_quiet_hours": True, "window_start": time(start),
            "window_end": time(start + 1)}  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_cancelling_a_campaign_held_for_quiet_hours_withdraws_it_at_the_gateway(
    kind, simulator, make_group, make_campaign, manager_user
):
    """Every message went to the gateway with its send time, so the campaign completed
    at once: cancelling it must still withdraw them there (and the page offers it)."""
    from campaigns.selectors import campaign_actions, campaign_progress
    from campaigns.services import campaign_cancel

    account = simulated_account(simulator, kind)
    campaign = launch(
        make_campaign(
            [make_group("G", phones(4))], account=account, **window_hours_ahead()
        )  # fmt: skip
    )
    assert campaign.state == Campaign.State.COMPLETED
    assert Counter(Message.objects.values_list("status", flat=True)) == {"queued": 4}
    progress = campaign_progress(campaign=campaign)
    assert campaign_actions(
        campaign=campaign, user=manager_user, progress=progress
    ).cancel

    result = campaign_cancel(campaign=campaign)

    assert result == {"withdrawn": 0, "withdrawing": 0, "cancelled_at_gateway": 4,
                      "in_flight": 0, "in_doubt": 0, "not_withdrawn": 0,
                      "refused_at_gateway": 0, "gateway_errors": []}  # fmt: skip
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.CANCELLED
    assert campaign_counts(campaign_id=campaign.pk).by_status == {"cancelled": 4}
    at_gateway = {m.state for m in simulator.state.messages[kind].values()}
    assert at_gateway == {"cancelled"}
    # No word of the hand-over («send») left beside «Cancelled».
    vendor = set(Message.objects.values_list("vendor_code", "vendor_text"))
    assert vendor == {("", "")}


def test_only_the_first_cancellation_is_audited(
    simulator, make_group, make_campaign, settings
):
    """A repeat retries the withdrawal of what the gateway still holds (one that
    failed), and is no cancellation of its own; with nothing left it is a 400, as a
    second pause is."""
    from accounts.models import AuditEvent
    from campaigns.services import campaign_cancel
    from smsportal.exceptions import ApplicationError

    settings.LANGUAGE_CODE = "en"
    account = simulated_account(simulator, "smsc")
    campaign = launch(
        make_campaign(
            [make_group("G", phones(2))], account=account, **window_hours_ahead()
        )  # fmt: skip
    )
    cancelled = AuditEvent.objects.filter(action=AuditEvent.Action.CANCELLED)

    campaign_cancel(campaign=campaign)
    # As if the gateway had not answered for one of them: it still waits there.
    Message.objects.filter(pk=Message.objects.first().pk).update(status="queued")
    retried = campaign_cancel(campaign=campaign)
    Message.objects.update(status="cancelled")  # nothing waits any more
    with pytest.raises(ApplicationError) as repeat:
        campaign_cancel(campaign=campaign)

    assert cancelled.count() == 1
    assert set(retried) == {"withdrawn", "withdrawing", "cancelled_at_gateway",
                            "in_flight", "in_doubt", "not_withdrawn",
                            "refused_at_gateway", "gateway_errors"}  # fmt: skip
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.CANCELLED
    assert repeat.value.message == "This campaign is already cancelled."
    assert repeat.value.where == "state"


def assert_second_of_three_withdrawn(simulator, kind: str, campaign) -> None:
    """Of three held messages, the one to +79120000001 was withdrawn for its opt-out,
    here and at the gateway; the other two still wait there."""
    statuses = dict(Message.objects.values_list("phone", "status"))
    assert statuses == {"+79120000000": "queued", "+79120000001": "cancelled",
                        "+79120000002": "queued"}  # fmt: skip
    assert Message.objects.get(phone="+79120000001").reason == "stop_list"
    at_gateway = Counter(m.state for m in simulator.state.messages[kind].values())
    assert at_gateway["cancelled"] == 1
    assert campaign_counts(campaign_id=campaign.pk).by_status == {
        "queued": 2, "cancelled": 1}  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_a_stop_reply_withdraws_what_the_gateway_holds_for_that_number(
    kind, simulator, make_group, make_campaign, django_capture_on_commit_callbacks
):
    """Handed over with a send time hours ahead (quiet hours, a greeting before its
    hour), a message to a number that replies STOP meanwhile must not go out."""
    from campaigns.inbox import replies_store
    from providers.base import IncomingMessage

    account = simulated_account(simulator, kind)
    campaign = launch(
        make_campaign(
            [make_group("G", phones(3))], account=account, **window_hours_ahead()
        )  # fmt: skip
    )
    assert Counter(Message.objects.values_list("status", flat=True)) == {"queued": 3}
    stop = IncomingMessage("in-1", "+79120000001", "СТОП", timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        replies_store(account=account, messages=[stop])

    assert_second_of_three_withdrawn(simulator, kind, campaign)


@pytest.mark.parametrize("kind", KINDS)
def test_a_stop_while_the_batch_is_on_its_way_withdraws_what_it_left_held(
    kind, simulator, make_group, make_campaign, monkeypatch
):
    """The number passed the claim's stop-list check; its STOP came, and its
    withdrawal ran, before the gateway's answer was recorded, so the withdrawal found
    nothing held yet. The pump looks again once the batch is recorded."""
    from campaigns.withdrawal import withdraw_for_opt_outs

    account = simulated_account(simulator, kind)
    real_settle = sending.settle

    def stop_before_the_record(**kwargs):
        StopListEntry.objects.get_or_create(phone="+79120000001")
        assert withdraw_for_opt_outs(["+79120000001"]) == 0  # not recorded yet
        return real_settle(**kwargs)

    monkeypatch.setattr(sending, "settle", stop_before_the_record)
    campaign = launch(
        make_campaign(
            [make_group("G", phones(3))], account=account, **window_hours_ahead()
        )  # fmt: skip
    )

    assert_second_of_three_withdrawn(simulator, kind, campaign)


@pytest.mark.parametrize("way", ["stop_list_page", "bulk_action", "import"])
def test_any_way_onto_the_stop_list_withdraws_what_the_gateway_holds(
    way, simulator, make_group, make_campaign, django_capture_on_commit_callbacks,
    manager_user,
):  # fmt: skip
    """Only a STOP reply withdrew held messages; a number put on the stop list by hand,
    by a bulk action or by an import still got its message at the gateway's time."""
    import io

    from contacts import services as contacts
    from contacts.importing.runner import ImportOptions, run_import

    account = simulated_account(simulator, "webcom")
    launch(make_campaign([make_group("G", phones(2))], account=account,
                         **window_hours_ahead()))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        if way == "stop_list_page":
            contacts.contact_opt_out(phone="+79120000001", user=manager_user)
        elif way == "bulk_action":
            chosen = Contact.objects.filter(phone="+79120000001")
            assert contacts.contacts_opt_out(contacts=chosen, reason="bulk") == 1
        else:
            report = run_import(
                io.BytesIO("Телефон\n+79120000001\n".encode()),
                name="stop.csv",
                options=ImportOptions(kind="stoplist"),
                rejects=io.StringIO(),
            )
            assert report.created == 1, report

    statuses = dict(Message.objects.values_list("phone", "status"))
    assert statuses == {"+79120000000": "queued", "+79120000001": "cancelled"}
    assert Message.objects.get(phone="+79120000001").reason == "stop_list"


def test_a_large_opt_out_is_withdrawn_in_tasks_of_a_bounded_size(
    simulator, make_group, make_campaign, django_capture_on_commit_callbacks,
    monkeypatch,
):  # fmt: skip
    """A whole book put on the stop list went as one task message holding every
    number; now in chunks, and a held message in any chunk is withdrawn."""
    from campaigns import apps, tasks
    from contacts import services as contacts

    monkeypatch.setattr(apps, "WITHDRAW_CHUNK", 2)
    sizes = []
    withdraw = tasks.withdraw_for_opt_outs.run

    def counted(phones):
        sizes.append(len(phones))
        return withdraw(phones)

    monkeypatch.setattr(tasks.withdraw_for_opt_outs, "run", counted)
    account = simulated_account(simulator, "webcom")
    launch(make_campaign([make_group("G", phones(5))], account=account,
                         **window_hours_ahead()))  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        assert (
            contacts.contacts_opt_out(contacts=Contact.objects.all(), reason="x") == 5
        )

    assert sizes == [2, 2, 1]
    assert set(Message.objects.values_list("status", flat=True)) == {"cancelled"}


def test_a_webcom_campaign_polled_as_sent_before_its_time_can_still_be_cancelled(
    simulator, make_group, make_campaign, manager_user, monkeypatch
):
    """Webcom answers `send` for a message it holds for its time: polled, the messages
    read SENT hours before they left, beside «waits at the gateway for its time».
    They stay queued until their time, and the campaign stays cancellable."""
    from datetime import timedelta

    from django.core.cache import cache

    import campaigns.polling as polling
    from campaigns.selectors import campaign_actions, campaign_progress
    from campaigns.services import campaign_cancel

    monkeypatch.setattr(polling, "poll_delay", lambda gateway: timedelta(0))
    account = simulated_account(simulator, "webcom")
    campaign = launch(
        make_campaign(
            [make_group("G", phones(3))], account=account, **window_hours_ahead()
        )  # fmt: skip
    )
    cache.clear()
    statuses_poll()
    assert Counter(Message.objects.values_list("status", flat=True)) == {"queued": 3}
    assert any(path == "/xml/state.php" for _g, path, _t in simulator.state.request_log)
    progress = campaign_progress(campaign=campaign)
    assert campaign_actions(
        campaign=campaign, user=manager_user, progress=progress
    ).cancel

    result = campaign_cancel(campaign=campaign)

    assert result["cancelled_at_gateway"] == 3
    assert campaign_counts(campaign_id=campaign.pk).by_status == {"cancelled": 3}
    at_gateway = {m.state for m in simulator.state.messages["webcom"].values()}
    assert at_gateway == {"cancelled"}


def test_a_campaign_held_at_the_gateway_is_cancelled_before_it_is_deleted(
    simulator, make_group, make_campaign, settings
):
    # Its rows are the only record of messages the gateway will still send.
    settings.LANGUAGE_CODE = "en"
    from campaigns.services import campaign_cancel, campaign_delete
    from smsportal.exceptions import ApplicationError

    account = simulated_account(simulator, "webcom")
    campaign = launch(
        make_campaign(
            [make_group("G", phones(2))], account=account, **window_hours_ahead()
        )  # fmt: skip
    )
    assert campaign.state == Campaign.State.COMPLETED
    with pytest.raises(ApplicationError, match="wait at the gateway"):
        campaign_delete(campaign=campaign)

    campaign_cancel(campaign=campaign)
    campaign_delete(campaign=Campaign.objects.get(pk=campaign.pk))
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_a_completed_campaign_with_nothing_held_cannot_be_cancelled(
    simulator, make_group, make_campaign
):
    from campaigns.services import campaign_cancel
    from smsportal.exceptions import ApplicationError

    account = simulated_account(simulator, "webcom")
    campaign = launch(make_campaign([make_group("G", phones(2))], account=account))
    assert campaign.state == Campaign.State.COMPLETED
    with pytest.raises(ApplicationError, match="state"):
        campaign_cancel(campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED


def test_a_completed_campaigns_page_awaits_reports_and_offers_cancel_only_if_held(
    simulator, make_group, make_campaign, manager_client, settings
):
    settings.LANGUAGE_CODE = "en"
    account = simulated_account(simulator, "webcom")
    sent_now = launch(make_campaign([make_group("G", phones(2))], account=account))
    held = launch(
        make_campaign(
            [make_group("H", phones(2, "+7913"))], account=account,
            **window_hours_ahead(),
        )
    )  # fmt: skip

    def page(campaign) -> str:
        return manager_client.get(
            reverse("campaigns:detail", args=[campaign.pk])
        ).content.decode()

    now_page, held_page = page(sent_now), page(held)
    report = manager_client.get(reverse("reports:campaign_report", args=[sent_now.pk]))

    assert (sent_now.state, held.state) == (Campaign.State.COMPLETED,) * 2
    assert 'data-awaiting-reports="2"' in now_page
    assert "the delivery reports of 2 messages are still awaited" in now_page
    assert 'data-action="cancel"' not in now_page  # queued for now: nothing to withdraw
    assert 'data-action="cancel"' in held_page
    # The report's state badge has the detail page's colour.
    assert 'class="badge text-bg-success' in report.content.decode()


def sending_with_a_batch_claimed(simulator, kind, make_group, make_campaign, n=6):
    from django.utils import timezone

    from campaigns.expansion import campaign_expand
    from campaigns.sending import claim_due

    account = simulated_account(simulator, kind)
    campaign = make_campaign([make_group("G", phones(n))], account=account,
                             state=Campaign.State.SENDING)  # fmt: skip
    campaign_expand(campaign=campaign)
    chunk = claim_due(campaign_id=campaign.pk, limit=n // 2, horizon=timezone.now(),
                      login_generation=0, while_sending=True)  # fmt: skip
    return campaign, chunk


def test_a_batch_released_after_the_campaign_was_cancelled_is_withdrawn(
    simulator, make_group, make_campaign
):
    """Cancel while a batch is with the gateway, which answers 503: the batch never
    went out, and nothing will claim it again, so it is cancelled, not left pending."""
    from campaigns import sending
    from campaigns.services import campaign_cancel
    from providers.exceptions import GatewayUnavailable

    campaign, chunk = sending_with_a_batch_claimed(
        simulator, "webcom", make_group, make_campaign
    )
    assert campaign_cancel(campaign=campaign)["withdrawn"] == 3
    sending.settle(account=campaign.account, chunk=chunk, outcome=sending.BatchOutcome(),
                   answer=GatewayUnavailable("webcom", "503"))  # fmt: skip

    assert campaign_counts(campaign_id=campaign.pk).by_status == {"cancelled": 6}
    assert campaign_counts(campaign_id=campaign.pk).get("pending") == 0


@pytest.mark.parametrize(
    ("kind", "dialect", "ended", "rest"),
    [
        # SMSC is asked first: it never got them, so "cancelled" is its word; the
        # reconciler asks about the rest.
        ("smsc", "", ("cancelled", "cancelled"), ("cancelled", "cancelled")),
        # Webcom's GET cannot be asked: they may have gone out, and are not sent
        # again (the campaign is cancelled); "cancelled" would be a guess. The rest
        # stay for a person.
        (
            "webcom",
            "get",
            ("failed", "outcome_unknown"),
            ("pending", "outcome_unknown"),
        ),
    ],
)
@pytest.mark.parametrize("resend", [True, False])
def test_messages_in_doubt_of_a_cancelled_campaign_are_settled_not_left_pending(
    resend, kind, dialect, ended, rest, simulator, make_group, make_campaign
):
    """A person's decision on a cancelled campaign's messages in doubt: "send
    again" sends nothing (the campaign is cancelled). Either decision ends them as
    the gateway says where it can be asked, else failed, outcome unknown, never
    "cancelled" on a guess."""
    from datetime import timedelta

    from django.utils import timezone

    from campaigns.reconcile import GRACE, message_decide, messages_reconcile
    from campaigns.services import campaign_cancel

    campaign, chunk = sending_with_a_batch_claimed(
        simulator, kind, make_group, make_campaign
    )
    if dialect:
        campaign.account.dialect = dialect
        campaign.account.save(update_fields=["dialect"])
    ids = [m.id for m in chunk]
    Message.objects.filter(id__in=ids).update(reason="outcome_unknown")
    campaign_cancel(campaign=campaign)  # too soon to take "not found" for "never got"
    # Then in doubt as the page shows them: claimed longer ago than a request takes.
    Message.objects.filter(id__in=ids).update(
        claimed_at=timezone.now() - GRACE - timedelta(minutes=1)
    )
    # Minutes later, each in a status turn of its own (SMSC: a mass request a
    # minute): the person's decision, then the reconciler's run.
    cache.clear()
    simulator.state.pass_time(60)
    message_decide(message_ids=ids[:1], resend=resend)
    cache.clear()
    simulator.state.pass_time(60)
    messages_reconcile(older_than=timedelta(0))

    decided = Message.objects.filter(id=ids[0]).values_list("status", "reason")[0]
    assert decided == ended
    others = Message.objects.filter(id__in=ids[1:]).values_list("status", "reason")
    assert set(others) == {rest}
    assert simulator.state.submissions == []


def test_cancelling_a_campaign_paused_by_the_gateway_drops_its_resume_banner(
    simulator, make_group, make_campaign
):
    from campaigns.services import campaign_cancel

    account = simulated_account(simulator, "webcom", balance="0")
    campaign = launch(make_campaign([make_group("G", phones(2))], account=account))
    assert campaign.state == Campaign.State.PAUSED
    assert campaign.pause_reason

    campaign_cancel(campaign=campaign)

    campaign.refresh_from_db()
    assert (campaign.state, campaign.pause_reason) == ("cancelled", "")


def test_a_pump_started_before_the_audience_is_built_does_not_complete_the_campaign(
    simulator, make_group, make_campaign
):
    """Beat's tick restarts the pumps of every sending campaign: one that ran while a
    launched campaign's audience was still being built found nothing pending and
    completed the campaign, whose messages then stayed pending for ever."""
    account = simulated_account(simulator, "webcom")
    campaign = make_campaign([make_group("G", phones(3))], account=account)
    campaign_launch(campaign=campaign)  # its start task waits for the commit

    early = campaign_pump(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert (early.batches, campaign.state) == (0, Campaign.State.SENDING)

    campaign_start(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED
    assert len(simulator.state.submissions) == 3


def test_a_cancel_during_the_audience_build_withdraws_what_the_build_adds_after_it(
    simulator, make_group, make_campaign, monkeypatch
):
    import campaigns.services as services
    from campaigns.services import campaign_cancel

    account = simulated_account(simulator, "webcom")
    campaign = make_campaign([make_group("G", phones(3))], account=account)
    campaign_launch(campaign=campaign)
    build = services.campaign_expand

    def cancelled_meanwhile(*, campaign):
        # The cancel commits first (nothing to withdraw yet), then the build's rows.
        assert campaign_cancel(campaign=campaign)["withdrawn"] == 0
        return build(campaign=campaign)

    monkeypatch.setattr(services, "campaign_expand", cancelled_meanwhile)
    campaign_start(campaign_id=campaign.pk)

    statuses = Counter(
        Message.objects.filter(campaign=campaign).values_list("status", flat=True)
    )
    assert statuses == {"cancelled": 3}
    assert simulator.state.submissions == []


def test_the_tick_builds_the_audience_of_a_sending_campaign_whose_build_was_lost(
    simulator, make_group, make_campaign, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from campaigns.services import start_lease_key
    from campaigns.tasks import campaigns_tick

    account = simulated_account(simulator, "webcom")
    campaign = make_campaign([make_group("G", phones(2))], account=account)
    campaign_launch(campaign=campaign)

    with django_capture_on_commit_callbacks(execute=True):
        campaigns_tick()  # the launch's build is queued: no second one
    assert not Message.objects.filter(campaign=campaign).exists()

    cache.delete(start_lease_key(campaign.pk))  # its worker died; the lease ran out
    with django_capture_on_commit_callbacks(execute=True):
        campaigns_tick()
    campaign.refresh_from_db()
    assert campaign.audience_stats["created"] == 2
    assert campaign.state == Campaign.State.COMPLETED
    assert len(simulator.state.submissions) == 2


def test_a_campaign_paused_before_its_start_waits_for_it_again_on_resume(
    simulator, make_group, make_campaign, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from campaigns.services import campaign_pause, campaign_resume
    from campaigns.tasks import campaigns_tick

    account = simulated_account(simulator, "webcom")
    campaign = make_campaign([make_group("G", phones(2))], account=account,
                             start_at=timezone.now() + timedelta(days=1))  # fmt: skip
    campaign_launch(campaign=campaign)
    campaign_pause(campaign=campaign)

    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_resume(campaign=campaign)
    campaigns_tick()

    assert campaign.state == Campaign.State.SCHEDULED
    assert not Message.objects.filter(campaign=campaign).exists()
    assert simulator.state.submissions == []


def test_resend_to_failed_twice_is_refused_and_the_follow_up_resends_its_own(
    simulator, make_group, make_campaign, settings
):
    """The second follow-up would have reached everyone the first one reached."""
    settings.LANGUAGE_CODE = "en"
    from campaigns.services import campaign_cancel, campaign_resend_failed
    from smsportal.exceptions import ApplicationError

    account = simulated_account(simulator, "webcom")
    group = make_group("G", phones(2))
    campaign = launch(make_campaign([group], account=account))
    unreached = phones(2)[1][0]
    undelivered(campaign, unreached)
    draft = campaign_resend_failed(campaign=campaign)
    campaign_cancel(campaign=draft)  # a draft cancelled unsent is no follow-up
    followup = launch(campaign_resend_failed(campaign=campaign))
    undelivered(followup, unreached)

    with pytest.raises(ApplicationError, match="already have a follow-up"):
        campaign_resend_failed(campaign=campaign)
    # Still not reached: the follow-up's own resend is the way on.
    again = launch(campaign_resend_failed(campaign=followup))
    assert list(
        Message.objects.filter(campaign=again).values_list("phone", flat=True)
    ) == [unreached]


def test_a_campaign_with_messages_in_doubt_cannot_be_deleted(
    simulator, make_group, make_campaign, settings
):
    settings.LANGUAGE_CODE = "en"
    from campaigns.reconcile import message_decide
    from campaigns.services import campaign_delete, campaign_pause
    from smsportal.exceptions import ApplicationError

    campaign, chunk = sending_with_a_batch_claimed(
        simulator, "webcom", make_group, make_campaign
    )
    campaign_pause(campaign=campaign)
    with pytest.raises(ApplicationError, match="in doubt"):
        campaign_delete(campaign=campaign)
    assert Message.objects.filter(campaign=campaign).count() == 6

    message_decide(message_ids=[m.id for m in chunk], resend=False)
    campaign_delete(campaign=campaign)
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_a_campaign_the_gateway_took_none_of_fails_and_says_why(
    simulator, make_group, make_campaign, manager_client, settings
):
    """It said "Completed" of a campaign that reached nobody."""
    settings.LANGUAGE_CODE = "en"
    account = simulated_account(simulator, "webcom")
    group = make_group(
        "G", [("+79120009999", "A", "Europe/Moscow"), ("+79130009999", "B", "")]
    )

    campaign = launch(make_campaign([group], account=account))

    assert campaign.state == Campaign.State.FAILED
    assert campaign.finished_at is not None
    page = manager_client.get(
        reverse("campaigns:detail", args=[campaign.pk])
    ).content.decode()
    assert "data-failed" in page
    assert reverse("reports:campaign_report", args=[campaign.pk]) in page
    # Both refused as invalid numbers, which a follow-up would not resend: the
    # alert does not send the reader to a button that is not there.
    assert 'data-action="resend"' not in page
    alert = page.split("data-failed", 1)[1].split("</div>", 1)[0]
    assert "resend to the failed" not in alert
    assert "in a copy of the campaign" in alert


def test_a_campaign_with_one_message_taken_completes(
    simulator, make_group, make_campaign
):
    account = simulated_account(simulator, "webcom")
    group = make_group("G", [("+79120009999", "A", ""), ("+79120000001", "B", "")])

    campaign = launch(make_campaign([group], account=account))

    assert campaign.state == Campaign.State.COMPLETED


def test_a_resume_sends_to_the_audience_the_launch_built_and_keeps_its_counts(
    simulator, make_group, make_campaign, django_capture_on_commit_callbacks,
    monkeypatch,
):  # fmt: skip
    """The resume queued the start again, which built the audience anew: a contact
    added to the group during the pause got the message (unpriced, unconfirmed), and
    the counts read "0 messages, 30 duplicates"."""
    from campaigns import services
    from campaigns.services import campaign_pause, campaign_resume
    from campaigns.tasks import campaigns_tick
    from contacts.models import GroupMembership

    account = simulated_account(simulator, "webcom")
    group = make_group("G", phones(3))
    campaign = make_campaign([group], account=account, state=Campaign.State.SENDING)
    with monkeypatch.context() as paused_before_a_pump_ran:
        paused_before_a_pump_ran.setattr(
            services, "campaign_pumps_ensure", lambda **kwargs: 0
        )
        campaign_start(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    built = dict(campaign.audience_stats)
    campaign_pause(campaign=campaign)
    late = Contact.objects.create(phone="+79129999999", first_name="Late")
    GroupMembership.objects.create(contact=late, group=group)

    with django_capture_on_commit_callbacks(execute=True):
        campaign_resume(campaign=campaign)
    campaigns_tick()
    campaign.refresh_from_db()

    assert built["created"] == 3
    assert campaign.audience_stats == built
    assert sorted(s.phone for s in simulator.state.submissions) == [
        p.lstrip("+") for p, _name, _tz in phones(3)
    ]
    assert not Message.objects.filter(campaign=campaign, phone=late.phone).exists()
    assert campaign.state == Campaign.State.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_results_commit_without_the_disk_and_claims_with_it(
    simulator, make_group, make_campaign
):
    """Outside a transaction (as a worker runs the pump) a batch's results commit
    without waiting for the disk; its claim waits, and the connection stays so."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = simulated_account(simulator, "webcom")
    campaign = make_campaign([make_group("G", phones(30))], account=account)
    with CaptureQueriesContext(connection) as queries:
        # The on-commit start and its pump run here (eager tasks): no transaction.
        campaign_launch(campaign=campaign)

    statements = [q["sql"] for q in queries.captured_queries]
    claims = [s for s in statements if "SET claimed_at" in s]
    records = [s for s in statements if "status = v.status" in s]
    assert claims
    assert records
    assert not any("synchronous_commit" in s for s in claims)
    assert all(s.startswith("SET LOCAL synchronous_commit TO off;") for s in records)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    stored = Message.objects.filter(campaign=campaign)
    assert stored.filter(status="queued").exclude(gateway_message_id="").count() == 30
    assert len(simulator.state.submissions) == 30


@pytest.mark.django_db(transaction=True)
def test_a_pause_while_a_batch_is_out_stops_the_batch_claimed_meanwhile(
    simulator, make_group, make_campaign, monkeypatch
):
    """The pump claims the next batch while one is with the gateway: paused in that
    moment, the next one went out too, two batches after the click, not one."""
    import threading

    from django.db import connections

    from campaigns import dispatch
    from campaigns.expansion import campaign_expand

    account = simulated_account(simulator, "webcom", rate_limit=10)  # batches of 10
    campaign = make_campaign([make_group("Clients", phones(50))], account=account)
    campaign_expand(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)
    second_claimed = threading.Event()
    claims = []
    claim_due = sending.claim_due

    def counted_claim(**kwargs):
        claimed = claim_due(**kwargs)
        claims.append(len(claimed))
        if len(claims) == 2:
            second_claimed.set()
        return claimed

    send = dispatch._send_when_built
    paused = []

    def pause_while_out(gateway, request):
        # The first request is out; the person pauses once the next batch is claimed.
        if not paused:
            assert second_claimed.wait(10)
            Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.PAUSED)
            connections.close_all()  # this thread's own connection
            paused.append(True)
        return send(gateway, request)

    monkeypatch.setattr(sending, "claim_due", counted_claim)
    monkeypatch.setattr(dispatch, "_send_when_built", pause_while_out)

    result = campaign_pump(campaign_id=campaign.pk)

    assert claims[:2] == [10, 10]
    assert result.stopped == Campaign.State.PAUSED
    assert len(simulator.state.submissions) == 10  # the batch that was out, only
    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status="pending", claimed_at__isnull=True).count() == 40


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("state", [Campaign.State.PAUSED, Campaign.State.CANCELLED])
def test_a_stop_while_a_batch_waits_for_the_rate_limit_keeps_it_back(
    state, simulator, make_group, make_campaign, monkeypatch
):
    """A claimed batch waits for the account's rate limit (shared by the campaign's
    two pumps and by other campaigns) after the check between batches, for up to
    30 s: a pause or a cancel clicked meanwhile let it leave all the same, a second
    batch after the click (on the demo, 10 messages after "the current batch")."""
    from campaigns import dispatch
    from campaigns.expansion import campaign_expand

    account = simulated_account(simulator, "smsc", rate_limit=10)  # batches of 10
    campaign = make_campaign([make_group("Clients", phones(50))], account=account)
    campaign_expand(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)
    waits = []

    def stopped_while_waiting(*, account_id, count, per_second, give_up):
        waits.append(count)
        if len(waits) == 2:  # the second batch waits; the person clicks meanwhile
            Campaign.objects.filter(pk=campaign.pk).update(state=state)
            return 0.8
        return 0.0

    monkeypatch.setattr(dispatch, "rate_limit_acquire", stopped_while_waiting)

    result = campaign_pump(campaign_id=campaign.pk)

    assert waits == [10, 10]
    assert result.stopped == state
    assert len(simulator.state.submissions) == 10  # the first batch, only
    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(submitted_at__isnull=False).count() == 10
    # The batch kept back is not left claimed for the reconciler to guess about.
    assert not messages.filter(is_pending=True, claimed_at__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["webcom", "smsc"])
def test_a_pause_committed_before_an_answer_comes_in_stops_the_next_batch(
    kind, simulator, make_group, make_campaign, monkeypatch
):
    """The check between batches runs as soon as the last batch's answer is in, while
    it is read (so the next request does not wait for the query too): a pause
    committed before that answer came is still seen. SMSC takes a request per
    message: its check waits for the whole batch, not the first message's answer."""
    from django.db import connections

    from campaigns.expansion import campaign_expand
    from providers import http

    account = simulated_account(simulator, kind, rate_limit=10)  # batches of 10
    campaign = make_campaign([make_group("Clients", phones(50))], account=account)
    campaign_expand(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)
    answered = http.answer_received
    answers = []

    def paused_just_before(*args):
        answers.append(True)
        if len(answers) == 2:  # the first batch's second answer: SMSC's 2nd message
            Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.PAUSED)
            connections.close_all()  # this thread's own connection
        return answered(*args)

    monkeypatch.setattr(http, "answer_received", paused_just_before)

    result = campaign_pump(campaign_id=campaign.pk)

    # Webcom: the pause came with the second batch's answer, SMSC's in the first's.
    sent = 20 if kind == "webcom" else 10
    assert result.stopped == Campaign.State.PAUSED
    assert len(simulator.state.submissions) == sent
    messages = Message.objects.filter(campaign=campaign)
    assert (
        messages.filter(status="pending", claimed_at__isnull=True).count() == 50 - sent
    )


def test_a_stop_sent_again_does_not_queue_the_withdrawal_again(
    simulator, django_capture_on_commit_callbacks, monkeypatch
):
    """Every STOP webhook queued a withdrawal job (~0.9 s each at a million messages),
    also for a number already on the stop list: 2,539 such jobs delayed a campaign's
    start by 20-40 minutes. Only numbers newly listed are announced now."""
    from campaigns import tasks
    from campaigns.inbox import replies_store
    from providers.base import IncomingMessage

    queued = []
    monkeypatch.setattr(tasks.withdraw_for_opt_outs, "delay", queued.append)
    account = simulated_account(simulator, "smsc")
    StopListEntry.objects.create(phone="+79120000009", reason="earlier")

    for gateway_id in ("in-1", "in-2"):  # the same STOP, sent twice
        with django_capture_on_commit_callbacks(execute=True):
            replies_store(
                account=account,
                messages=[
                    IncomingMessage(gateway_id, "+79120000001", "СТОП", None),
                    IncomingMessage(f"{gateway_id}-b", "+79120000009", "STOP", None),
                ],
            )

    assert queued == [["+79120000001"]]
    assert StopListEntry.objects.get(phone="+79120000009").reason == "earlier"


def test_held_messages_of_a_number_are_found_through_indexes(
    simulator, make_group, make_campaign
):
    """held_for_phones read `pk IN (...) OR pk IN (...)`, which PostgreSQL can only
    answer by scanning the message table (949 ms a STOP at a million messages). Each
    of its queries now is served by an index, even where a scan is the planner's
    cheapest choice on a table this small."""
    from django.db import connection
    from django.db.models import QuerySet

    from campaigns.withdrawal import held_for_phones

    account = simulated_account(simulator, "webcom")
    launch(make_campaign([make_group("G", phones(3))], account=account,
                         **window_hours_ahead()))  # fmt: skip
    queries = held_for_phones(["+79120000001"])
    queries = [queries] if isinstance(queries, QuerySet) else queries

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plans = []
        for query in queries:
            sql, params = query.values("pk").query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plans.append("\n".join(row for (row,) in cursor.fetchall()))

    assert [m.phone for q in queries for m in q] == ["+79120000001"]
    for plan in plans:
        # The table itself is read by the number, not every row (or every primary
        # key) filtered by the subqueries' results.
        top, condition = plan.splitlines()[:2]
        assert top.startswith("Index Scan"), plan
        assert " on campaigns_message " in top, plan
        assert "Index Cond" in condition, plan
        assert "phone" in condition, plan


def test_a_completed_campaign_cancelled_later_shows_when_it_was_cancelled(
    simulator, make_group, make_campaign, manager_client, settings
):
    """QA: «Cancelled <when it completed>»: the cancellation had no time of its own."""
    from datetime import timedelta

    from accounts.models import AuditEvent
    from campaigns.services import campaign_cancel
    from contacts.timezones import zoned

    settings.LANGUAGE_CODE = "en"
    account = simulated_account(simulator, "webcom")
    campaign = launch(
        make_campaign(
            [make_group("G", phones(2))], account=account, **window_hours_ahead()
        )  # fmt: skip
    )
    completed = timezone.now() - timedelta(hours=3)
    Campaign.objects.filter(pk=campaign.pk).update(finished_at=completed)
    campaign_cancel(campaign=Campaign.objects.get(pk=campaign.pk))
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.CANCELLED
    cancelled = zoned(AuditEvent.objects.get(action="cancelled").at)

    detail = manager_client.get(reverse("campaigns:detail", args=[campaign.pk]))
    report = manager_client.get(reverse("reports:campaign_report", args=[campaign.pk]))

    page = detail.content.decode()
    assert page.split("data-cancelled>")[1].split("<")[0] == cancelled
    assert page.split("data-finished>")[1].split("<")[0] == zoned(completed)
    header = report.content.decode().split("data-cancelled>")[1].split("<")[0]
    assert header == f"cancelled {cancelled}"


def test_one_off_messages_a_gateway_stopped_before_are_failed_not_left_pending(
    simulator,
):
    """A one-off batch (messages in doubt sent again, say) through Webcom's GET
    dialect, one request per text: the second is refused unread (503), so it and the
    third come back not taken. No pump claims a message outside a campaign, so they
    are failed with the reason, to be sent again, not left pending for ever."""
    from django.utils import timezone

    from providers.registry import gateway_for
    from smsportal.exceptions import ApplicationError

    account = simulated_account(simulator, "webcom", dialect="get")
    ids = [
        Message.objects.create(
            account=account, phone=f"+7912000000{i}", text=f"Text {i}", channel="sms",
            planned_at=timezone.now(),
        ).pk
        for i in range(3)
    ]  # fmt: skip
    gateway = gateway_for(account)
    original, calls = gateway.http.request, []

    def request(method, path, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            simulator.state.add_fault("webcom", Fault(mode="http503"))
        return original(method, path, **kwargs)

    gateway.http.request = request
    claimed = sending.claim_ids(message_ids=ids, login_generation=1)
    outcome = sending.submit(
        account=account, campaign=None, claimed=claimed, gateway=gateway
    )
    assert (outcome.sent, outcome.released) == (1, 2)
    with pytest.raises(ApplicationError):
        sending.raise_unless_sent(outcome, message_ids=ids)
    messages = Message.objects.filter(pk__in=ids).order_by("pk")
    assert [(m.status, m.reason) for m in messages] == [
        ("queued", ""),
        ("failed", "gateway_error"),
        ("failed", "gateway_error"),
    ]
    assert len(simulator.state.submissions) == 1


def test_messages_left_for_a_person_do_not_keep_newer_ones_from_the_reconciler(
    simulator, make_group, make_campaign
):
    """The reconciler takes a thousand an account, oldest first: as many left for a
    person (Webcom's GET cannot be asked) kept every newer one out for ever."""
    from datetime import timedelta

    from campaigns.reconcile import messages_reconcile

    campaign, chunk = sending_with_a_batch_claimed(
        simulator, "webcom", make_group, make_campaign, n=8
    )
    campaign.account.dialect = "get"
    campaign.account.save(update_fields=["dialect"])
    older, newest = chunk[:-1], chunk[-1]
    Message.objects.filter(id__in=[m.id for m in older]).update(
        reason="outcome_unknown"
    )

    result = messages_reconcile(older_than=timedelta(0), limit=2)

    assert result.needs_decision >= 1
    assert Message.objects.get(id=newest.id).reason == "outcome_unknown"

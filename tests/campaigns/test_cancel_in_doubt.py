"""Cancelling a campaign whose batch, sent with a later send time, timed out.

The gateway may have taken the batch and hold its messages for their time; the
request's answer never came, so we have no gateway ids to withdraw them by. The user
cancelled: none of them may go out, and where that cannot be made sure, the user is
told so.
"""

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.dispatch import campaign_pump
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from campaigns.reconcile import messages_reconcile
from providers.simulator import Fault
from providers.simulator.state import ACCEPTED, CANCELLED
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_sending import window_hours_ahead

pytestmark = pytest.mark.django_db

API = "/api/v1/campaigns"
SIZE = 4
SEND_PATH = {"xml": "/xml", "json": "/json", "smsc": "send.php", "websms": "http_in6"}
# (gateway kind, dialect): Webcom's XML and JSON both schedule per recipient.
ACCOUNTS = [("webcom", "xml"), ("webcom", "json"), ("smsc", ""), ("websms", "")]


def phones(n: int) -> list[tuple[str, str, str]]:
    return [(f"+7916{i:07d}", f"N{i}", "Europe/Moscow") for i in range(n)]


def held_in_doubt(simulator, kind, dialect, make_group, make_campaign) -> Campaign:
    """A campaign held for a window hours ahead whose one batch the gateway took and
    scheduled, its answer lost to a timeout."""
    account = simulated_account(simulator, kind, dialect=dialect)
    campaign = scheduled(make_campaign, make_group("G", phones(SIZE)), account)
    simulator.state.add_fault(
        kind,
        Fault(
            mode="timeout_after", count=1, delay=1.0, path=SEND_PATH[dialect or kind]
        ),
    )
    campaign_pump(campaign_id=campaign.pk)
    doubtful = Message.objects.filter(
        campaign=campaign, status="pending", claimed_at__isnull=False
    ).count()
    assert doubtful == SIZE
    # A batch in one request (Webcom) reached the gateway whole; a request a message
    # (SMSC, WEBSMS) stopped at the first, whose answer timed out.
    assert scheduled_at_gateway(simulator, kind) == (SIZE if kind == "webcom" else 1)
    return campaign


def statuses(campaign: Campaign, *also: str) -> set:
    """The statuses of the campaign's messages (with `also`'s fields: tuples)."""
    rows = Message.objects.filter(campaign=campaign)
    return set(rows.values_list("status", *also, flat=not also))


def gateway_ids(campaign: Campaign) -> set[str]:
    rows = Message.objects.filter(campaign=campaign)
    return set(rows.values_list("gateway_message_id", flat=True))


def held_at_webcom(simulator) -> set[str]:
    """The ids Webcom holds for their send time."""
    messages = simulator.state.messages["webcom"].items()
    return {gid for gid, m in messages if m.state == ACCEPTED}


def scheduled(make_campaign, group, account, state=Campaign.State.SENDING) -> Campaign:
    """A campaign of `group` held for a window hours ahead, its messages built."""
    campaign = make_campaign(
        [group], account=account, state=state, **window_hours_ahead()
    )
    campaign_expand(campaign=campaign)
    return campaign


def answer_lost(simulator, campaign: Campaign) -> None:
    """The campaign's batch sent to Webcom (XML), which takes it; the answer is lost."""
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", count=1, delay=1.0, path="/xml")
    )
    campaign_pump(campaign_id=campaign.pk)


def reconcile_minutes_after(simulator, runs: int = 2) -> None:
    """What beat's reconciler does in the minutes after, each run in a status turn
    of its own (SMSC: one mass request a minute)."""
    for _ in range(runs):
        cache.clear()
        simulator.state.pass_time(60)
        messages_reconcile(older_than=timedelta(0))


def scheduled_at_gateway(simulator, kind) -> int:
    """The messages the gateway still holds to send at their time."""
    return sum(
        1
        for m in simulator.state.messages.get(kind, {}).values()
        if m.state == ACCEPTED and m.send_at
    )


@pytest.mark.parametrize(("kind", "dialect"), ACCOUNTS)
def test_a_cancel_withdraws_a_batch_whose_answer_timed_out(
    kind, dialect, simulator, make_group, make_campaign, short_timeout, manager_client
):
    campaign = held_in_doubt(simulator, kind, dialect, make_group, make_campaign)

    answer = manager_client.post(f"{API}/{campaign.pk}/cancel")
    reconcile_minutes_after(simulator)

    assert answer.status_code == 200, answer.content
    assert scheduled_at_gateway(simulator, kind) == 0
    at_gateway = Counter(m.state for m in simulator.state.messages[kind].values())
    assert set(at_gateway) == {CANCELLED}
    statuses = Counter(
        Message.objects.filter(campaign=campaign).values_list("status", "reason")
    )
    assert statuses == {("cancelled", "cancelled"): SIZE}
    # Each sent once: nothing was sent again to find it.
    per_phone = Counter(s.phone for s in simulator.state.submissions)
    assert set(per_phone.values()) == {1}


@pytest.mark.parametrize("dialect", ["xml", "json"])
def test_webcom_withdraws_them_while_the_user_waits(
    dialect, simulator, make_group, make_campaign, short_timeout, manager_client
):
    """Found in the gateway's list of scheduled messages by phone, text and time, at
    the cancel itself: the answer counts them withdrawn at the gateway."""
    campaign = held_in_doubt(simulator, "webcom", dialect, make_group, make_campaign)

    answer = manager_client.post(f"{API}/{campaign.pk}/cancel").json()

    assert (answer["cancelled_at_gateway"], answer["in_doubt"]) == (SIZE, 0)
    assert (answer["in_flight"], answer["not_withdrawn"]) == (0, 0)
    assert scheduled_at_gateway(simulator, "webcom") == 0
    rows = Message.objects.filter(campaign=campaign)
    assert {(m.status, m.cost) for m in rows} == {("cancelled", 0)}
    # Each with the id the gateway gave it, as a withdrawn message has.
    assert {m.gateway_message_id for m in rows} == set(
        simulator.state.messages["webcom"]
    )
    assert "/xml/list_scheduled.php" in {p for _g, p, _t in simulator.state.request_log}


def test_the_user_is_told_when_the_gateway_cannot_be_asked_and_it_is_done_later(
    simulator, make_group, make_campaign, short_timeout, manager_client
):
    campaign = held_in_doubt(simulator, "webcom", "xml", make_group, make_campaign)
    simulator.state.add_fault(
        "webcom", Fault(mode="http503", count=-1, path="list_scheduled")
    )

    page = manager_client.post(
        reverse("campaigns:cancel", args=[campaign.pk]),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    said = page.content.decode()
    assert "Campaign cancelled. Withdrawn here: 0; at the gateway: 0." in said
    warning = said[said.index("alert-warning") :]
    assert warning.index(
        f"{SIZE} messages may still go out: the gateway did not answer whether it "
        "took them."
    ) < warning.index("</div>")
    # The reconciler asks again while the gateway cannot answer: nothing is taken
    # for never received, nor released to be cancelled here only.
    reconcile_minutes_after(simulator)
    assert scheduled_at_gateway(simulator, "webcom") == SIZE
    assert statuses(campaign, "reason") == {("pending", "outcome_unknown")}

    simulator.state.clear_faults("webcom")
    reconcile_minutes_after(simulator)

    assert scheduled_at_gateway(simulator, "webcom") == 0
    assert statuses(campaign, "reason") == {("cancelled", "cancelled")}


def test_a_withdrawal_that_failed_is_tried_again_by_the_reconciler(
    simulator, make_group, make_campaign, short_timeout, manager_client
):
    campaign = held_in_doubt(simulator, "webcom", "xml", make_group, make_campaign)
    simulator.state.add_fault(
        "webcom", Fault(mode="http500", count=1, path="/xml/scheduled.php")
    )

    answer = manager_client.post(f"{API}/{campaign.pk}/cancel").json()

    assert (answer["in_doubt"], answer["cancelled_at_gateway"]) == (SIZE, 0)
    assert scheduled_at_gateway(simulator, "webcom") == SIZE
    reconcile_minutes_after(simulator, runs=1)
    assert scheduled_at_gateway(simulator, "webcom") == 0
    assert statuses(campaign, "reason") == {("cancelled", "cancelled")}


def test_a_batch_the_gateway_never_took_is_cancelled_once_it_cannot_arrive(
    simulator, make_group, make_campaign, short_timeout, manager_client
):
    """Not in the list at the cancel, the request may still be on its way: left in
    doubt, said so; the reconciler, past the grace, takes it for never received."""
    account = simulated_account(simulator, "webcom")
    campaign = scheduled(make_campaign, make_group("G", phones(SIZE)), account)
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_before", count=1, delay=1.0, path="/xml")
    )
    campaign_pump(campaign_id=campaign.pk)
    assert not simulator.state.messages.get("webcom")

    answer = manager_client.post(f"{API}/{campaign.pk}/cancel").json()
    assert answer["in_doubt"] == SIZE
    reconcile_minutes_after(simulator)

    assert statuses(campaign, "reason") == {("cancelled", "cancelled")}
    assert not simulator.state.submissions


def test_another_campaigns_identical_messages_stay_held(
    simulator, make_group, make_campaign, short_timeout, manager_client
):
    """Matched by phone, text and time, a listed message another of ours already
    has (its id recorded) is not taken for one in doubt."""
    group = make_group("G", phones(SIZE))
    account = simulated_account(simulator, "webcom")
    kept = scheduled(make_campaign, group, account)
    campaign_pump(campaign_id=kept.pk)
    assert scheduled_at_gateway(simulator, "webcom") == SIZE
    cancelled = scheduled(make_campaign, group, account)
    answer_lost(simulator, cancelled)
    assert scheduled_at_gateway(simulator, "webcom") == 2 * SIZE

    manager_client.post(f"{API}/{cancelled.pk}/cancel")
    reconcile_minutes_after(simulator)

    assert scheduled_at_gateway(simulator, "webcom") == SIZE
    assert held_at_webcom(simulator) == gateway_ids(kept)
    assert statuses(cancelled) == {"cancelled"}


def test_the_user_is_told_of_held_messages_the_gateway_did_not_withdraw(
    simulator, make_group, make_campaign, manager_client
):
    """Handed over with their ids, their withdrawal failed: the cancel does not read
    as clean, in the API or on the page."""
    account = simulated_account(simulator, "webcom")
    campaign = scheduled(make_campaign, make_group("G", phones(SIZE)), account)
    campaign_pump(campaign_id=campaign.pk)
    simulator.state.add_fault(
        "webcom", Fault(mode="http500", count=-1, path="/xml/scheduled.php")
    )

    page = manager_client.post(
        reverse("campaigns:cancel", args=[campaign.pk]),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    again = manager_client.post(f"{API}/{campaign.pk}/cancel").json()

    said = page.content.decode()
    assert (
        f"{SIZE} messages wait at the gateway for their send time: the gateway did "
        "not withdraw them, so they go out at that time."
    ) in said
    assert (again["not_withdrawn"], again["cancelled_at_gateway"]) == (SIZE, 0)
    assert scheduled_at_gateway(simulator, "webcom") == SIZE


@pytest.mark.parametrize("dialect", ["xml", "json"])
def test_a_message_in_doubt_due_already_is_not_shown_cancelled(
    dialect, simulator, make_group, make_campaign, short_timeout, manager_client
):
    """Sent at once (no quiet hours), its answer lost to a timeout: Webcom sent it
    or never got it, and cannot be asked which. Cancelled afterwards, it is shown
    as what it is, outcome unknown, not as withdrawn."""
    account = simulated_account(simulator, "webcom", dialect=dialect)
    campaign = make_campaign(
        [make_group("G", phones(SIZE))], account=account, state=Campaign.State.SENDING
    )
    campaign_expand(campaign=campaign)
    simulator.state.add_fault(
        "webcom",
        Fault(mode="timeout_after", count=1, delay=1.0, path=SEND_PATH[dialect]),
    )
    campaign_pump(campaign_id=campaign.pk)
    assert len(simulator.state.submissions) == SIZE  # Webcom took them all

    answer = manager_client.post(f"{API}/{campaign.pk}/cancel").json()
    reconcile_minutes_after(simulator)

    assert answer["in_doubt"] == SIZE
    assert Counter(
        Message.objects.filter(campaign=campaign).values_list("status", "reason")
    ) == {("failed", "outcome_unknown"): SIZE}
    report = manager_client.get(
        reverse("reports:campaign_report", args=[campaign.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    funnel = report.context["funnel"].by_status
    assert (funnel["cancelled"], funnel["failed"]) == (0, SIZE)
    rows = report.content.decode()
    assert rows.count("Submit outcome unknown") >= SIZE
    assert "Withdrawn" not in rows
    # Nothing sent again to find out.
    assert len(simulator.state.submissions) == SIZE


def withdraw_again_button(client, campaign) -> bool:
    page = client.get(
        reverse("campaigns:detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    return 'id="campaign-action-withdraw-again"' in page


def test_a_withdrawal_that_failed_can_be_tried_again_from_the_page(
    simulator, make_group, make_campaign, manager_client, viewer_user
):
    """Held with their ids, the gateway failed to withdraw them at the cancel: the
    cancelled campaign's page offers to try again (a Manager's, not a Viewer's),
    and trying withdraws them; then it is offered no more."""
    account = simulated_account(simulator, "webcom")
    campaign = scheduled(make_campaign, make_group("G", phones(SIZE)), account)
    campaign_pump(campaign_id=campaign.pk)
    simulator.state.add_fault(
        "webcom", Fault(mode="http500", count=-1, path="/xml/scheduled.php")
    )
    manager_client.post(reverse("campaigns:cancel", args=[campaign.pk]))
    assert scheduled_at_gateway(simulator, "webcom") == SIZE
    assert withdraw_again_button(manager_client, campaign)
    viewer_client = Client()
    viewer_client.force_login(viewer_user)
    assert not withdraw_again_button(viewer_client, campaign)
    url = reverse("campaigns:withdraw_again", args=[campaign.pk])
    assert viewer_client.post(url).status_code == 403

    failed_again = manager_client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert (
        f"{SIZE} messages wait at the gateway for their send time: the gateway did "
        "not withdraw them"
    ) in failed_again.content.decode()
    simulator.state.clear_faults("webcom")
    page = manager_client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert scheduled_at_gateway(simulator, "webcom") == 0
    assert f"Withdrawn at the gateway: {SIZE}." in page.content.decode()
    assert statuses(campaign) == {"cancelled"}
    assert not withdraw_again_button(manager_client, campaign)
    nothing_left = manager_client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "nothing of it is left to withdraw" in nothing_left.content.decode()


def test_messages_in_doubt_are_asked_about_again_through_the_api(
    simulator, make_group, make_campaign, short_timeout, manager_client
):
    """The scheduled list unreadable at the cancel: tried again once it reads, the
    messages in doubt are found and withdrawn, without waiting for the reconciler."""
    campaign = held_in_doubt(simulator, "webcom", "xml", make_group, make_campaign)
    simulator.state.add_fault(
        "webcom", Fault(mode="http503", count=-1, path="list_scheduled")
    )
    assert manager_client.post(f"{API}/{campaign.pk}/cancel").json()["in_doubt"] == SIZE
    assert withdraw_again_button(manager_client, campaign)
    simulator.state.clear_faults("webcom")

    answer = manager_client.post(f"{API}/{campaign.pk}/withdraw-again")

    assert answer.status_code == 200, answer.content
    said = answer.json()
    assert (said["state"], said["cancelled_at_gateway"]) == ("cancelled", SIZE)
    assert (said["in_doubt"], said["not_withdrawn"]) == (0, 0)
    assert scheduled_at_gateway(simulator, "webcom") == 0
    again = manager_client.post(f"{API}/{campaign.pk}/withdraw-again")
    assert again.status_code == 400
    assert not withdraw_again_button(manager_client, campaign)


def test_only_a_cancelled_campaign_is_withdrawn_again(
    simulator, make_group, make_campaign, manager_client
):
    account = simulated_account(simulator, "webcom")
    campaign = scheduled(make_campaign, make_group("G", phones(SIZE)), account)
    campaign_pump(campaign_id=campaign.pk)

    answer = manager_client.post(f"{API}/{campaign.pk}/withdraw-again")

    assert answer.status_code == 400
    assert scheduled_at_gateway(simulator, "webcom") == SIZE
    assert not withdraw_again_button(manager_client, campaign)


def test_twin_campaigns_in_doubt_only_the_cancelled_ones_are_withdrawn(
    simulator, make_group, make_campaign, short_timeout, manager_client
):
    """Two identical campaigns (same numbers, text and minute), both batches'
    answers lost: Webcom lists twice each phone, text and time, and nothing tells
    which copy is the cancelled campaign's. The match does not guess (it could
    withdraw the other campaign's): left in doubt, said so, until the other's are
    settled (sent again with their client_id_sms, Webcom gives their ids); then the
    cancelled campaign's, the only ones left, are withdrawn."""
    group = make_group("G", phones(SIZE))
    account = simulated_account(simulator, "webcom")
    kept, cancelled = (scheduled(make_campaign, group, account) for _ in range(2))
    answer_lost(simulator, kept)
    answer_lost(simulator, cancelled)
    assert scheduled_at_gateway(simulator, "webcom") == 2 * SIZE

    answer = manager_client.post(f"{API}/{cancelled.pk}/cancel").json()

    assert (answer["in_doubt"], answer["cancelled_at_gateway"]) == (SIZE, 0)
    assert scheduled_at_gateway(simulator, "webcom") == 2 * SIZE
    reconcile_minutes_after(simulator, runs=1)
    assert statuses(cancelled, "reason") == {("pending", "outcome_unknown")}
    campaign_pump(campaign_id=kept.pk)  # the kept one's, released, sent again
    reconcile_minutes_after(simulator, runs=1)

    assert scheduled_at_gateway(simulator, "webcom") == SIZE
    assert held_at_webcom(simulator) == gateway_ids(kept)
    assert statuses(kept) == {"queued"}
    assert statuses(cancelled) == {"cancelled"}
    assert len(simulator.state.submissions) == 2 * SIZE


def test_an_identical_message_never_sent_does_not_stop_the_withdrawal(
    simulator, make_group, make_campaign, short_timeout, manager_client
):
    """Another campaign's identical message not sent yet cannot be listed: the
    listed one is the cancelled campaign's, and is withdrawn at the cancel."""
    group = make_group("G", phones(SIZE))
    account = simulated_account(simulator, "webcom")
    waiting = scheduled(make_campaign, group, account, Campaign.State.PAUSED)
    cancelled = scheduled(make_campaign, group, account)
    answer_lost(simulator, cancelled)

    answer = manager_client.post(f"{API}/{cancelled.pk}/cancel").json()

    assert (answer["in_doubt"], answer["cancelled_at_gateway"]) == (0, SIZE)
    assert scheduled_at_gateway(simulator, "webcom") == 0
    assert statuses(waiting) == {"pending"}


# A person's "send again" on a cancelled campaign's messages in doubt ----------------


def in_doubt_for_long(campaign: Campaign) -> None:
    """Time passed: the page offers its messages in doubt to a person (past the
    reconciler's quarter of an hour)."""
    from campaigns.selectors import SETTLED_BY_RECONCILER_WITHIN

    long_ago = timezone.now() - SETTLED_BY_RECONCILER_WITHIN - timedelta(minutes=1)
    Message.objects.filter(campaign=campaign, claimed_at__isnull=False).update(
        claimed_at=long_ago
    )


def send_again(client, campaign: Campaign) -> str:
    """The page's «Send again» for all its messages in doubt; the page after it."""
    page = client.post(
        reverse("campaigns:decide", args=[campaign.pk]),
        {"decision": "resend"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    return page.content.decode()


def test_send_again_on_a_cancelled_campaign_sends_nothing_and_says_outcome_unknown(
    simulator, make_group, make_campaign, short_timeout, manager_client
):
    """Webcom's GET took the batch (sent at once), its answer lost; the campaign is
    cancelled. «Send again» sends nothing (the campaign is cancelled) and cannot say
    "cancelled": the recipients may have got them. Failed, outcome unknown, and the
    page says why."""
    account = simulated_account(simulator, "webcom", dialect="get")
    campaign = make_campaign(
        [make_group("G", phones(SIZE))], account=account, state=Campaign.State.SENDING
    )
    campaign_expand(campaign=campaign)
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", count=1, delay=1.0, path="sendsms")
    )
    campaign_pump(campaign_id=campaign.pk)
    sent = len(simulator.state.submissions)
    assert sent >= 1
    manager_client.post(f"{API}/{campaign.pk}/cancel")
    in_doubt_for_long(campaign)
    doubtful = statuses(campaign, "reason")
    assert ("pending", "outcome_unknown") in doubtful
    offered = manager_client.get(
        reverse("campaigns:detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "The campaign is cancelled: «Send again» sends nothing." in offered

    page = send_again(manager_client, campaign)

    assert ("pending", "outcome_unknown") not in statuses(campaign, "reason")
    assert ("failed", "outcome_unknown") in statuses(campaign, "reason")
    assert len(simulator.state.submissions) == sent
    assert "will be sent again" not in page
    warning = page[page.index("alert-warning") :]
    assert warning.index(
        "not sent again: the campaign is cancelled. The gateway may have received "
        "them, so they are marked failed, outcome unknown."
    ) < warning.index("</div>")
    report = manager_client.get(
        reverse("reports:campaign_report", args=[campaign.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Withdrawn" not in report


def test_send_again_on_a_cancelled_campaign_asks_the_gateway_first(
    simulator, make_group, make_campaign, short_timeout, manager_client
):
    """SMSC took the first of a batch held for a later time, its answer lost; it
    could not be asked at the cancel nor for long after. Once it answers, «Send
    again» asks it: the one it holds is withdrawn there (marked cancelled here and
    so held no more), those it never got are cancelled; nothing is sent."""
    campaign = held_in_doubt(simulator, "smsc", "", make_group, make_campaign)
    simulator.state.add_fault("smsc", Fault(mode="http503", count=-1, path="status"))
    manager_client.post(f"{API}/{campaign.pk}/cancel")
    assert scheduled_at_gateway(simulator, "smsc") == 1
    in_doubt_for_long(campaign)
    simulator.state.clear_faults("smsc")
    cache.clear()

    page = send_again(manager_client, campaign)

    assert scheduled_at_gateway(simulator, "smsc") == 0
    assert statuses(campaign, "reason") == {("cancelled", "cancelled")}
    assert len(simulator.state.submissions) == 1
    assert "will be sent again" not in page
    assert (
        f"{SIZE} messages of the cancelled campaign are withdrawn: the gateway was "
        "asked, and it had not sent them."
    ) in page


# «Withdraw at the gateway again» that fails again ------------------------------------


def alerts(page: str, kind: str) -> list[str]:
    """The texts of the messages of one kind (success, warning, danger) shown."""
    return [
        part.split(">", 1)[1].split("<button", 1)[0].strip()
        for part in page.split(f'class="alert alert-{kind} alert-dismissible')[1:]
    ]


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (Fault(mode="http500", count=-1, path="/xml/scheduled.php"), "HTTP 500"),
        (
            Fault(mode="timeout_before", count=-1, delay=1.0, path="scheduled.php"),
            "The gateway could not be reached",
        ),
    ],
)
def test_a_withdrawal_tried_again_that_fails_says_so_not_success(
    fault, said, simulator, make_group, make_campaign, short_timeout, manager_client
):
    """Held with their ids, the gateway refuses (or does not answer) the withdrawal
    at the cancel and again at «Withdraw at the gateway again»: no green message
    saying it was done, but what failed, the gateway's word, and that it can be
    tried again; the API says what was withdrawn and what was not, and why."""
    account = simulated_account(simulator, "webcom")
    campaign = scheduled(make_campaign, make_group("G", phones(SIZE)), account)
    campaign_pump(campaign_id=campaign.pk)
    simulator.state.add_fault("webcom", fault)
    manager_client.post(reverse("campaigns:cancel", args=[campaign.pk]), follow=True)
    url = reverse("campaigns:withdraw_again", args=[campaign.pk])

    page = manager_client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    answer = manager_client.post(
        f"{API}/{campaign.pk}/withdraw-again", HTTP_ACCEPT_LANGUAGE="en"
    ).json()

    shown = page.content.decode()
    assert alerts(shown, "success") == []
    (failed,) = alerts(shown, "danger")
    assert failed.startswith(
        f"The withdrawal was tried again and failed: {SIZE} messages wait at the "
        "gateway for their send time"
    )
    assert said in failed
    assert "Try again with «Withdraw at the gateway again»" in failed
    assert (answer["cancelled_at_gateway"], answer["not_withdrawn"]) == (0, SIZE)
    assert answer["in_doubt"] == 0
    assert len(answer["gateway_errors"]) == 1
    assert said in answer["gateway_errors"][0]
    assert scheduled_at_gateway(simulator, "webcom") == SIZE
    assert withdraw_again_button(manager_client, campaign)


def test_a_withdrawal_tried_again_that_withdraws_only_some_warns_of_the_rest(
    simulator, make_group, make_campaign, manager_client, monkeypatch
):
    """Two ids a request: the gateway refuses the first request and withdraws the
    second's. The page says how many were withdrawn and, as a warning (not as
    success), how many were not and that it can be tried again."""
    from providers.gateways.webcom import WebcomGateway

    monkeypatch.setattr(WebcomGateway, "max_status_batch", 2)
    account = simulated_account(simulator, "webcom")
    campaign = scheduled(make_campaign, make_group("G", phones(SIZE)), account)
    campaign_pump(campaign_id=campaign.pk)
    refused = Fault(mode="http500", count=-1, path="/xml/scheduled.php")
    simulator.state.add_fault("webcom", refused)
    manager_client.post(reverse("campaigns:cancel", args=[campaign.pk]), follow=True)
    simulator.state.clear_faults("webcom")
    simulator.state.add_fault("webcom", replace(refused, count=1))

    page = manager_client.post(
        reverse("campaigns:withdraw_again", args=[campaign.pk]),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()

    assert alerts(page, "success") == []
    (partly,) = alerts(page, "warning")
    assert partly.startswith(
        "The withdrawal was tried again: 2 messages withdrawn at the gateway, 2 "
        "not: 2 messages wait at the gateway for their send time"
    )
    assert "Try again with «Withdraw at the gateway again»" in partly
    assert scheduled_at_gateway(simulator, "webcom") == 2


def test_a_cancel_does_not_promise_to_ask_a_gateway_that_cannot_be_asked(
    simulator, make_group, make_campaign, short_timeout, manager_client
):
    """Webcom's GET took a message whose answer was lost, then the campaign was
    cancelled: nothing asks that gateway again (a person decides on the page), so
    the cancel does not say "asked about again and withdrawn"; it says where to
    decide."""
    account = simulated_account(simulator, "webcom", dialect="get")
    campaign = make_campaign(
        [make_group("G", phones(SIZE))], account=account, state=Campaign.State.SENDING
    )
    campaign_expand(campaign=campaign)
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", count=1, delay=1.0, path="sendsms")
    )
    campaign_pump(campaign_id=campaign.pk)

    page = manager_client.post(
        reverse("campaigns:cancel", args=[campaign.pk]),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()

    (warning,) = alerts(page, "warning")
    assert "asked about again" not in warning
    assert warning.startswith(
        f"{SIZE} messages may have gone out: the gateway did not answer whether it "
        "took them, and it cannot be asked. They are listed under «Messages in "
        "doubt» on this page in a few minutes: give them up there"
    )


@pytest.mark.parametrize("dialect", ["xml", "json"])
def test_a_withdrawal_whose_answer_was_lost_is_not_shown_as_still_held(
    dialect, simulator, make_group, make_campaign, short_timeout, manager_client
):
    """Webcom withdrew the held messages, but its answer to the withdrawal was lost
    (a timeout). They are no longer in its list of scheduled messages, hours before
    their time: withdrawn, not "waiting at the gateway to go out at that time"
    (which a retry could never change: the gateway answers "not found")."""
    account = simulated_account(simulator, "webcom", dialect=dialect)
    campaign = scheduled(make_campaign, make_group("G", phones(SIZE)), account)
    campaign_pump(campaign_id=campaign.pk)
    assert scheduled_at_gateway(simulator, "webcom") == SIZE
    simulator.state.add_fault(
        "webcom",
        Fault(mode="timeout_after", count=1, delay=1.0, path="/scheduled.php"),
    )

    answer = manager_client.post(f"{API}/{campaign.pk}/cancel").json()

    assert scheduled_at_gateway(simulator, "webcom") == 0
    assert (answer["cancelled_at_gateway"], answer["not_withdrawn"]) == (SIZE, 0)
    assert statuses(campaign, "reason") == {("cancelled", "cancelled")}
    assert not withdraw_again_button(manager_client, campaign)


def test_give_up_on_a_cancelled_campaign_withdraws_what_the_gateway_still_holds(
    simulator, make_group, make_campaign, short_timeout, manager_client
):
    """«Give up» on a cancelled campaign's messages in doubt: the gateway (SMSC,
    which can be asked) is asked first, and the one it holds for later is
    withdrawn there, not left to go out at its time behind a "failed" here; those
    it never got are cancelled. Nothing is sent."""
    campaign = held_in_doubt(simulator, "smsc", "", make_group, make_campaign)
    simulator.state.add_fault("smsc", Fault(mode="http503", count=-1, path="status"))
    manager_client.post(f"{API}/{campaign.pk}/cancel")
    in_doubt_for_long(campaign)
    simulator.state.clear_faults("smsc")
    cache.clear()

    manager_client.post(
        reverse("campaigns:decide", args=[campaign.pk]), {"decision": "give_up"}
    )

    assert scheduled_at_gateway(simulator, "smsc") == 0
    assert statuses(campaign, "reason") == {("cancelled", "cancelled")}
    assert len(simulator.state.submissions) == 1

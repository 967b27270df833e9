"""What a cancelled campaign's withdrawal at the gateway records when the gateway's
answers are lost, or it withdraws only part of what it was asked to.

Each against the loopback simulator over HTTP: what the gateway no longer holds is
recorded as it is, not left «Queued» to go out at its time.
"""

import pytest

from django.core.cache import cache
from django.urls import reverse

from campaigns.dispatch import campaign_pump
from campaigns.models import Message
from contacts.models import Contact
from contacts.services import contacts_delete
from providers.simulator import Fault
from providers.simulator.state import CANCELLED
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_cancel_in_doubt import (
    API,
    SIZE,
    held_in_doubt,
    phones,
    reconcile_minutes_after,
    scheduled,
    scheduled_at_gateway,
    statuses,
    withdraw_again_button,
)

pytestmark = pytest.mark.django_db


def held(simulator, kind, make_group, make_campaign):
    """A campaign whose messages the gateway took, with their ids, for hours ahead."""
    account = simulated_account(simulator, kind)
    campaign = scheduled(make_campaign, make_group("G", phones(SIZE)), account)
    campaign_pump(campaign_id=campaign.pk)
    assert scheduled_at_gateway(simulator, kind) == SIZE
    assert statuses(campaign) == {"queued"}
    return campaign


@pytest.mark.usefixtures("short_timeout")
def test_smsc_withdrawal_whose_answer_was_lost_is_recorded_when_tried_again(
    simulator, make_group, make_campaign, manager_client
):
    """SMSC deleted the held message but its answer never came; tried again, SMSC
    answers error 5 ("error deleting"), as it does for one that went out. Asked for
    that message's status, SMSC no longer finds it: it was deleted, not sent, and
    is recorded cancelled rather than left «Queued» to go out at its time."""
    campaign = held(simulator, "smsc", make_group, make_campaign)
    simulator.state.add_fault(
        "smsc", Fault(mode="timeout_after", count=-1, delay=1.0, path="status")
    )
    manager_client.post(f"{API}/{campaign.pk}/cancel")
    assert scheduled_at_gateway(simulator, "smsc") < SIZE  # the first one deleted
    simulator.state.clear_faults("smsc")
    cache.clear()

    answer = manager_client.post(f"{API}/{campaign.pk}/withdraw-again")

    assert answer.status_code == 200, answer.content
    said = answer.json()
    assert (said["not_withdrawn"], said["gateway_errors"]) == (0, [])
    assert scheduled_at_gateway(simulator, "smsc") == 0
    assert {m.state for m in simulator.state.messages["smsc"].values()} == {CANCELLED}
    assert statuses(campaign, "reason", "cost") == {("cancelled", "cancelled", 0)}
    assert not withdraw_again_button(manager_client, campaign)


def test_smsc_message_that_went_out_is_not_recorded_withdrawn(
    simulator, make_group, make_campaign, manager_client
):
    """Error 5 for a message SMSC has sent: its status says so, and it is not taken
    for withdrawn (polling records what became of it)."""
    campaign = held(simulator, "smsc", make_group, make_campaign)
    first = Message.objects.filter(campaign=campaign).order_by("pk").first()
    state = simulator.state
    state.messages["smsc"][first.gateway_message_id].send_at = state.clock()
    state.pass_time(state.sent_delay + 1)  # the first one's time came: it went out

    answer = manager_client.post(f"{API}/{campaign.pk}/cancel").json()

    assert answer["cancelled_at_gateway"] == SIZE - 1
    first.refresh_from_db()
    assert first.status == "queued"


def test_websms_withdrawal_that_fails_part_way_records_what_it_withdrew(
    simulator, make_group, make_campaign, manager_client
):
    """WEBSMS withdraws message by message (one packet a request): it withdrew two,
    then failed. The two are recorded cancelled at once, not left «Queued» until
    polling reads «удалено пользователем»; the failure is reported for the rest."""
    campaign = held(simulator, "websms", make_group, make_campaign)
    simulator.state.add_fault(
        "websms", Fault(mode="http500", count=-1, path="http_delete", after=2)
    )

    said = manager_client.post(
        f"{API}/{campaign.pk}/cancel", HTTP_ACCEPT_LANGUAGE="en"
    ).json()

    assert scheduled_at_gateway(simulator, "websms") == SIZE - 2
    assert (said["cancelled_at_gateway"], said["not_withdrawn"]) == (2, SIZE - 2)
    assert len(said["gateway_errors"]) == 1
    assert "HTTP 500" in said["gateway_errors"][0]
    rows = Message.objects.filter(campaign=campaign)
    assert sorted(rows.values_list("status", flat=True)) == [
        "cancelled",
        "cancelled",
        "queued",
        "queued",
    ]
    assert withdraw_again_button(manager_client, campaign)


@pytest.mark.usefixtures("short_timeout")
@pytest.mark.parametrize("kind", ["smsc", "websms"])
def test_cancelled_messages_the_gateway_never_got_keep_no_timeout_text(
    kind, simulator, make_group, make_campaign, manager_client
):
    """The batch's answer timed out (the gateway took the first message only; the
    rest never left) and the campaign was cancelled: the messages end cancelled,
    and neither the report nor the export shows «[…] no answer: ReadTimeout» beside
    «Cancelled»: nothing failed to answer for them."""
    campaign = held_in_doubt(simulator, kind, "", make_group, make_campaign)
    assert "no answer" in " ".join(
        Message.objects.filter(campaign=campaign).values_list("vendor_text", flat=True)
    )

    manager_client.post(f"{API}/{campaign.pk}/cancel")
    reconcile_minutes_after(simulator)

    assert statuses(campaign, "reason", "vendor_text", "vendor_code") == {
        ("cancelled", "cancelled", "", "")
    }
    report = manager_client.get(
        reverse("reports:campaign_report", args=[campaign.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    export = b"".join(
        manager_client.get(
            reverse("reports:campaign_export", args=[campaign.pk]), {"format": "csv"}
        ).streaming_content
    ).decode("utf-8-sig")
    assert export.count("\n") == SIZE + 1
    for shown in (report, export):
        assert "no answer" not in shown
        assert "ReadTimeout" not in shown


@pytest.mark.usefixtures("short_timeout")
def test_messages_released_from_doubt_then_cancelled_keep_no_timeout_text(
    simulator, make_group, make_campaign, manager_client
):
    """The reconciler found that SMSC never got the rest of the batch and put them
    back to be sent (the lost answer's words kept, as their reason is); the campaign
    is cancelled before they go: cancelled, with no timeout text."""
    campaign = held_in_doubt(simulator, "smsc", "", make_group, make_campaign)
    reconcile_minutes_after(simulator)
    waiting = Message.objects.filter(
        campaign=campaign, status="pending", claimed_at__isnull=True
    )
    assert waiting.count() == SIZE - 1
    assert "no answer" in waiting.first().vendor_text

    manager_client.post(f"{API}/{campaign.pk}/cancel")

    cancelled = Message.objects.filter(campaign=campaign, status="cancelled")
    assert cancelled.count() == SIZE
    assert set(cancelled.values_list("vendor_text", "vendor_code")) == {("", "")}


@pytest.mark.usefixtures("short_timeout")
def test_a_message_released_from_doubt_whose_contact_is_deleted_keeps_no_timeout_text(
    simulator, make_group, make_campaign
):
    """Not sent because its contact was deleted: no lost answer's words beside it."""
    campaign = held_in_doubt(simulator, "smsc", "", make_group, make_campaign)
    reconcile_minutes_after(simulator)
    waiting = Message.objects.filter(
        campaign=campaign, status="pending", claimed_at__isnull=True
    ).first()
    assert "no answer" in waiting.vendor_text

    contacts_delete(contacts=Contact.objects.filter(pk=waiting.contact_id))

    waiting.refresh_from_db()
    assert (waiting.status, waiting.reason) == ("cancelled", "contact_removed")
    assert (waiting.vendor_text, waiting.vendor_code) == ("", "")


def sending_now(simulator, campaign) -> Message:
    """The campaign's first message: its time came at SMSC, which is sending it
    (status -1), so it refuses to delete it (error 5)."""
    first = Message.objects.filter(campaign=campaign).order_by("pk").first()
    state = simulator.state
    state.messages["smsc"][first.gateway_message_id].send_at = state.clock()
    return first


def test_smsc_refusing_to_withdraw_a_message_it_is_sending_says_why(
    simulator, make_group, make_campaign, manager_client
):
    """Error 5 for a message SMSC still holds and is sending: it stayed «Queued»
    and the cancel said nothing of why. The cancel's warning and the withdrawal
    tried again say the gateway is already sending it (or refused); it is not
    marked failed."""
    campaign = held(simulator, "smsc", make_group, make_campaign)
    first = sending_now(simulator, campaign)

    cancel = manager_client.post(
        reverse("campaigns:cancel", args=[campaign.pk]),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()

    why = (
        "1 message could not be withdrawn: the gateway is already sending it or "
        "refused to delete it."
    )
    assert why in cancel
    assert "did not withdraw it, so it goes out at that time" not in cancel
    first.refresh_from_db()
    assert first.status == "queued"
    again = manager_client.post(
        reverse("campaigns:withdraw_again", args=[campaign.pk]),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert why in again
    first.refresh_from_db()
    assert first.status == "queued"


def test_the_api_counts_what_smsc_refused_to_withdraw(
    simulator, make_group, make_campaign, manager_client
):
    campaign = held(simulator, "smsc", make_group, make_campaign)
    sending_now(simulator, campaign)

    said = manager_client.post(f"{API}/{campaign.pk}/cancel").json()

    assert said["cancelled_at_gateway"] == SIZE - 1
    assert (said["not_withdrawn"], said["refused_at_gateway"]) == (1, 1)
    assert said["gateway_errors"] == []

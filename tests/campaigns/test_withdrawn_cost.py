"""A message withdrawn at the gateway costs nothing: the gateway gave the money back,
so the report's «Spent», the API's `cost`, the exports' Cost column and the kept
tallies leave it out, whether a cancellation or an opt-out withdrew it."""

import csv
import io
from collections import Counter
from decimal import Decimal

import pytest

from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Message
from campaigns.report_selectors import campaign_report
from campaigns.report_tallies import tallies_mismatches
from campaigns.services import campaign_cancel
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_sending import KINDS, launch, phones, window_hours_ahead

pytestmark = pytest.mark.django_db


def held_campaign(simulator, kind, make_group, make_campaign, n=3):
    account = simulated_account(simulator, kind)
    campaign = launch(
        make_campaign(
            [make_group("G", phones(n))], account=account, **window_hours_ahead()
        )  # fmt: skip
    )
    assert Counter(Message.objects.values_list("status", flat=True)) == {"queued": n}
    # As a gateway that prices its answer (WEBSMS) leaves them: charged.
    Message.objects.filter(campaign=campaign).update(cost=Decimal("7.00"))
    return account, campaign


def exported_cost(client, campaign) -> Decimal:
    url = reverse("reports:campaign_export", args=[campaign.pk])
    response = client.get(f"{url}?format=csv", HTTP_ACCEPT_LANGUAGE="en")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    return sum((Decimal(r["Cost"]) for r in rows if r["Cost"]), Decimal(0))


@pytest.mark.parametrize("kind", KINDS)
def test_cancelling_refunds_what_the_gateway_held(
    kind, simulator, make_group, make_campaign, manager_client
):
    account, campaign = held_campaign(simulator, kind, make_group, make_campaign)
    assert campaign_report(campaign=campaign).spending.cost == Decimal("21.00")

    assert campaign_cancel(campaign=campaign)["cancelled_at_gateway"] == 3

    costs = set(Message.objects.values_list("status", "cost"))
    assert costs == {("cancelled", Decimal(0))}
    # What is needed to see what was withdrawn stays.
    kept = Message.objects.filter(campaign=campaign).exclude(gateway_message_id="")
    assert kept.count() == 3
    assert campaign_report(campaign=campaign).spending.cost == 0
    assert tallies_mismatches() == []
    api = manager_client.get(f"/api/v1/campaigns/{campaign.pk}/report").json()
    assert Decimal(str(api["cost"])) == 0
    assert exported_cost(manager_client, campaign) == 0


@pytest.mark.parametrize("kind", ["smsc", "websms"])
def test_a_stop_reply_refunds_the_withdrawn_message_only(
    kind, simulator, make_group, make_campaign, django_capture_on_commit_callbacks
):
    from campaigns.inbox import replies_store
    from providers.base import IncomingMessage

    account, campaign = held_campaign(simulator, kind, make_group, make_campaign)
    stop = IncomingMessage("in-1", "+79120000001", "СТОП", timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        replies_store(account=account, messages=[stop])

    assert dict(Message.objects.values_list("phone", "cost")) == {
        "+79120000000": Decimal("7.00"),
        "+79120000001": Decimal(0),
        "+79120000002": Decimal("7.00"),
    }
    assert campaign_report(campaign=campaign).spending.cost == Decimal("14.00")
    assert tallies_mismatches() == []


def test_the_balance_is_read_again_after_a_refund(
    simulator, make_group, make_campaign, django_capture_on_commit_callbacks
):
    """The provider page's balance shows the refund at once (as after a campaign
    ends), so it agrees with the report's «Spent»."""
    from providers.tasks import balance_refresh

    account, campaign = held_campaign(simulator, "websms", make_group, make_campaign)
    balance_refresh(account.pk)
    account.refresh_from_db()
    before = account.balance

    with django_capture_on_commit_callbacks(execute=True):
        campaign_cancel(campaign=campaign)

    account.refresh_from_db()
    assert account.balance > before
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.CANCELLED


def test_messages_withdrawn_before_this_release_are_refunded_too(
    simulator, make_group, make_campaign
):
    """campaigns 0033 sets the cost of those already withdrawn to 0, the tallies
    following; a message cancelled before it left had no cost and keeps none."""
    from importlib import import_module

    from django.db import connection

    migration = import_module("campaigns.migrations.0033_withdrawn_cost_nothing")
    account, campaign = held_campaign(simulator, "smsc", make_group, make_campaign)
    Message.objects.filter(phone="+79120000000").update(status="cancelled")
    Message.objects.filter(phone="+79120000001").update(
        status="cancelled", gateway_message_id="", cost=None
    )

    with connection.cursor() as cursor:
        cursor.execute(migration.FORWARD)

    assert dict(Message.objects.values_list("phone", "cost")) == {
        "+79120000000": Decimal(0),
        "+79120000001": None,
        "+79120000002": Decimal("7.00"),
    }
    assert campaign_report(campaign=campaign).spending.cost == Decimal("7.00")
    assert tallies_mismatches() == []


@pytest.mark.parametrize("path", ["postgres", "portable"])
def test_a_report_after_a_withdrawal_that_did_not_take_charges_again(
    path, simulator, make_group, make_campaign
):
    """A gateway that delivers what it said it withdrew charged it after all: the
    message costs its estimate again, or what the report says."""
    from campaigns import statuses
    from providers.base import DeliveryStatus, StatusReport

    account, campaign = held_campaign(simulator, "smsc", make_group, make_campaign)
    Message.objects.filter(campaign=campaign).update(estimated_cost=Decimal("3.50"))
    campaign_cancel(campaign=campaign)
    first, second, third = Message.objects.filter(campaign=campaign).order_by("phone")
    reports = [
        StatusReport(first.gateway_message_id, DeliveryStatus.DELIVERED),
        StatusReport(
            second.gateway_message_id, DeliveryStatus.DELIVERED, cost=Decimal("4.20")
        ),
    ]
    if path == "postgres":
        statuses.message_statuses_apply(account=account, reports=reports)
    else:
        statuses._apply_portable(account, reports)

    costs = dict(Message.objects.values_list("phone", "cost"))
    assert costs == {
        first.phone: Decimal("3.50"),
        second.phone: Decimal("4.20"),
        third.phone: Decimal(0),
    }
    assert campaign_report(campaign=campaign).spending.cost == Decimal("7.70")
    assert tallies_mismatches() == []


@pytest.mark.parametrize("kind", ["smsc", "websms"])
def test_a_campaign_in_test_mode_spends_nothing(
    kind, simulator, make_group, make_campaign, manager_client
):
    """A gateway's test mode prices each message and sends none: the report said
    «Spent 10.50 RUB» (and the export and the API their sum) for money the account
    never paid, as a withdrawn message's cost once did."""
    account = simulated_account(simulator, kind, test_mode=True)
    campaign = launch(make_campaign([make_group("G", phones(3))], account=account))

    assert set(Message.objects.values_list("status", "reason")) == {
        ("cancelled", "test_mode")
    }
    assert set(Message.objects.values_list("cost", flat=True)) == {Decimal(0)}
    assert campaign_report(campaign=campaign).spending.cost == 0
    assert tallies_mismatches() == []
    api = manager_client.get(f"/api/v1/campaigns/{campaign.pk}/report").json()
    assert Decimal(str(api["cost"])) == 0
    assert exported_cost(manager_client, campaign) == 0
    assert simulator.state.submissions == []


def test_messages_priced_in_test_mode_before_this_release_cost_nothing(
    simulator, make_group, make_campaign
):
    """campaigns 0042 sets their cost to 0, the tallies following; a message sent
    for real keeps its cost."""
    from importlib import import_module

    from django.db import connection

    migration = import_module("campaigns.migrations.0042_test_mode_cost_nothing")
    account, campaign = held_campaign(simulator, "smsc", make_group, make_campaign)
    Message.objects.filter(phone="+79120000000").update(
        status="cancelled", reason="test_mode", gateway_message_id=""
    )

    with connection.cursor() as cursor:
        cursor.execute(migration.FORWARD)

    assert dict(Message.objects.values_list("phone", "cost")) == {
        "+79120000000": Decimal(0),
        "+79120000001": Decimal("7.00"),
        "+79120000002": Decimal("7.00"),
    }
    assert campaign_report(campaign=campaign).spending.cost == Decimal("14.00")
    assert tallies_mismatches() == []


def test_cancelling_on_unreadable_credentials_cancels_here_and_keeps_the_held(
    simulator, make_group, make_campaign
):
    """A key changed by mistake: cancelling raised (the page answered 500), and one
    such account failed the opt-out withdrawals and the reconciler of every other."""
    from datetime import timedelta

    from django.test import override_settings

    from campaigns.reconcile import messages_reconcile
    from campaigns.withdrawal import withdraw_for_opt_outs

    account, campaign = held_campaign(simulator, "smsc", make_group, make_campaign)
    with override_settings(
        SECRET_KEY="another-secret-key-" * 3, SMSPORTAL_FIELD_KEY=""
    ):
        account.password = "saved-under-another-key"
        account.save(update_fields=["password"])
    account.refresh_from_db()
    assert account.credentials_unreadable
    held = list(Message.objects.filter(campaign=campaign))
    Message.objects.filter(pk=held[0].pk).update(
        status="pending",
        submitted_at=None,
        claimed_at=timezone.now() - timedelta(hours=1),
    )

    assert messages_reconcile().found == 0  # left for a later run
    assert withdraw_for_opt_outs([held[1].phone]) == 0
    result = campaign_cancel(campaign=campaign)

    assert result["cancelled_at_gateway"] == 0
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.CANCELLED
    # Still held at the gateway, as a withdrawal the gateway failed leaves them.
    assert Message.objects.filter(pk=held[2].pk, status="queued").exists()

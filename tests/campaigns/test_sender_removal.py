"""Removing a sender name: the confirmation names the campaigns that use it, the
default sender goes with it, and no campaign goes out (or waits) with it unflagged."""

from html import unescape

import pytest

from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.selectors import sender_choices
from campaigns.services import campaign_launch, campaign_resume, campaign_start
from providers.models import ProviderAccount, SenderName
from providers.services import (
    sender_name_record,
    sender_name_remove,
    sender_names_sync,
)
from smsportal.exceptions import ApplicationError
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = pytest.mark.django_db

State = Campaign.State
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def shop(db):
    """A WEBSMS account (its names are recorded by hand) whose default is SHOP."""
    account = ProviderAccount.objects.create(
        name="WEBSMS", kind="websms", base_url="http://127.0.0.1:9/x",
        default_sender="SHOP",
    )  # fmt: skip
    sender_name_record(account=account, name="SHOP")
    return account


def remove(account: ProviderAccount, name: str) -> None:
    row = SenderName.objects.get(account=account, name=name)
    sender_name_remove(account=account, sender_name_id=row.pk)


def test_the_confirmation_names_the_campaigns_using_the_name_and_the_default(
    admin_client, shop, make_campaign
):
    make_campaign(name="Spring sale", account=shop, sender="SHOP")
    make_campaign(name="By default", account=shop, sender="", state=State.SCHEDULED)
    make_campaign(name="Halted", account=shop, sender="SHOP", state=State.PAUSED)
    make_campaign(name="Long done", account=shop, sender="SHOP", state=State.COMPLETED)

    html = unescape(
        admin_client.get(
            reverse("providers:detail", args=[shop.pk]), **EN
        ).content.decode()
    )

    confirm = html.split('data-action="remove-sender"')[0].rsplit("data-confirm=", 1)[1]
    assert (
        "Campaigns using it: “By default” (scheduled), “Halted” (paused), "
        "“Spring sale” (draft)." in confirm
    )
    assert "It is the account's default sender: the account will have none." in confirm
    assert "Long done" not in confirm


def test_removing_the_default_sender_clears_it_and_the_composer_stops_offering_it(
    admin_client, shop
):
    row = SenderName.objects.get(account=shop, name="SHOP")

    response = admin_client.post(
        reverse("providers:sender_remove", args=[shop.pk, row.pk]), follow=True, **EN
    )

    shop.refresh_from_db()
    assert shop.default_sender == ""
    assert sender_choices(account=shop) == []
    assert "It was the account's default sender: the account has none now." in (
        unescape(response.content.decode())
    )


def test_launch_refuses_a_removed_name_even_when_no_name_is_left(shop, make_campaign):
    campaign = make_campaign(account=shop, sender="SHOP", extra_numbers="+79120000001")
    remove(shop, "SHOP")

    with pytest.raises(ApplicationError) as refused:
        campaign_launch(campaign=campaign)

    assert refused.value.where == "sender"
    assert refused.value.message == (
        "The sender name “SHOP” was removed from this account: choose another."
    )
    assert Campaign.objects.get(pk=campaign.pk).state == State.DRAFT


def test_the_api_refuses_a_draft_with_a_removed_name(manager_client, shop):
    remove(shop, "SHOP")

    response = manager_client.post(
        "/api/v1/campaigns",
        {"name": "API draft", "account": shop.pk, "sender": "SHOP", "channel": "sms",
         "text": "Hi", "extra_numbers": "+79120000001",
         "time_zone": "Europe/Moscow"},
        content_type="application/json",
        **EN,
    )  # fmt: skip

    assert response.status_code == 400, response.json()
    assert "was removed from this account" in str(response.json())
    assert not Campaign.objects.exists()


def test_a_scheduled_campaign_with_a_removed_name_is_flagged_and_pauses_at_its_start(
    admin_client, shop, make_campaign
):
    campaign = make_campaign(
        account=shop, sender="SHOP", state=State.SCHEDULED,
        start_at=timezone.now() + timezone.timedelta(hours=1),
    )  # fmt: skip
    remove(shop, "SHOP")

    listing = admin_client.get(reverse("campaigns:list"), **EN).content.decode()
    page = unescape(
        admin_client.get(
            reverse("campaigns:detail", args=[campaign.pk]), **EN
        ).content.decode()
    )
    campaign_start(campaign_id=campaign.pk)

    assert "data-sender-removed" in listing
    assert "sender name removed" in listing
    assert "The sender name “SHOP” was removed from this account" in page
    campaign.refresh_from_db()
    assert campaign.state == State.PAUSED
    assert "no longer usable on the account" in campaign.pause_message
    with pytest.raises(ApplicationError, match="was removed") as refused:
        campaign_resume(campaign=campaign)
    assert refused.value.where == "sender"


def test_a_name_recorded_again_is_usable_again(shop, make_campaign):
    campaign = make_campaign(account=shop, sender="SHOP")
    remove(shop, "SHOP")

    sender_name_record(account=shop, name="SHOP")

    assert sender_choices(account=shop) == ["SHOP"]
    assert Campaign.objects.get(pk=campaign.pk).sender == "SHOP"


def test_a_name_the_gateway_lists_again_is_usable_again(simulator):
    account = simulated_account(simulator, "smsc")
    simulator.state.accounts[("smsc", account.login)].senders["SHOP"] = "active"
    sender_names_sync(account=account)
    remove(account, "SHOP")  # deleted at SMSC too
    assert "SHOP" not in sender_choices(account=account)

    simulator.state.accounts[("smsc", account.login)].senders["SHOP"] = "active"
    sender_names_sync(account=account)

    assert "SHOP" in sender_choices(account=account)

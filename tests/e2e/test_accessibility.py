"""Keyboard and screen reader behaviour of the live pages: a refresh keeps focus where
the user left it."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from providers.models import ProviderAccount
from tests.campaigns.conftest import add_messages

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sending_campaign(transactional_db):
    """A campaign stuck in "sending" (no worker runs): its pages poll every 2 s."""
    account = ProviderAccount.objects.create(
        name="Webcom a11y", kind="webcom", base_url="http://127.0.0.1:9/webcom",
        login="l", password="p", default_sender="SHOP", tariff=Decimal("2.50"),
    )  # fmt: skip
    campaign = Campaign.objects.create(
        name="Распродажа", account=account, sender="SHOP", text="Hi",
        state=Campaign.State.SENDING, price_per_segment=Decimal("2.50"),
    )  # fmt: skip
    add_messages(campaign, ["pending"] * 3 + ["delivered"] * 2)
    return campaign


def _refreshed(page, path: str):
    return page.expect_response(lambda r: re.search(path, r.url) is not None)


def test_focus_stays_on_pause_across_a_refresh(admin_page, sending_campaign):
    page = admin_page
    page.goto(f"/campaigns/{sending_campaign.pk}/")
    pause = page.locator("[data-action=pause]")
    pause.focus()
    expect(pause).to_be_focused()
    with _refreshed(page, rf"/campaigns/{sending_campaign.pk}/progress/"):
        pass
    page.wait_for_timeout(300)  # the swap and its settling
    expect(page.locator("[data-action=pause]")).to_be_focused()


def test_focus_stays_on_the_campaign_list_across_a_refresh(
    admin_page, sending_campaign
):
    page = admin_page
    page.goto("/campaigns/")
    link = page.locator(f"#campaign-table a[href='/campaigns/{sending_campaign.pk}/']")
    link.focus()
    with _refreshed(page, r"/campaigns/(\?|$)"):
        pass
    page.wait_for_timeout(300)
    expect(link).to_be_focused()
    # A sort link has no id: it is found again by where it leads.
    sort = page.locator("#campaign-table thead a").first
    href = sort.get_attribute("href")
    sort.focus()
    with _refreshed(page, r"/campaigns/(\?|$)"):
        pass
    page.wait_for_timeout(300)
    expect(page.locator(f"#campaign-table thead a[href='{href}']")).to_be_focused()


def test_focus_stays_on_the_dashboard_in_flight_link(admin_page, sending_campaign):
    page = admin_page
    page.goto("/")
    link = page.locator("#in-flight-block a").first
    link.focus()
    with _refreshed(page, r"/in-flight"):
        pass
    page.wait_for_timeout(300)
    expect(page.locator("#in-flight-block a").first).to_be_focused()

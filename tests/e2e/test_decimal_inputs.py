"""Prices typed the Russian way in a real browser: "2,75" is 2.75, not 275."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.campaigns.gateway_accounts import simulated_account

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_price_with_a_decimal_comma_is_saved_as_written(
    admin_page, simulator, browser_problems
):
    """A number input dropped the comma in Chromium: 2,75 was saved as 275."""
    page = admin_page
    account = simulated_account(simulator, "smsc", name="Prices")

    page.goto(f"/providers/{account.pk}/edit/")
    page.locator("#id_tariff").fill("2,75")
    page.locator("#id_balance_alert").fill("1 500,5")
    page.get_by_role("button", name="Save", exact=True).click()

    page.wait_for_url(f"**/providers/{account.pk}/")
    account.refresh_from_db()
    assert (account.tariff, account.balance_alert) == (
        Decimal("2.75"),
        Decimal("1500.5"),
    )
    page.goto(f"/providers/{account.pk}/edit/")
    # Shown back as typed (the page is in English here: a decimal point).
    expect(page.locator("#id_tariff")).to_have_value("2.75")
    expect(page.locator("#id_balance_alert")).to_have_value("1500.50")
    browser_problems.assert_none("typing prices")

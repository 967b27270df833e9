"""The account page's "Check connection" (htmx) brings the whole page up to date:
the result panel, the balance and the "Last error" row, without a reload."""

import pytest
from playwright.sync_api import expect

from tests.campaigns.gateway_accounts import simulated_account

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_check_shows_and_clears_the_last_error_without_a_reload(
    admin_page, simulator
):
    account = simulated_account(simulator, "smsc", name="SMSC check e2e")
    password = account.password
    account.password = "wrong-password"
    account.save(update_fields=["password"])
    page = admin_page
    page.goto(f"/providers/{account.pk}/")
    page.evaluate("window.notReloaded = true")
    error = page.locator("#account-last-error")
    expect(error).to_be_hidden()

    page.get_by_role("button", name="Check connection").click()
    expect(page.locator("#check-result .alert-danger")).to_be_visible()
    expect(error).to_be_visible()
    account.refresh_from_db()
    expect(error).to_contain_text(account.last_error.split(":", 1)[0])
    expect(page.locator("#account-last-error-label")).to_be_visible()

    account.password = password
    account.save(update_fields=["password"])
    page.get_by_role("button", name="Check connection").click()
    expect(page.locator("#check-result .alert-success")).to_be_visible()
    expect(error).to_be_hidden()
    expect(page.locator("#account-last-error-label")).to_be_hidden()

    assert page.evaluate("window.notReloaded === true")


def test_the_signing_secret_is_offered_only_for_a_gateway_that_signs(admin_page):
    page = admin_page
    page.goto("/providers/new/")
    secret = page.locator(".js-gateway-callback-secret")
    kind = page.locator(".js-gateway-kind")

    expect(secret).to_be_hidden()  # no gateway chosen yet
    kind.select_option("smsc")
    expect(secret).to_be_visible()
    kind.select_option("websms")
    expect(secret).to_be_hidden()
    kind.select_option("smsc")
    page.locator("#id_new_callback_secret").fill("typed")
    kind.select_option("webcom")
    expect(secret).to_be_visible()  # never hidden while it holds something

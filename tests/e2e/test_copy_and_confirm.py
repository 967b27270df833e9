"""Copy buttons for callback URLs and a new API token, and revoking a token asks
first: in the browser, where the script behind them runs."""

import pytest
from playwright.sync_api import expect

from accounts.models import ApiToken
from accounts.services import api_token_create
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_callback_urls_show_whole_at_1280_px_and_copy(admin_page, context, simulator):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    account = simulated_account(simulator, "smsc", name="SMSC copy e2e")
    page = admin_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/providers/{account.pk}/")

    field = page.locator("#status-url")
    assert field.input_value() == account.callback_url
    # The whole URL is in view: nothing scrolled off either side or below.
    cut = field.evaluate(
        "el => el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight"
    )
    assert not cut
    button = page.locator('[data-copy-from="status-url"]')
    expect(button).to_be_visible()
    button.click()
    expect(button).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == account.callback_url


def test_revoking_a_token_asks_and_a_no_keeps_it(admin_page, context, e2e_admin):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = admin_page
    page.goto("/account/profile/")
    page.fill("#id_name", "CRM")
    page.get_by_role("button", name="Create token").click()
    raw = page.locator("#new-token").inner_text()
    page.locator('[data-copy-from="new-token"]').click()
    assert page.evaluate("navigator.clipboard.readText()") == raw

    # A page of its own that answers "no" (the fixture's page says yes to all).
    asking = context.new_page()
    questions = []

    def say_no(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    asking.on("dialog", say_no)
    asking.goto("/account/profile/")
    asking.get_by_role("button", name="Revoke").click()
    assert len(questions) == 1
    assert "CRM" in questions[0]
    token = ApiToken.objects.get(user=e2e_admin, name="CRM")
    assert token.revoked_at is None

    api_token_create(user=e2e_admin, name="other")  # the page still works after a no
    page.goto("/account/profile/")
    page.get_by_role("button", name="Revoke").first.click()  # the fixture says yes
    expect(page.locator(".alert-success")).to_be_visible()
    assert ApiToken.objects.filter(user=e2e_admin, revoked_at__isnull=False).exists()

"""Sender names on the account page: a name recorded by mistake is removed after a
confirmation (WEBSMS lists no names through its API: they are recorded by hand)."""

import pytest
from playwright.sync_api import expect

from providers.models import SenderName
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_recorded_name_is_removed_after_a_confirmation(admin_page, simulator):
    account = simulated_account(simulator, "websms", name="WEBSMS e2e")
    # Its own tab, without the fixture's "say yes to every dialog".
    page = admin_page.context.new_page()
    asked: list[str] = []
    answers = iter([False, True])

    def answer(dialog) -> None:
        asked.append(dialog.message)
        if next(answers):
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", answer)
    page.goto(f"/providers/{account.pk}/")
    page.get_by_role("link", name="Add a name approved in the cabinet").click()
    page.fill("#id_name", "MyShp")
    page.get_by_role("button", name="Add", exact=True).click()
    row = page.locator("main table tbody tr", has_text="MyShp")
    expect(row).to_be_visible()

    row.locator("[data-action=remove-sender]").click()  # "no"
    page.wait_for_timeout(300)  # nothing is posted: the page stays as it is
    kept = SenderName.objects.filter(account=account, name="MyShp").exists()
    row.locator("[data-action=remove-sender]").click()  # "yes"
    expect(page.locator(".alert-success")).to_contain_text("MyShp")

    assert kept
    assert len(asked) == 2
    assert all("MyShp" in message for message in asked)
    expect(row).to_have_count(0)
    assert not SenderName.objects.filter(account=account).exists()

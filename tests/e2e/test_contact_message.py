"""A message to one contact in the browser: from the contact's page, with the counter
following the chosen account's gateway, to the simulator and back into the history."""

import pytest
from playwright.sync_api import expect

from campaigns.models import Message
from contacts.models import Contact
from providers.models import SenderName
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_write_to_a_contact_from_its_page(admin_page, simulator, browser_problems):
    page = admin_page
    simulated_account(simulator, "webcom", name="A Webcom")
    websms = simulated_account(simulator, "websms", name="B WEBSMS")
    contact = Contact.objects.create(phone="+79120003001", first_name="Ольга")

    page.goto(f"/contacts/{contact.pk}/")
    page.locator("[data-action=write]").click()
    counter = page.locator("[data-segment-counter]")
    expect(counter).to_have_attribute("data-table", "standard")
    SenderName.objects.create(account=websms, name="B-SHOP", usable=True)
    page.reload()
    expect(page.locator("#id_sender option")).to_have_text(["SMSPORTAL"])
    page.select_option("#id_account", label="B WEBSMS")
    expect(counter).to_have_attribute("data-table", "websms")
    expect(page.locator("#id_sender option")).to_have_text(["SMSPORTAL", "B-SHOP"])
    page.locator("#id_text").press_sequentially("{first_name}, заказ готов")
    expect(counter.locator("[data-sc-encoding=ucs2]")).to_be_visible()
    page.get_by_role("button", name="Send").click()

    page.wait_for_url(f"**/contacts/{contact.pk}/")
    expect(page.get_by_text("Message sent to +79120003001")).to_be_visible()
    history = page.locator("#contact-messages")
    expect(history.get_by_text("Ольга, заказ готов")).to_be_visible()
    expect(history.get_by_text("one-off")).to_be_visible()
    message = Message.objects.get()
    assert (message.account_id, message.campaign_id) == (websms.pk, None)
    assert [(s.phone, s.text) for s in simulator.state.submissions] == [
        ("79120003001", "Ольга, заказ готов")
    ]
    browser_problems.assert_none("writing to a contact")

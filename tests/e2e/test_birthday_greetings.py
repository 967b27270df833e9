"""A birthday greeting made in the browser: the whole book hides the groups, the sender
select follows the account, and a refused form keeps what was typed."""

import pytest
from playwright.sync_api import expect

from campaigns.models import BirthdayGreeting
from contacts.models import ContactGroup
from providers.models import SenderName

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_make_a_birthday_greeting(admin_page, gateway_account, browser_problems):
    page = admin_page
    ContactGroup.objects.create(name="Клиенты")
    SenderName.objects.create(account=gateway_account, name="SHOP", usable=True)

    page.goto("/campaigns/")
    page.get_by_role("link", name="Birthday greetings").click()
    page.get_by_role("link", name="New greeting").click()
    # The account's default sender first, then its approved names.
    expect(page.locator("#id_sender option")).to_have_text(["SMSPORTAL", "SHOP"])
    page.select_option("#id_sender", "SHOP")
    page.fill("#id_name", "Именинники")
    page.fill("#id_text", "{first_name}, с днём рождения!")
    page.fill("#id_send_time", "22:00")
    page.get_by_role("button", name="Save").click()

    # Refused twice over (no groups, too late), with the text kept.
    expect(page.locator("[data-error-for=include_groups]")).to_contain_text(
        "Choose the groups to greet"
    )
    expect(page.locator("[data-error-for=send_time]")).to_contain_text("before 21:00")
    expect(page.locator("#id_text")).to_have_value("{first_name}, с днём рождения!")
    # The refusal is the form with its errors (200): Chromium logs nothing.
    browser_problems.assert_none("after the refusal")

    page.check("#id_to_whole_book")
    expect(page.locator("[data-include-groups]")).to_be_hidden()
    page.fill("#id_send_time", "10:30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Greeting “Именинники” saved.")).to_be_visible()
    expect(page.get_by_role("link", name="Именинники")).to_be_visible()

    greeting = BirthdayGreeting.objects.get()
    assert (greeting.sender, greeting.to_whole_book) == ("SHOP", True)
    assert greeting.send_time.strftime("%H:%M") == "10:30"
    browser_problems.assert_none("making a birthday greeting")

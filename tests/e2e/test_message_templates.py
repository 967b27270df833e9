"""Templates in the browser: the composer starts a text from one (asking before it
replaces typed text), and "Save as a template" carries the typed text to the form."""

import pytest
from playwright.sync_api import expect

from campaigns.models import BirthdayGreeting, MessageTemplate
from contacts.models import CustomField
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_start_a_text_from_a_template_and_save_one(
    admin_page, gateway_account, browser_problems
):
    page = admin_page
    MessageTemplate.objects.create(name="Скидка", text="{first_name}, скидка 20%!")

    page.goto("/campaigns/new/")
    text = page.locator("#id_text")
    # The message text's counter (a Viber text has its own).
    counter = page.locator("[data-segment-counter]:not([data-characters-only])")
    page.locator(".js-insert-template").select_option(label="Скидка")
    expect(text).to_have_value("{first_name}, скидка 20%!")
    expect(counter.locator("[data-sc-encoding=ucs2]")).to_be_visible()

    # Typed text is replaced only once the user agrees (the page's confirm() says
    # no, then yes: the fixture's dialog handler would always say yes).
    text.fill("Hello")
    page.evaluate("window.confirm = () => false")
    page.locator(".js-insert-template").select_option(label="Скидка")
    expect(text).to_have_value("Hello")
    page.evaluate("window.confirm = () => true")
    page.locator(".js-insert-template").select_option(label="Скидка")
    expect(text).to_have_value("{first_name}, скидка 20%!")

    text.fill("Код {first_name}")
    with page.context.expect_page() as opened:
        page.locator(".js-save-template").click()
    form = opened.value
    form.wait_for_load_state()
    expect(form.locator("#id_text")).to_have_value("Код {first_name}")
    form.fill("#id_name", "Код")
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_text("Template “Код” saved.")).to_be_visible()
    assert MessageTemplate.objects.get(name="Код").text == "Код {first_name}"
    browser_problems.assert_none("using templates")


def test_save_as_a_template_after_signing_in_again_in_another_tab(
    admin_page, e2e_admin, gateway_account, browser_problems
):
    """A sign-in elsewhere gives a new CSRF token: the composer opened before it
    still carries its text to the template form (sending the cookie's current token,
    as every other form does), not Django's 403."""
    page = admin_page
    page.goto("/campaigns/new/")

    other = page.context.new_page()
    other.goto("/")
    other.get_by_role("button", name=e2e_admin.username).click()
    other.get_by_role("button", name="Log out").click()
    other.wait_for_url(lambda url: "/login/" in url)
    log_in(other, e2e_admin.username)
    other.close()
    page.locator("#id_text").fill("Код {first_name}")
    with page.context.expect_page() as opened:
        page.locator(".js-save-template").click()
    form = opened.value
    form.wait_for_load_state()
    expect(form.locator("#id_text")).to_have_value("Код {first_name}")
    browser_problems.assert_none("saving a template after a new sign-in")


def test_placeholder_buttons_on_a_template_and_a_greeting(
    admin_page, gateway_account, browser_problems
):
    """The composer's insert buttons are on the template and greeting forms too, the
    custom fields among them; and a text whose cursor was never placed gets the
    placeholder at its end, where it put it in front of the first word."""
    page = admin_page
    CustomField.objects.create(key="city", label="Город")
    template = MessageTemplate.objects.create(name="Скидка", text="Скидка 20%!")

    page.goto(f"/campaigns/templates/{template.pk}/")
    text = page.locator("#id_text")
    page.locator("[data-insert-placeholder=first_name]").click()
    expect(text).to_have_value("Скидка 20%!{first_name}")
    text.click()
    page.keyboard.press("Control+Home")
    page.locator("[data-insert-placeholder=city]").click()
    expect(text).to_have_value("{city}Скидка 20%!{first_name}")

    greeting = BirthdayGreeting.objects.create(
        name="Именинники", account=gateway_account, text="С днём рождения!",
        to_whole_book=True, time_zone="Europe/Moscow",
    )  # fmt: skip
    page.goto(f"/campaigns/greetings/{greeting.pk}/")
    page.locator("[data-insert-placeholder=city]").click()
    expect(text).to_have_value("С днём рождения!{city}")
    browser_problems.assert_none("inserting placeholders")

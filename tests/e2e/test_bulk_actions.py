"""The contact list's bulk actions: nothing chosen goes straight to the server's
message, without first asking to confirm an action on nobody; otherwise the question
names the action and how many contacts it takes."""

import pytest
from playwright.sync_api import expect

from contacts.models import Contact

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_apply_with_nothing_chosen_asks_nothing(admin_page, browser_problems):
    page = admin_page
    Contact.objects.create(phone="+79161234567", last_name="Иванов")
    asked = []
    page.on("dialog", lambda dialog: asked.append(dialog.message))

    page.goto("/contacts/")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".alert")).to_have_text(
        ["Choose an action.", "Select at least one contact."]
    )
    page.select_option("select[name=action]", "opt_out")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".alert")).to_contain_text("Select at least one contact.")
    assert asked == []

    page.select_option("select[name=action]", "opt_out")
    page.locator(".js-select-row").first.check()
    page.get_by_role("button", name="Apply").click()  # now it asks (and is told yes)
    expect(page.locator(".alert")).to_contain_text("Done: 1 contacts.")
    assert asked == ["Add the selected contacts (1) to the stop list?"]
    browser_problems.assert_none("applying bulk actions")


def test_deleting_every_matching_contact_asks_naming_the_count(
    admin_page, browser_problems
):
    page = admin_page
    for n, name in enumerate(["Иванов", "Иванова", "Петров"]):
        Contact.objects.create(phone=f"+7916123456{n}", last_name=name)
    asked = []
    page.on("dialog", lambda dialog: asked.append(dialog.message))

    page.goto("/contacts/?q=иванов")
    page.select_option("select[name=action]", "delete")
    page.locator("#select-all-matching").check()
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".alert")).to_contain_text("Done: 2 contacts.")
    assert asked == ["Delete 2 contacts, every one matching the filter?"]

    page.goto("/contacts/")
    page.select_option("select[name=action]", "delete")
    page.locator("#select-all-matching").check()
    page.get_by_role("button", name="Apply").click()
    assert asked[-1] == "Delete the whole book, 1 contact?"
    assert list(Contact.objects.values_list("last_name", flat=True)) == []
    browser_problems.assert_none("deleting every matching contact")

"""From a group to a campaign in the browser: the groups page's "New campaign" opens the
composer with the group chosen and its audience counted at once."""

import pytest
from playwright.sync_api import expect

from contacts.models import Contact, ContactGroup, GroupMembership

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def group_of(name: str, size: int, prefix: str) -> ContactGroup:
    """A group of `size` contacts whose numbers start with `prefix`."""
    group = ContactGroup.objects.create(name=name)
    contacts = Contact.objects.bulk_create(
        Contact(phone=f"{prefix}{i:04d}", first_name=f"Имя{i}") for i in range(size)
    )
    GroupMembership.objects.bulk_create(
        GroupMembership(contact=c, group=group) for c in contacts
    )
    return group


def test_new_campaign_from_a_group(admin_page, gateway_account, browser_problems):
    page = admin_page
    group_of("Постоянные", 3, "+7912000")

    page.goto("/contacts/groups/")
    page.get_by_role("row", name="Постоянные").locator(
        "[data-action=new-campaign]"
    ).click()

    page.wait_for_url("**/campaigns/new/?group=*")
    expect(page.locator("#id_include_groups option:checked")).to_have_text("Постоянные")
    expect(page.locator('[data-preview="total"]')).to_have_text("3")
    browser_problems.assert_none("opening the composer from a group")


def test_on_a_phone_the_sum_shows_by_the_save_button(
    admin_page, gateway_account, browser_problems
):
    """The preview comes below the whole form on a narrow screen: its line by the
    Save button says the count and the cost, and a wide screen does not repeat it."""
    page = admin_page
    group = group_of("Телефон", 2, "+7912100")
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"/campaigns/new/?group={group.pk}")

    summary = page.locator("#campaign-cost-summary")
    expect(summary).to_contain_text("2 recipients", timeout=15000)
    expect(summary.get_by_role("link")).to_have_attribute("href", "#campaign-preview")
    expect(summary).to_be_visible()
    page.set_viewport_size({"width": 1400, "height": 900})
    expect(summary).to_be_hidden()
    browser_problems.assert_none("the sum by the Save button")

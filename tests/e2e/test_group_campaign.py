"""From a group to a campaign in the browser: the groups page's "New campaign" opens the
composer with the group chosen and its audience counted at once."""

import pytest
from playwright.sync_api import expect

from contacts.models import Contact, ContactGroup, GroupMembership

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_new_campaign_from_a_group(admin_page, gateway_account, browser_problems):
    page = admin_page
    group = ContactGroup.objects.create(name="Постоянные")
    contacts = Contact.objects.bulk_create(
        Contact(phone=f"+7912000{i:04d}", first_name=f"Имя{i}") for i in range(3)
    )
    GroupMembership.objects.bulk_create(
        GroupMembership(contact=c, group=group) for c in contacts
    )

    page.goto("/contacts/groups/")
    page.get_by_role("row", name="Постоянные").locator(
        "[data-action=new-campaign]"
    ).click()

    page.wait_for_url("**/campaigns/new/?group=*")
    expect(page.locator("#id_include_groups option:checked")).to_have_text("Постоянные")
    expect(page.locator('[data-preview="total"]')).to_have_text("3")
    browser_problems.assert_none("opening the composer from a group")

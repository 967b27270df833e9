"""A save refused over a newer version, in the browser: the page says what changed,
"Load the current values" puts it in the form with the typing kept, and saving
again keeps both people's changes; the same in the admin."""

import pytest
from playwright.sync_api import expect

from contacts import services
from contacts.models import Contact, ContactGroup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_refused_contact_save_loads_their_change_keeping_the_typing(
    admin_page, browser_problems, shoot
):
    page = admin_page
    contact = Contact.objects.create(phone="+79120000001", first_name="Ivan")
    page.goto(f"/contacts/{contact.pk}/edit/")
    page.fill("#id_last_name", "Typed in the browser")
    # Someone else renames the contact meanwhile.
    services.contact_update(
        contact=Contact.objects.get(pk=contact.pk), first_name="Pyotr"
    )

    page.locator("main").get_by_role("button", name="Save").click()

    conflict = page.locator("[data-version-conflict]")
    expect(conflict.get_by_role("row", name="First name Ivan Pyotr —")).to_be_visible()
    expect(page.locator("#id_last_name")).to_have_value("Typed in the browser")
    shoot(page, "stale-contact-refused")
    conflict.get_by_role("button", name="Load the current values").click()
    expect(page.locator("#id_first_name")).to_have_value("Pyotr")
    expect(page.locator("#id_last_name")).to_have_value("Typed in the browser")
    shoot(page, "stale-contact-loaded")
    page.locator("main").get_by_role("button", name="Save").click()
    expect(page.get_by_text("Contact saved.")).to_be_visible()
    contact.refresh_from_db()
    assert (contact.first_name, contact.last_name) == ("Pyotr", "Typed in the browser")
    browser_problems.assert_none("a refused contact save")


def test_a_refused_admin_save_loads_their_change_keeping_the_typing(
    admin_page, browser_problems, shoot
):
    page = admin_page
    group = ContactGroup.objects.create(name="Clients", description="Old")
    page.goto(f"/admin/contacts/contactgroup/{group.pk}/change/")
    page.fill("#id_name", "Clients by A")
    services.group_update(group=ContactGroup.objects.get(pk=group.pk), description="B")

    page.get_by_role("button", name="Save", exact=True).click()

    conflict = page.locator("[data-version-conflict]")
    expect(conflict.get_by_role("row", name="Description Old B —")).to_be_visible()
    shoot(page, "stale-admin-refused")
    conflict.get_by_role("button", name="Load the current values").click()
    expect(page.locator("#id_description")).to_have_value("B")
    expect(page.locator("#id_name")).to_have_value("Clients by A")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/contactgroup/")
    group.refresh_from_db()
    assert (group.name, group.description) == ("Clients by A", "B")
    browser_problems.assert_none("a refused admin save")


def test_enter_in_a_refused_form_saves_as_everywhere(admin_page, browser_problems):
    page = admin_page
    contact = Contact.objects.create(phone="+79120000002", first_name="Ivan")
    page.goto(f"/contacts/{contact.pk}/edit/")
    page.fill("#id_last_name", "Typed in the browser")
    services.contact_update(
        contact=Contact.objects.get(pk=contact.pk), first_name="Pyotr"
    )
    page.locator("main").get_by_role("button", name="Save").click()
    expect(page.locator("[data-version-conflict]")).to_be_visible()

    # Enter in a field of the refused form: the form's Save, not "Load the current
    # values" (the first visible button in it).
    with page.expect_request(lambda r: r.method == "POST") as posted:
        page.locator("#id_last_name").press("Enter")
    assert "reload_current" not in (posted.value.post_data or "")
    page.wait_for_load_state()
    # Saved at the version it was opened at: refused again, their change not loaded.
    expect(page.get_by_role("button", name="Load the current values")).to_be_visible()
    expect(page.get_by_text("The form now holds the record as it is")).to_have_count(0)
    expect(page.locator("#id_first_name")).to_have_value("Ivan")
    browser_problems.assert_none("Enter in a refused form")

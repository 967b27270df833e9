"""A long value without spaces wraps instead of widening the page."""

import pytest

from contacts.models import Contact, ContactGroup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LONG = "https://example.ru/landing?utm_source=" + "x" * 300


def _page_width(page) -> tuple[int, int]:
    return page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )


def test_long_values_wrap_on_the_contact_page_and_in_tables(admin_page):
    page = admin_page
    contact = Contact.objects.create(
        phone="+79123456789", last_name="Я" * 100, consent_source=LONG[:200],
        attributes={"note": LONG},
    )  # fmt: skip
    ContactGroup.objects.create(name="G" * 100)

    page.goto(f"/contacts/{contact.pk}/")
    scroll, client = _page_width(page)
    assert scroll <= client, f"the contact page is {scroll}px wide in {client}px"
    for path in ("/contacts/", "/contacts/groups/"):
        page.goto(path)
        scroll, client = _page_width(page)
        assert scroll <= client, f"{path} is {scroll}px wide in {client}px"


def test_a_long_group_name_wraps_in_its_cell_on_a_phone(admin_page):
    # Inside the table's own scrolling box it stretched the table to 1,580 px.
    ContactGroup.objects.create(name="Г" * 100)
    page = admin_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/contacts/groups/")
    cell = page.locator("main table tbody td", has_text="ГГГГ").first
    assert cell.evaluate("el => el.getBoundingClientRect().width") < 390

"""A list of checkboxes (the groups) is a box and a name a row, and does not cover the
controls after it: Bootstrap's box class on the list's own div drew it as one 1em box
with a letter per line."""

import pytest

from contacts.models import ContactGroup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAMES = ["Клиенты", "Постоянные покупатели", "G" * 100]


def _assert_rows_clear_of(page, list_selector: str, after_selector: str) -> None:
    inputs = page.locator(f"{list_selector} input")
    assert inputs.count() == len(NAMES)
    labels = []
    for index in range(inputs.count()):
        box = inputs.nth(index).bounding_box()
        box_id = inputs.nth(index).get_attribute("id")
        label = page.locator(f"label[for='{box_id}']").bounding_box()
        labels.append(label)
        # The name beside its box, a line high (a short name) and not a letter wide.
        assert label["x"] >= box["x"] + box["width"] - 1
        assert label["width"] > 3 * box["width"], label
    shown = page.locator(list_selector).bounding_box()
    after = page.locator(after_selector).bounding_box()
    assert shown["y"] + shown["height"] <= after["y"] + 1, (shown, after)
    assert labels[-1]["y"] + labels[-1]["height"] <= after["y"] + 1


def test_groups_on_the_contact_form_do_not_cover_the_next_field(admin_page):
    for name in NAMES:
        ContactGroup.objects.create(name=name)
    page = admin_page
    page.goto("/contacts/new/")
    # The groups' fieldset is followed by the form's button row or next field.
    following = page.locator("#id_groups").locator(
        "xpath=ancestor::fieldset[1]/following::*[self::input or self::button or "
        "self::select or self::textarea][1]"
    )
    following.evaluate("e => e.setAttribute('data-after', '1')")
    _assert_rows_clear_of(page, "#id_groups", "[data-after]")


def test_groups_on_the_import_mapping_step_do_not_cover_the_next_field(admin_page):
    for name in NAMES:
        ContactGroup.objects.create(name=name)
    page = admin_page
    page.goto("/contacts/import/")
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": "book.csv",
                "mimeType": "text/csv",
                "buffer": "Телефон;Имя\n89123456789;Иван\n".encode(),
            }
        ],
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url("**/contacts/import/*/columns/**")
    _assert_rows_clear_of(page, "#id_groups", "#id_update")

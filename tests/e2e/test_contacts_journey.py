"""Contacts in the browser: create a group, import a windows-1251 CSV through the
wizard (the real worker runs the import), read its report and the rejected rows."""

import csv
import io

import pytest
from playwright.sync_api import expect

from contacts.models import Contact, ContactGroup, StopListEntry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# What Excel saves in Russia: windows-1251, semicolons, Russian headers.
CSV_ROWS = [
    "Телефон;Фамилия;Имя;Электронная почта",
    "+7 (912) 000-10-01;Иванов;Иван;ivan@example.ru",  # created
    "89120001002;Петрова;Мария;",  # created
    "8 912 000-10-03;Сидоров;Пётр;",  # created
    "8 (912) 000-10-01;Иванов;Иван;",  # duplicate of the first row
    "12345;Ошибкин;Номер;",  # invalid phone
    "+79120001004;Стопов;Стоп;",  # on the stop list already
    "+79120001005;Старый;Контакт;",  # in the book already, only added to the group
]
CSV_BYTES = ("\r\n".join(CSV_ROWS) + "\r\n").encode("cp1251")


def test_create_a_group_and_import_a_windows_1251_csv(
    admin_page, real_worker, browser_problems, shoot
):
    page = admin_page
    Contact.objects.create(
        phone="+79120001005", last_name="Старый", first_name="Контакт"
    )
    StopListEntry.objects.create(phone="+79120001004", reason="asked by phone")

    # A group, through its form.
    page.goto("/contacts/groups/")
    page.get_by_role("link", name="New group").click()
    page.fill("#id_name", "Клиенты из Excel")
    page.locator("main").get_by_role("button", name="Save").click()
    expect(page.get_by_text("Group saved.")).to_be_visible()
    expect(page.get_by_role("cell", name="Клиенты из Excel")).to_be_visible()
    shoot(page, "groups")
    browser_problems.assert_none("creating a group")
    group = ContactGroup.objects.get(name="Клиенты из Excel")

    # Step 1: upload.
    page.goto("/contacts/import/")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "клиенты.csv", "mimeType": "text/csv", "buffer": CSV_BYTES}],
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url("**/contacts/import/*/columns/**")

    # Step 2: the reader guessed windows-1251, ';' and a header row; columns mapped.
    expect(page.locator("#id_encoding")).to_have_value("cp1251")
    expect(page.locator("#id_delimiter")).to_have_value(";")
    expect(page.locator("#id_header")).to_be_checked()
    expect(page.get_by_role("cell", name="Петрова")).to_be_visible()
    for column, field in enumerate(["phone", "last_name", "first_name", "email"]):
        expect(page.locator(f"select[name=col_{column}]")).to_have_value(field)
    page.get_by_label("Клиенты из Excel").check()
    shoot(page, "import-columns")
    browser_problems.assert_none("on the import's column page")
    page.get_by_role("button", name="Start the import").click()

    # Step 3: the worker imports; the page polls until the report shows.
    page.wait_for_url("**/contacts/import/*/")
    expect(page.locator("[data-status=done]")).to_be_visible(timeout=30_000)
    # A heading's first line: the stop list's has a note under it.
    report = {
        row.locator("th").inner_text().strip().split("\n")[0]: row.locator("td")
        .inner_text()
        .strip()
        for row in page.locator("#import-progress table tr").all()
    }
    assert report == {
        "Data rows in the file": "7",
        "Created": "3",
        "Updated": "0",
        # The contact in the book already joined the group, and is counted so.
        "Already there, added to groups": "1",
        "Already there, unchanged": "0",
        "Duplicates within the file": "1",
        "Invalid": "1",
        "Number on the stop list": "1",
    }
    shoot(page, "import-report")
    browser_problems.assert_none("on the import report")

    # The rows that did not go in, with their reasons.
    with page.expect_download() as download_info:
        page.get_by_role(
            "link", name="Download the rows that were not imported"
        ).click()
    # Back as the file came: windows-1251 with ";".
    rejected = download_info.value.path().read_bytes().decode("cp1251")
    rows = list(csv.reader(io.StringIO(rejected), delimiter=";"))
    rejected_text = "\n".join(";".join(r) for r in rows)
    assert "12345" in rejected_text
    assert "+79120001004" in rejected_text or "79120001004" in rejected_text
    assert "8 (912) 000-10-01" in rejected_text
    assert len(rows) == 1 + 3, rows  # a header and the three rejected rows

    # The contacts are in the book and in the group.
    page.get_by_role("link", name="Go to the contacts").click()
    page.wait_for_url("**/contacts/")
    for name in ("Иванов", "Петрова", "Сидоров"):
        expect(page.get_by_text(name).first).to_be_visible()
    shoot(page, "contacts")
    browser_problems.assert_none("on the contact list")
    members = set(group.contacts.values_list("phone", flat=True))
    assert {"+79120001001", "+79120001002", "+79120001003"} <= members
    assert "+79120001004" not in members
    ivanov = Contact.objects.get(phone="+79120001001")
    assert (ivanov.last_name, ivanov.first_name, ivanov.email) == (
        "Иванов",
        "Иван",
        "ivan@example.ru",
    )


def test_a_number_leaves_the_stop_list_only_when_the_user_confirms(
    admin_page, browser_problems
):
    """One click took a number off the stop list: the next campaign messaged it."""
    page = admin_page
    StopListEntry.objects.create(phone="+79120001004", reason="asked by phone")
    page.goto("/contacts/stop-list/")
    name = "Remove +79120001004 from the stop list"

    # The user answers "Cancel" (the page's other dialogs are accepted).
    page.evaluate("window.confirm = (m) => { window.asked = m; return false; }")
    page.get_by_role("button", name=name).click()
    page.wait_for_timeout(300)  # a dismissed confirm posts nothing
    asked = page.evaluate("window.asked")
    kept = StopListEntry.objects.filter(phone="+79120001004").exists()
    page.reload()
    page.get_by_role("button", name=name).click()  # and now "OK"
    expect(page.get_by_role("button", name=name)).to_have_count(0)

    assert asked == (
        "Take +79120001004 off the stop list? Campaigns will message this number again."
    )
    assert kept
    assert not StopListEntry.objects.exists()
    browser_problems.assert_none("on the stop list")

"""Logging in, and a tour of the main pages: each renders without a server error or a
browser console error (the CSP refuses inline scripts), and leaves a screenshot."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_log_in_with_a_wrong_then_the_right_password(
    page, e2e_admin, browser_problems, shoot
):
    page.goto("/contacts/")
    page.wait_for_url("**/login/?next=/contacts/")
    expect(page.locator("#id_username")).to_be_focused()
    shoot(page, "login")
    page.fill("#id_username", e2e_admin.username)
    page.fill("#id_password", "not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("main .alert-danger")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login/"))

    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/contacts/")
    expect(page.locator("nav")).to_contain_text(e2e_admin.username)
    browser_problems.assert_none("logging in")

    # Both attempts are in the audit log, which an Admin can read and filter.
    page.goto("/account/audit/")
    page.select_option("#id_action", "login_failed")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(e2e_admin.username)
    page.select_option("#id_action", "login")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    page.goto("/account/audit/")
    shoot(page, "audit-log")
    browser_problems.assert_none("on the audit log")

    # Logging out from the user menu.
    page.locator("nav").get_by_role("button", name=e2e_admin.username).click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")


# (path, screenshot name, text the page must show)
PAGES = [
    ("/", "dashboard-empty", "Dashboard"),
    ("/contacts/", "contacts-empty", "Contacts"),
    ("/contacts/new/", "contact-form", "Phone"),
    ("/contacts/groups/", "groups-empty", "Groups"),
    ("/contacts/stop-list/", "stop-list-empty", "Stop list"),
    ("/contacts/import/", "import-upload", "Import contacts"),
    ("/contacts/stop-list/import/", "stop-list-import", "Import into the stop list"),
    ("/contacts/fields/", "custom-fields", "field"),
    ("/campaigns/", "campaigns", "Campaigns"),
    ("/campaigns/new/", "composer-empty", "New campaign"),
    ("/campaigns/greetings/", "greetings-empty", "Birthday greetings"),
    ("/campaigns/greetings/new/", "greeting-form", "New greeting"),
    ("/campaigns/inbox/", "inbox-empty", "Inbox"),
    ("/campaigns/stop-list-sync/", "stop-list-sync", "Stop list"),
    ("/providers/", "providers", "Provider"),
    ("/providers/new/", "provider-form", "Provider"),
    ("/account/profile/", "profile", "API"),
    ("/account/audit/", "audit-log-empty", "Audit log"),
    ("/admin/", "admin", "Site administration"),
]


def test_main_pages_render_cleanly(
    admin_page, gateway_account, browser_problems, shoot
):
    """Every page is visited even when one fails; the failure lists them all."""
    page = admin_page
    failures = []
    for path, name, text in PAGES:
        response = page.goto(path)
        page.wait_for_load_state("networkidle")
        problems = browser_problems.take()
        if response.status != 200:
            problems.insert(0, f"answered {response.status}")
        if text.casefold() not in page.locator("main").inner_text().casefold():
            problems.append(f"does not show {text!r}")
        shoot(page, name)
        failures += [f"{path}: {problem}" for problem in problems]
    assert not failures, "\n".join(failures)

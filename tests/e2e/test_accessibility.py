"""Keyboard and screen reader behaviour of the live pages: a refresh keeps focus where
the user left it, and what changed is announced in one short line."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from contacts.models import Contact, ContactGroup, GroupMembership
from providers.models import ProviderAccount
from tests.campaigns.conftest import add_messages

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sending_campaign(transactional_db):
    """A campaign stuck in "sending" (no worker runs): its pages poll every 2 s."""
    account = ProviderAccount.objects.create(
        name="Webcom a11y", kind="webcom", base_url="http://127.0.0.1:9/webcom",
        login="l", password="p", default_sender="SHOP", tariff=Decimal("2.50"),
    )  # fmt: skip
    campaign = Campaign.objects.create(
        name="Распродажа", account=account, sender="SHOP", text="Hi",
        state=Campaign.State.SENDING, price_per_segment=Decimal("2.50"),
    )  # fmt: skip
    add_messages(campaign, ["pending"] * 3 + ["delivered"] * 2)
    return campaign


def _refreshed(page, path: str):
    return page.expect_response(lambda r: re.search(path, r.url) is not None)


def test_focus_stays_on_pause_across_a_refresh(admin_page, sending_campaign):
    page = admin_page
    page.goto(f"/campaigns/{sending_campaign.pk}/")
    pause = page.locator("[data-action=pause]")
    pause.focus()
    expect(pause).to_be_focused()
    with _refreshed(page, rf"/campaigns/{sending_campaign.pk}/progress/"):
        pass
    page.wait_for_timeout(300)  # the swap and its settling
    expect(page.locator("[data-action=pause]")).to_be_focused()


def test_focus_stays_on_the_campaign_list_across_a_refresh(
    admin_page, sending_campaign
):
    page = admin_page
    page.goto("/campaigns/")
    link = page.locator(f"#campaign-table a[href='/campaigns/{sending_campaign.pk}/']")
    link.focus()
    with _refreshed(page, r"/campaigns/(\?|$)"):
        pass
    page.wait_for_timeout(300)
    expect(link).to_be_focused()
    # A sort link has no id: it is found again by where it leads.
    sort = page.locator("#campaign-table thead a").first
    href = sort.get_attribute("href")
    sort.focus()
    with _refreshed(page, r"/campaigns/(\?|$)"):
        pass
    page.wait_for_timeout(300)
    expect(page.locator(f"#campaign-table thead a[href='{href}']")).to_be_focused()


def test_focus_stays_on_the_dashboard_in_flight_link(admin_page, sending_campaign):
    page = admin_page
    page.goto("/")
    link = page.locator("#in-flight-block a").first
    link.focus()
    with _refreshed(page, r"/in-flight"):
        pass
    page.wait_for_timeout(300)
    expect(page.locator("#in-flight-block a").first).to_be_focused()


def test_a_change_of_state_is_announced_in_one_line(admin_page, sending_campaign):
    page = admin_page
    page.goto(f"/campaigns/{sending_campaign.pk}/")
    status = page.locator("#campaign-progress-status")
    expect(status).to_have_attribute("aria-live", "polite")
    page.wait_for_timeout(2500)  # a refresh with nothing new says nothing
    expect(status).to_have_text("")

    Campaign.objects.filter(pk=sending_campaign.pk).update(state=Campaign.State.PAUSED)
    expect(status).to_have_text("Paused. 40% processed")
    # Said once, then taken out: browse mode does not read it beside the page.
    expect(status).to_have_text("", timeout=12_000)
    expect(
        page.locator("[data-announce='campaign-progress-status']")
    ).to_have_attribute("aria-hidden", "true")
    # Only the line is live, not the block with its table.
    expect(page.locator("#campaign-progress")).not_to_have_attribute(
        "aria-live", "polite"
    )


def test_the_composer_announces_the_audience_it_counted(admin_page, gateway_account):
    group = ContactGroup.objects.create(name="Постоянные")
    contacts = Contact.objects.bulk_create(
        Contact(phone=f"+7912000{i:04d}", first_name=f"Имя{i}") for i in range(3)
    )
    GroupMembership.objects.bulk_create(
        GroupMembership(contact=c, group=group) for c in contacts
    )
    page = admin_page
    page.goto("/campaigns/new/")
    page.fill("#id_text", "Привет")
    page.select_option("#id_include_groups", label="Постоянные")
    expect(page.locator("#campaign-preview-status")).to_contain_text("3 recipients")
    expect(page.locator("#campaign-preview")).not_to_have_attribute("aria-busy", "true")


def test_a_form_sent_back_with_errors_focuses_its_summary(admin_page, gateway_account):
    page = admin_page
    page.goto("/campaigns/new/")
    page.fill("#id_name", "")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    summary.locator("[data-error-link=text]").click()
    expect(page.locator("#id_text")).to_be_focused()


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(admin_page):
    page = admin_page
    page.goto("/campaigns/")
    page.keyboard.press("Tab")
    skip = page.locator("[data-skip-link]")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()


def test_arrow_keys_on_the_language_select_do_not_leave_the_page(admin_page):
    page = admin_page
    page.goto("/campaigns/")
    select = page.locator(".language-switcher select")
    select.focus()
    before = select.input_value()
    page.keyboard.press("ArrowUp" if before == "en" else "ArrowDown")
    page.wait_for_timeout(500)
    expect(select).not_to_have_value(before)  # changed, and still here
    expect(page).to_have_url(re.compile(r"/campaigns/$"))
    expect(select).to_be_focused()
    # The button beside it applies the choice.
    page.keyboard.press("Tab")
    apply = page.locator("[data-language-apply]")
    expect(apply).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("html")).not_to_have_attribute("lang", before)


def test_a_login_sent_empty_says_which_field_is_missing(page, e2e_admin):
    """Sent with nothing typed, the login page came back as it was: the fields'
    errors were never drawn, so nobody learnt why nothing happened."""
    page.goto("/login/")
    page.fill("#id_username", e2e_admin.username)
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    password = page.get_by_role("textbox", name="Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    error = page.locator("#id_password_error")
    expect(error).to_have_text("This field is required.")
    expect(password).to_have_attribute("aria-describedby", "id_password_error")
    # The first field in error takes the cursor, not the username the user typed.
    expect(password).to_be_focused()
    expect(page.locator("#id_username")).to_have_value(e2e_admin.username)
    expect(page.locator("#id_username")).not_to_have_attribute("aria-invalid", "true")


def test_a_wrong_password_is_announced_and_tied_to_the_fields(page, e2e_admin):
    """The "wrong user name or password" box was a plain div: a screen reader, put
    back in the user name field, said nothing of it."""
    page.goto("/login/")
    page.fill("#id_username", e2e_admin.username)
    page.fill("#id_password", "not-the-password")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Please enter a correct username and password")
    for field in ("#id_username", "#id_password"):
        expect(page.locator(field)).to_have_attribute("aria-invalid", "true")
        expect(page.locator(field)).to_have_attribute("aria-describedby", "login-error")
    expect(alert).to_have_attribute("id", "login-error")


def test_the_segment_counter_speaks_when_the_parts_change_not_at_each_key(
    admin_page, gateway_account
):
    """The whole counter was a live region: each key pressed in the text had a screen
    reader read out the characters and the room left. It now says the parts and the
    encoding when they change, once."""
    page = admin_page
    page.goto("/campaigns/new/")
    counter = page.locator("[data-segment-counter]:not([data-characters-only])")
    expect(counter).not_to_have_attribute("aria-live", "polite")
    said = counter.locator("[data-sc-announce]")
    expect(said).to_have_attribute("role", "status")
    # Every change of what the region says, as a screen reader would get it.
    page.evaluate(
        """() => { window.said = []; const region = document.querySelector(
             "[data-segment-counter]:not([data-characters-only]) [data-sc-announce]");
           new MutationObserver(() => window.said.push(region.textContent.trim()))
             .observe(region, {childList: true, characterData: true, subtree: true}); }"""
    )

    page.locator("#id_text").press_sequentially("Hello there")
    page.wait_for_timeout(1000)  # longer than the pause the counter waits for
    expect(counter.locator("[data-sc-field=units]")).to_have_text("11")
    assert page.evaluate("window.said") == ["Segments: 1; Encoding: GSM-7 (Latin)"]

    page.locator("#id_text").press_sequentially(" Привет")  # Unicode now
    expect(said).to_have_text("Segments: 1; Encoding: Unicode (UCS-2)")
    page.locator("#id_text").press_sequentially(" " + "ж" * 60)  # a second part
    expect(said).to_have_text("Segments: 2; Encoding: Unicode (UCS-2)")
    page.locator("#id_text").press_sequentially("жжж")
    page.wait_for_timeout(1000)
    assert page.evaluate("window.said") == [
        "Segments: 1; Encoding: GSM-7 (Latin)",
        "Segments: 1; Encoding: Unicode (UCS-2)",
        "Segments: 2; Encoding: Unicode (UCS-2)",
    ]
    # No other live region in the counter.
    assert counter.locator("[aria-live]:not([data-sc-announce])").count() == 0


def test_a_sorted_column_says_so_to_the_eye_and_to_a_screen_reader(admin_page):
    """The sorted column looked and read like any other: no arrow, no aria-sort, so
    after following a header link nobody could tell which way the list was sorted."""
    for i in range(3):
        Contact.objects.create(phone=f"+7912555000{i}", last_name=f"Сортов{i}")
    page = admin_page
    page.goto("/contacts/")
    phone = page.get_by_role("columnheader", name="Phone")
    expect(phone).not_to_have_attribute("aria-sort", re.compile(".*"))

    phone.get_by_role("link").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    phone = page.get_by_role("columnheader", name="Phone")
    expect(phone).to_have_attribute("aria-sort", "ascending")
    assert page.locator("thead th[aria-sort]").count() == 1
    arrow = phone.locator("a").evaluate("a => getComputedStyle(a, '::after').content")
    assert arrow not in ("none", "normal", ""), arrow

    with page.expect_navigation():
        phone.get_by_role("link").click()
    expect(page.get_by_role("columnheader", name="Phone")).to_have_attribute(
        "aria-sort", "descending"
    )


def test_the_menu_and_the_pages_of_a_list_say_where_the_user_is(admin_page):
    """The current menu item and the current page of a list were marked by colour
    only (Bootstrap's .active): a screen reader heard no "current"."""
    Contact.objects.bulk_create(
        Contact(phone=f"+791266{i:05d}", first_name=f"Имя{i}") for i in range(51)
    )
    page = admin_page
    page.goto("/contacts/?page=2")

    menu = page.locator("#main-nav")
    expect(menu.locator("[aria-current]")).to_have_count(1)
    expect(menu.get_by_role("link", name="Contacts", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    pages = page.get_by_role("navigation", name="Pages of the table")
    expect(pages.locator("[aria-current]")).to_have_count(1)
    expect(pages.get_by_role("link", name="2", exact=True)).to_have_attribute(
        "aria-current", "page"
    )


def test_an_import_without_a_phone_column_says_so_and_takes_focus(admin_page):
    """The column step sent back with "Choose the column that holds the phone number"
    showed it in a plain box above the button: a keyboard or screen reader user, put
    back at the top of the page, was told nothing."""
    page = admin_page
    page.goto("/contacts/import/")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "a.csv", "mimeType": "text/csv",
                "buffer": b"phone,name\n+79161112233,Oleg\n"}],
    )  # fmt: skip
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url("**/contacts/import/*/columns/**")
    page.select_option("select[name=col_0]", "")
    page.get_by_role("button", name="Start the import").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Choose the column that holds the phone number.")
    expect(alert).to_be_focused()

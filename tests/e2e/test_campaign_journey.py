"""A campaign from the composer to the stop list, in the browser.

Compose (the live counter turns from GSM-7 to UCS-2 when Cyrillic is typed), launch,
watch the real worker send and the simulator's delivery reports bring the progress to
delivered, open the report and its chart, export the messages, then a recipient answers
"СТОП": the reply shows in the inbox and the number lands on the stop list.
"""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from django.core.cache import cache

from campaigns.models import Campaign, Message
from contacts.models import Contact, ContactGroup, GroupMembership, StopListEntry
from providers.models import ProviderAccount
from tests.campaigns.gateway_accounts import LOGIN

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
# The message text's counter; a Viber text has its own (characters only).
TEXT_COUNTER = "[data-segment-counter]:not([data-characters-only])"

AUDIENCE = [
    ("+79120002001", "Анна"),
    ("+79120002002", "Борис"),
    ("+79120002003", "Вера"),
    ("+79120009990", "Потерянный"),  # the simulator reports it undelivered
]
DELIVERED = 3
# Progress, reports and the chart follow the worker and the simulator's callbacks.
SETTLE_MS = 60_000


@pytest.fixture
def audience(transactional_db) -> ContactGroup:
    group = ContactGroup.objects.create(name="E2E audience")
    contacts = Contact.objects.bulk_create(
        Contact(phone=phone, first_name=name) for phone, name in AUDIENCE
    )
    GroupMembership.objects.bulk_create(
        GroupMembership(contact=c, group=group) for c in contacts
    )
    return group


def counter_encoding(page) -> str:
    return page.locator(
        "[data-segment-counter]:not([data-characters-only]) [data-sc-encoding]:visible"
    ).get_attribute("data-sc-encoding")


def test_compose_launch_deliver_report_export_and_stop_reply(
    admin_page,
    real_worker,
    simulator,
    gateway_account,
    audience,
    browser_problems,
    shoot,
):
    page = admin_page

    # Compose ---------------------------------------------------------------------
    page.goto("/campaigns/new/")
    counter = page.locator(TEXT_COUNTER)
    page.fill("#id_name", "Осенняя акция")
    expect(page.locator("#id_account")).to_have_value(str(gateway_account.pk))
    sender = page.locator("#id_sender")
    if sender.evaluate("el => el.tagName") == "SELECT":
        sender.select_option("SMSPORTAL")
    else:
        sender.fill("SMSPORTAL")
    text = page.locator("#id_text")
    text.press_sequentially("Hello {first_name}, sale today")
    expect(counter.locator("[data-sc-encoding=gsm7]")).to_be_visible()
    expect(counter.locator("[data-sc-encoding=ucs2]")).to_be_hidden()
    expect(counter.locator("[data-sc-field=per-segment]")).to_have_text("160")
    expect(counter.locator("[data-sc-field=segments]").first).to_have_text("1")
    expect(counter.locator("[data-sc-show=transliterate]")).to_be_hidden()
    expect(counter.locator("[data-sc-show=placeholders]")).to_be_visible()
    assert counter_encoding(page) == "gsm7"
    shoot(page, "composer-gsm7")

    text.press_sequentially(" — скидки!")
    expect(counter.locator("[data-sc-encoding=ucs2]")).to_be_visible()
    expect(counter.locator("[data-sc-encoding=gsm7]")).to_be_hidden()
    expect(counter.locator("[data-sc-field=per-segment]")).to_have_text("70")
    expect(counter.locator("[data-sc-show=non-gsm]")).to_be_visible()
    non_gsm = counter.locator("[data-sc-field=non-gsm] mark")
    expect(non_gsm.first).to_have_text("Cyrillic letters")  # once, not each letter
    expect(non_gsm.first).to_have_attribute("title", re.compile("с"))
    expect(counter.locator("[data-sc-field=non-gsm]")).to_contain_text("—")
    expect(counter.locator("[data-sc-show=transliterate]")).to_be_visible()
    # One segment either way: the offer speaks of room, not of "1 instead of 1".
    expect(counter.locator("[data-sc-show=translit-room]")).to_be_visible()
    expect(counter.locator("[data-sc-show=translit-fewer]")).to_be_hidden()
    assert counter_encoding(page) == "ucs2"

    page.select_option("#id_include_groups", label="E2E audience")
    quiet = page.locator("#id_respect_quiet_hours")
    if quiet.is_checked():
        quiet.uncheck()
    # The preview follows the unsaved form: audience, samples, no launch before saving.
    live = page.locator("#campaign-preview [data-preview-live]")
    expect(live.locator("[data-preview=total]")).to_have_text(str(len(AUDIENCE)))
    expect(live.locator("[data-preview=samples]")).to_contain_text("Hello Анна")
    expect(page.locator("[data-action=launch]")).to_have_count(0)
    # The counter's estimate is for the audience counted, down to none at all.
    expect(counter).to_have_attribute("data-recipients", str(len(AUDIENCE)))
    page.select_option("#id_include_groups", [])
    expect(live.locator("[data-preview=total]")).to_have_text("0")
    expect(counter).to_have_attribute("data-recipients", "0")
    page.select_option("#id_include_groups", label="E2E audience")
    expect(live.locator("[data-preview=total]")).to_have_text(str(len(AUDIENCE)))
    shoot(page, "campaign-composer")
    browser_problems.assert_none("on the composer")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    campaign = Campaign.objects.get(name="Осенняя акция")
    assert campaign.text == "Hello {first_name}, sale today — скидки!"

    # Preview and launch ------------------------------------------------------------
    page.goto(f"/campaigns/{campaign.pk}/")
    preview = page.locator("[data-campaign-preview]")
    expect(preview.locator("[data-preview=total]")).to_have_text(str(len(AUDIENCE)))
    expect(preview.locator("[data-preview=samples]")).to_contain_text("Hello Анна")
    shoot(page, "campaign-draft")
    browser_problems.assert_none("on the draft's page")
    page.locator("[data-action=launch]").click()  # confirm() is accepted
    expect(page.get_by_text("Campaign launched.")).to_be_visible()

    # The worker sends, the simulator pushes reports, the progress block polls ----------
    progress = page.locator("#campaign-progress")
    expect(progress.locator("tr[data-status=delivered] td")).to_have_text(
        str(DELIVERED), timeout=SETTLE_MS
    )
    expect(progress).to_have_attribute("data-state", "completed", timeout=SETTLE_MS)
    expect(progress.locator("tr[data-status=undelivered] td")).to_have_text("1")
    expect(progress.locator("[data-status=total]")).to_have_text(str(len(AUDIENCE)))
    shoot(page, "campaign-detail")
    browser_problems.assert_none("while the campaign was sending")
    statuses = sorted(
        Message.objects.filter(campaign=campaign).values_list("status", flat=True)
    )
    assert statuses == ["delivered"] * DELIVERED + ["undelivered"]
    assert len(simulator.state.submissions) == len(AUDIENCE)

    # The report and its chart ----------------------------------------------------------
    page.locator("[data-action=report]").click()
    page.wait_for_url(f"**/campaigns/{campaign.pk}/report/")
    expect(page.locator("[data-funnel=total]")).to_have_text(str(len(AUDIENCE)))
    expect(page.locator("[data-funnel=delivered]")).to_have_text(str(DELIVERED))
    chart = page.locator("canvas#delivery-chart")
    expect(chart).to_be_visible()
    # Chart.js registered a chart on the canvas and drew bars summing to the delivered.
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('delivery-chart'))"
    )
    drawn = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById('delivery-chart'));
            const values = chart.data.datasets[0].data;
            const bars = chart.getDatasetMeta(0).data.length;
            return {total: values.reduce((a, b) => a + b, 0), bars};
        }"""
    )
    assert drawn["total"] == DELIVERED, drawn
    assert drawn["bars"] >= 1, drawn
    expect(page.locator("#failure-reasons")).to_be_visible()
    shoot(page, "report")
    browser_problems.assert_none("on the report")

    # Export the messages ---------------------------------------------------------------
    page.get_by_role("button", name="Export messages").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV (UTF-8, commas)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    body = download.path().read_bytes()
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert sorted(r["Phone"] for r in rows) == sorted(p for p, _ in AUDIENCE)
    by_phone = {r["Phone"]: r for r in rows}
    assert by_phone["+79120002001"]["Text"] == "Hello Анна, sale today — скидки!"
    assert [r["Status"] for r in rows].count("Delivered") == DELIVERED
    assert by_phone["+79120009990"]["Status"] == "Undelivered"
    browser_problems.assert_none("exporting")

    # A recipient answers СТОП ------------------------------------------------------------
    simulator.state.add_incoming("smsc", LOGIN, phone="79120002002", text="СТОП")
    page.goto("/campaigns/inbox/")
    page.get_by_role("button", name="Fetch now").click()
    expect(page.get_by_text("1 new reply")).to_be_visible()
    row = page.locator("table tbody tr", has_text="СТОП")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("79120002002")
    expect(row).to_contain_text("opt-out")
    expect(row.get_by_role("link", name="Осенняя акция")).to_be_visible()
    shoot(page, "inbox")
    browser_problems.assert_none("on the inbox")

    page.goto("/contacts/stop-list/")
    expect(page.locator("table tbody")).to_contain_text("+79120002002")
    shoot(page, "stop-list")
    browser_problems.assert_none("on the stop list")
    entry = StopListEntry.objects.get(phone="+79120002002")
    assert entry.source == StopListEntry.Source.KEYWORD

    # The dashboard sums it up: traffic chart and the unread reply. Its traffic is
    # cached (refreshed by a periodic task); the login already filled that cache.
    cache.clear()
    page.goto("/")
    expect(page.locator("#unread-replies")).to_have_text("1")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('traffic-chart'))"
    )
    delivered_today = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById('traffic-chart'));
            return chart.data.datasets[1].data.reduce((a, b) => a + b, 0);
        }"""
    )
    assert delivered_today == DELIVERED
    page.wait_for_function(
        "() => !Chart.animator.running(Chart.getChart(document.getElementById('traffic-chart')))"
    )
    shoot(page, "dashboard")
    browser_problems.assert_none("on the dashboard")


def test_a_draft_sent_back_with_an_error_previews_what_the_form_holds(
    admin_page, gateway_account, audience, browser_problems
):
    """The page that names a bad pasted number still counts the audience chosen and
    says, beside it, what keeps the preview from being complete."""
    page = admin_page
    page.goto("/campaigns/new/")
    page.fill("#id_name", "С ошибкой")
    page.fill("#id_text", "Hello {first_name}")
    page.select_option("#id_include_groups", label="E2E audience")
    page.fill("#id_extra_numbers", "+79120002999\n12345")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".invalid-feedback", has_text="12345")).to_be_visible()
    error = page.locator("#campaign-preview [data-preview-error]")
    expect(error).to_contain_text("12345")
    assert not Campaign.objects.filter(name="С ошибкой").exists()

    page.fill("#id_extra_numbers", "+79120002999")
    live = page.locator("#campaign-preview [data-preview-live]")
    expect(live.locator("[data-preview=total]")).to_have_text(str(len(AUDIENCE) + 1))
    browser_problems.assert_none("on the composer sent back")


def test_the_whole_book_hides_the_groups_to_send_to_and_counts_everyone(
    admin_page, gateway_account, audience, browser_problems
):
    Contact.objects.create(phone="+79120003001", first_name="Без группы")
    page = admin_page
    page.goto("/campaigns/new/")
    page.fill("#id_text", "Hello {first_name}")
    groups = page.locator("[data-include-groups]")
    expect(groups).to_be_visible()

    page.check("#id_to_whole_book")

    expect(groups).to_be_hidden()
    live = page.locator("#campaign-preview [data-preview-live]")
    # The group's members and the contact in no group.
    expect(live.locator("[data-preview=total]")).to_have_text(str(len(AUDIENCE) + 1))
    page.uncheck("#id_to_whole_book")
    expect(groups).to_be_visible()
    browser_problems.assert_none("on the composer with the whole book")


def webcom_composer(page):
    """The composer with a Webcom account (Viber-capable, priced) chosen."""
    ProviderAccount.objects.create(
        name="Webcom e2e", kind="webcom", base_url="http://127.0.0.1:9/webcom",
        login="e2e", password="e2e", default_sender="SMSPORTAL", tariff="2.50",
    )  # fmt: skip
    page.goto("/campaigns/new/")
    # The account's sender and channel fields come back by htmx: what is typed into
    # them before would be swapped away.
    with page.expect_response(lambda r: "/account-fields/" in r.url):
        page.select_option("#id_account", label="Webcom e2e")
    return page


def test_the_counter_prices_sms_parts_only(admin_page, audience, browser_problems):
    """Viber and voice are billed at the gateway's own tariff: the live counter and
    the preview show no SMS-part cost for them, and show it again for SMS."""
    page = webcom_composer(admin_page)
    page.fill("#id_text", "Привет")
    page.select_option("#id_include_groups", label="E2E audience")
    counter = page.locator(TEXT_COUNTER)
    cost = counter.locator("[data-sc-show=cost]")
    live = page.locator("#campaign-preview [data-preview-live]")
    expect(live.locator("[data-preview=total]")).to_have_text(str(len(AUDIENCE)))
    expect(cost).to_be_visible()
    expect(counter.locator("[data-sc-field=cost]")).to_contain_text("10.00")

    page.select_option("#id_channel", "viber")

    expect(cost).to_be_hidden()
    expect(live.locator("[data-preview=cost]")).to_have_text("—")
    expect(live.locator("[data-preview=cost-unknown]")).to_contain_text("Viber")
    page.select_option("#id_channel", "sms")
    expect(cost).to_be_visible()
    expect(live.locator("[data-preview=cost]")).to_contain_text("10.00")
    browser_problems.assert_none("on the composer switching channels")


def test_the_viber_text_counts_its_characters_and_says_its_limit(
    admin_page, audience, browser_problems
):
    """The only counter, under the SMS text, read «Characters: 0» while 1,001 went
    into the Viber text; its limit showed only in the preview or on saving."""
    page = webcom_composer(admin_page)
    page.select_option("#id_channel", "viber")
    viber = page.locator("[data-segment-counter][data-characters-only]")
    expect(viber).to_be_visible()

    page.fill("#id_viber_text", "Привет! " * 125 + "!")  # 1,001 characters

    expect(viber.locator('[data-sc-field="characters"]')).to_have_text("1,001")
    limit = viber.locator('[data-sc-show="over-page-limit"]')
    expect(limit).to_be_visible()
    expect(limit).to_contain_text("a Viber message takes at most 1,000 characters")
    expect(viber.locator("[data-sc-sms]")).to_be_hidden()
    # The SMS text's counter is its own.
    text_counter = page.locator(TEXT_COUNTER)
    expect(text_counter.locator('[data-sc-field="units"]')).to_have_text("0")
    browser_problems.assert_none("on the composer with a Viber text")

"""The reply page in a browser: long texts wrap, the answer form counts its parts, the
number goes on the stop list with one button."""

import pytest
from playwright.sync_api import expect

from django.utils import timezone

from campaigns.models import Message
from contacts.models import StopListEntry
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.report_data import make_reply

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = "+79120000077"
ONE_WORD = "ж" * 1000


def _overflow(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_a_long_word_wraps_in_the_conversation(admin_page, gateway_account, width):
    """1000 letters without a space ran off the side of the page, both ways."""
    page = admin_page
    Message.objects.create(
        account=gateway_account, phone=PHONE, text=f"Первая строка\n{ONE_WORD}",
        status="queued", planned_at=timezone.now(), submitted_at=timezone.now(),
    )  # fmt: skip
    reply = make_reply(gateway_account, phone=PHONE, text=f"{ONE_WORD}\nвторая строка")
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(f"/campaigns/inbox/{reply.pk}/")

    assert _overflow(page) <= 0, f"{_overflow(page)}px too wide at {width}px"
    bubbles = page.locator("#conversation > div")
    assert bubbles.count() == 2
    for index in range(2):
        box = bubbles.nth(index).bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width
        assert box["width"] < 0.9 * width  # reads as sent or received, not a wall
    # Line breaks stay line breaks.
    assert bubbles.nth(0).locator("br").count() == 1
    assert bubbles.nth(1).locator("br").count() == 1


def test_the_answer_counter_warns_of_a_text_too_long_to_send(
    admin_page, simulator, browser_problems
):
    """The answer had no counter, and a pasted longer text was cut at 1000 without a
    word (maxlength)."""
    page = admin_page
    account = simulated_account(simulator, "webcom", name="Webcom e2e")
    reply = make_reply(account, phone=PHONE, text="Когда доставка?")
    page.goto(f"/campaigns/inbox/{reply.pk}/")
    counter = page.locator("[data-segment-counter]")
    segments = counter.locator('[data-sc-field="segments"]').first

    page.fill("#id_text", "Завтра")
    expect(segments).to_have_text("1")
    expect(counter.locator('[data-sc-field="cost"]')).to_have_text("2.00 RUB")
    page.fill("#id_text", ONE_WORD + "ж" * 200)

    assert len(page.input_value("#id_text")) == 1200  # not cut
    expect(segments).to_have_text("18")
    expect(counter.locator('[data-sc-show="over-page-limit"]')).to_have_text(
        "Too long: a one-off message takes at most 1,000 characters."
    )
    page.get_by_role("button", name="Send answer").click()
    expect(
        page.get_by_text("Too long: the answer has 1,200 characters")
    ).to_be_visible()
    assert len(page.input_value("#id_text")) == 1200  # kept, to be shortened
    assert not Message.objects.exists()
    assert simulator.state.submissions == []
    # The refusal is the page with its errors, a 200 as every form's: Chromium logged
    # the 400 it was as a console error.
    browser_problems.assert_none("a refused answer")


def test_the_number_goes_on_the_stop_list_from_the_reply_page(
    admin_page, gateway_account
):
    page = admin_page
    dialogs = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    reply = make_reply(gateway_account, phone=PHONE, text="Не пишите мне больше")
    page.goto(f"/campaigns/inbox/{reply.pk}/")

    page.get_by_role("button", name="Put the number on the stop list").click()

    expect(page.locator("#stop-listed")).to_have_text("On the stop list")
    expect(page.get_by_text(f"{PHONE} is on the stop list.")).to_be_visible()
    expect(page.locator("#stop-list-add")).to_have_count(0)
    assert dialogs == [
        f"Put {PHONE} on the stop list? No campaign or answer will be sent to it, "
        "and messages waiting at a gateway for a later send time are withdrawn."
    ]
    assert StopListEntry.objects.get().phone == PHONE


def test_the_conversation_says_who_wrote_each_message(admin_page, gateway_account):
    """What was sent and what came back differed only by side and colour: a screen
    reader read the conversation as one run of texts, with no word of who wrote what,
    nor which message this page is about."""
    page = admin_page
    Message.objects.create(
        account=gateway_account, phone=PHONE, text="Заказ готов", status="delivered",
        planned_at=timezone.now(), submitted_at=timezone.now(),
    )  # fmt: skip
    make_reply(gateway_account, phone=PHONE, text="Спасибо")
    reply = make_reply(gateway_account, phone=PHONE, text="Когда доставка?")

    page.goto(f"/campaigns/inbox/{reply.pk}/")

    bubbles = page.locator("#conversation > div")
    expect(bubbles).to_have_count(3)
    sent = bubbles.filter(has_text="Заказ готов")
    expect(sent.locator(".visually-hidden").first).to_have_text("Sent")
    for text in ("Спасибо", "Когда доставка?"):
        said = bubbles.filter(has_text=text).locator(".visually-hidden").first
        expect(said).to_have_text("Received")
    expect(bubbles.filter(has_text="Когда доставка?")).to_have_attribute(
        "aria-current", "true"
    )
    expect(bubbles.filter(has_text="Спасибо")).not_to_have_attribute(
        "aria-current", "true"
    )


def test_a_reply_is_read_once_its_page_is_shown_not_by_opening_it(
    admin_page, gateway_account, browser_problems
):
    """Opening the reply (a GET) marked it read: a link prefetcher or a chat's
    preview of the link did too. The page marks it by a POST once shown; «Mark
    unread» takes it back to the inbox, unread, and it stays so."""
    page = admin_page
    reply = make_reply(gateway_account, phone=PHONE, text="Когда доставка?")
    # What a prefetcher or a link preview does with the session's cookie.
    assert page.request.get(f"/campaigns/inbox/{reply.pk}/").ok
    reply.refresh_from_db()
    assert not reply.is_read

    page.goto(f"/campaigns/inbox/{reply.pk}/")
    state = page.locator("#reply-read-state")
    expect(state.get_by_role("button", name="Mark unread")).to_be_visible()
    reply.refresh_from_db()
    assert reply.is_read

    state.get_by_role("button", name="Mark unread").click()
    page.wait_for_url("**/campaigns/inbox/")
    expect(page.get_by_text("1 reply marked unread.")).to_be_visible()
    reply.refresh_from_db()
    assert not reply.is_read
    browser_problems.assert_none("reply page")

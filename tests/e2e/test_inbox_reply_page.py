"""The reply page in a browser: long texts wrap, the answer form counts its parts."""

import pytest

from django.utils import timezone

from campaigns.models import Message
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

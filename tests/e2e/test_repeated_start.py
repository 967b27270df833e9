"""A start at a wall time the autumn clock change shows twice, in the browser: the
composer saves it and says which of the two it is, as the campaign page does."""

import re

import pytest
from playwright.sync_api import expect

from django.utils import translation

from campaigns.models import Campaign
from tests.campaigns.test_start_summer_time import _next_change

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FIRST = (
    "02:30 the first time round (summer time, UTC+02:00): the clocks go back that "
    "night and show 02:30 twice."
)


def test_the_composer_says_which_0230_a_start_on_the_autumn_night_is(
    admin_page, gateway_account
):
    page = admin_page
    day = _next_change("Europe/Berlin", forward=False)
    page.goto("/campaigns/new/")
    page.fill("#id_name", "Night sale")
    page.fill("#id_text", "Hello")
    page.fill("#id_extra_numbers", "+79120004010")
    page.check("input[name=start_mode][value=at]")
    page.fill("#id_start_local", f"{day:%Y-%m-%d}T02:30")
    page.select_option("#id_time_zone", "Europe/Berlin")
    note = page.locator("[data-start-note]")
    expect(note).to_have_count(0)  # nothing saved yet

    page.locator("main form button[type=submit]").first.click()

    expect(page).to_have_url(re.compile(r"/campaigns/\d+/edit/$"))
    expect(note).to_have_text(FIRST)
    expect(note).to_be_visible()
    campaign = Campaign.objects.get(name="Night sale")
    with translation.override("en"):  # as the page, in its browser's language
        assert campaign.start_note == FIRST
    # Another time typed: the note said of the saved one, so it goes.
    page.fill("#id_start_local", f"{day:%Y-%m-%d}T04:30")
    expect(note).to_be_hidden()

    page.goto(f"/campaigns/{campaign.pk}/")
    expect(note).to_have_text(FIRST)

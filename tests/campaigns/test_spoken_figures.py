"""What a screen reader hears of a campaign's progress and delivery says the figures
the page shows (it said "40%" beside a visible 42%, "80%" beside 83.3%); only when it
is read again goes by the percent's tens (data-announce-step)."""

import re

import pytest

from django.urls import reverse

from campaigns.models import Campaign
from tests.campaigns.conftest import add_messages

pytestmark = pytest.mark.django_db


def _said(body: str, name: str) -> tuple[str, str]:
    match = re.search(
        rf'data-announce="{name}"(?: data-announce-step="([^"]*)")?>\s*(.*?)\s*</p>',
        body,
        re.S,
    )
    assert match, f"no {name} line"
    return match.group(1), " ".join(match.group(2).split())


def test_the_progress_line_says_the_percent_the_caption_shows(
    manager_client, make_campaign
):
    campaign = make_campaign(state=Campaign.State.SENDING)
    # 5 of 12: 41 % (rounded down: «100%» waits for the last message)
    add_messages(campaign, ["delivered"] * 5 + ["pending"] * 7)

    response = manager_client.get(
        reverse("campaigns:progress", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    body = response.content.decode()
    assert "5 of 12 processed (41%)" in body
    step, said = _said(body, "campaign-progress-status")
    assert said == "Sending. 41% processed"
    assert step == "sending|40"  # read again at 50 %, or in another state


def test_the_funnel_line_says_the_rates_shown_below_it(viewer_client, make_campaign):
    campaign = make_campaign(state=Campaign.State.COMPLETED)
    add_messages(campaign, ["delivered"] * 5 + ["failed"])  # 83.3 % delivered

    response = viewer_client.get(
        reverse("reports:campaign_report_live", args=[campaign.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    body = response.content.decode()
    step, said = _said(body, "report-funnel-status")
    shown = re.search(
        r"Delivered: [\d.]+% · handed to the gateway: [\d.]+%",
        body[body.index("</p>", body.index("report-funnel-status")) :],
    )
    assert shown, "no visible rates"
    assert said == shown.group(0)
    assert "83.3%" in said
    assert step == "80|80"

"""Progress never says 100% while a message is still pending, nor 0% once one is
done: rounded down, with those two rules, on the list, the campaign page, the API
(`percent`, whole) and the report (one decimal)."""

from datetime import timedelta

import pytest

from django.urls import reverse
from django.utils import timezone

from campaigns.counts import CampaignCounts
from campaigns.models import Campaign
from campaigns.report_selectors import funnel_from_counts
from campaigns.selectors import Progress
from tests.campaigns.conftest import add_messages


@pytest.mark.parametrize(
    ("done", "total", "whole", "tenths"),
    [
        (199, 200, 99, 99.5),
        (1999, 2000, 99, 99.9),
        (19999, 20000, 99, 99.9),
        (200, 200, 100, 100.0),
        (1, 1000, 1, 0.1),
        (1, 100000, 1, 0.1),
        (0, 200, 0, 0.0),
        (1, 3, 33, 33.3),
        (2, 3, 66, 66.6),
        (0, 0, 0, 0.0),
    ],
)
def test_the_percent_is_floored_never_100_early_nor_0_late(done, total, whole, tenths):
    counts = CampaignCounts({"queued": done, "pending": total - done})

    assert Progress(counts).percent == whole
    assert funnel_from_counts(counts).progress == tenths


@pytest.mark.django_db
def test_199_of_200_shows_99_on_the_list_the_page_and_the_api(
    manager_client, make_campaign
):
    campaign = make_campaign(
        state=Campaign.State.SENDING, launched_at=timezone.now() - timedelta(hours=1)
    )
    add_messages(campaign, ["queued"] * 199 + ["pending"])

    listed = manager_client.get(
        reverse("campaigns:list"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    detail = manager_client.get(
        reverse("campaigns:detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    api = manager_client.get(f"/api/v1/campaigns/{campaign.pk}").json()

    for page in (listed, detail):
        assert "199 of 200 processed (99%)" in page
        assert 'data-progress-percent="100"' not in page
    assert api["counts"]["percent"] == 99

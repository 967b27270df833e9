"""«Delivered» means delivered or read everywhere: the campaign page's counts table
(whose bar caption says «Delivered: N») and the admin's status filter count the read
as the report does, Read shown as the part of Delivered that was read."""

import re

import pytest

from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from tests.campaigns.conftest import add_messages

pytestmark = pytest.mark.django_db


@pytest.fixture
def viber(make_campaign):
    campaign = make_campaign(
        channel="viber",
        state=Campaign.State.COMPLETED,
        launched_at=timezone.now(),
        finished_at=timezone.now(),
    )
    add_messages(campaign, ["read"] * 20 + ["delivered"] * 3 + ["sent"] * 2)
    return campaign


def counted(html: str, status: str) -> str:
    row = re.search(rf'<tr data-status="{status}"[^>]*>(.*?)</tr>', html, re.S)
    return re.search(r'<td class="text-end">([^<]*)<', row.group(1)).group(1)


def test_the_campaign_page_shows_delivered_with_the_read_in_it(viewer_client, viber):
    response = viewer_client.get(
        reverse("campaigns:detail", args=[viber.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()

    assert counted(html, "delivered") == "23"
    assert counted(html, "read") == "20"
    assert '<tr data-status="read" data-part-of="delivered">' in html
    assert "of these, read" in html
    assert "Delivered: 23" in html  # the bar's caption says the same


def test_the_admin_filter_delivered_takes_in_the_read(manager_client, viber):
    changelist = reverse("admin:campaigns_message_changelist")

    delivered = manager_client.get(
        changelist, {"status": "delivered"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    read = manager_client.get(changelist, {"status": "read"})

    assert delivered.context["cl"].result_count == 23
    assert read.context["cl"].result_count == 20
    assert "Delivered (read included)" in delivered.content.decode()

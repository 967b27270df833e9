"""A read (Viber) message was delivered: the report's funnel, its message table and
export, and the REST API count it as delivered, and Read stays a part of Delivered."""

import csv
import io
import re
from collections import Counter

import pytest

from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Message

pytestmark = pytest.mark.django_db

API = "/api/v1"
STATUSES = ["read", "read", "sent"]  # QA's campaign: 2 of 3 delivered, both read


@pytest.fixture
def viber(make_campaign):
    campaign = make_campaign(
        channel="viber",
        state=Campaign.State.COMPLETED,
        launched_at=timezone.now(),
        finished_at=timezone.now(),
    )
    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            campaign=campaign, account=campaign.account, phone=f"+7912000000{i}",
            text="Hi", channel="viber", status=status, planned_at=now,
            submitted_at=now, delivered_at=now if status == "read" else None,
        )
        for i, status in enumerate(STATUSES)
    )  # fmt: skip
    return campaign


def report_url(campaign, query=""):
    return reverse("reports:campaign_report", args=[campaign.pk]) + query


def shown(html: str, attribute: str, status: str) -> str:
    return re.search(rf'{attribute}="{status}">([^<]*)<', html).group(1).strip()


def test_the_delivered_card_counts_the_read_and_agrees_with_the_rate(
    viewer_client, viber
):
    response = viewer_client.get(report_url(viber), HTTP_ACCEPT_LANGUAGE="ru")
    html = response.content.decode()
    funnel = response.context["funnel"]
    delivered = sum(1 for s in STATUSES if s in ("delivered", "read"))
    # Rounded down, as every percent of the report (2 of 3: 66.6).
    rate = f"{1000 * delivered // len(STATUSES) / 10:.1f}".replace(".", ",")

    assert shown(html, "data-funnel", "delivered") == str(delivered)
    assert shown(html, "data-funnel-percent", "delivered") == f"{rate}%"
    assert f"Доставлено: {rate}%" in html
    assert sum(response.context["chart_data"]["values"]) == delivered
    # Read is a part of Delivered: its percent is of the delivered, and it is left
    # out when the steps are added up.
    assert shown(html, "data-funnel", "read") == str(STATUSES.count("read"))
    assert 'data-part-of="delivered"' in html
    whole = [step.count for step in funnel.steps if not step.part_of]
    assert sum(whole) == funnel.total == len(STATUSES)


def test_the_read_card_says_its_percent_is_of_the_delivered(viewer_client, viber):
    html = viewer_client.get(
        report_url(viber), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    read = STATUSES.count("read")
    delivered = sum(s in ("delivered", "read") for s in STATUSES)
    expected = f"{100 * read / delivered:.1f}% of delivered"
    assert shown(html, "data-funnel-percent", "read") == expected


def test_the_read_share_is_of_the_delivered(viewer_client, viber):
    Message.objects.filter(campaign=viber, status="sent").update(status="delivered")

    funnel = viewer_client.get(report_url(viber)).context["funnel"]

    steps = {step.status: step for step in funnel.steps}
    assert steps["delivered"].count == funnel.delivered == len(STATUSES)
    assert steps["delivered"].percent == funnel.delivery_rate == 100.0
    assert steps["read"].part_of == "delivered"
    read = STATUSES.count("read")
    assert steps["read"].percent_of_part == 1000 * read // len(STATUSES) / 10
    assert steps["read"].percent == 1000 * read // len(STATUSES) / 10


def test_the_delivered_filter_lists_the_read_messages(viewer_client, viber):
    response = viewer_client.get(report_url(viber, "?status=delivered"))
    rows = [row.record for row in response.context["table"].page.object_list]
    assert sorted(m.status for m in rows) == ["read", "read"]
    assert len(rows) == response.context["funnel"].delivered

    response = viewer_client.get(report_url(viber, "?status=read"))
    rows = [row.record for row in response.context["table"].page.object_list]
    assert [m.status for m in rows] == ["read", "read"]

    response = viewer_client.get(report_url(viber, "?status=sent"))
    rows = [row.record for row in response.context["table"].page.object_list]
    assert [m.status for m in rows] == ["sent"]


def test_the_delivered_export_holds_the_read_messages(viewer_client, viber, settings):
    settings.LANGUAGE_CODE = "en"
    url = reverse("reports:campaign_export", args=[viber.pk])

    response = viewer_client.get(url, {"format": "csv", "status": "delivered"})

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert Counter(r["Status"] for r in rows) == {"Read": STATUSES.count("read")}


def test_the_api_report_says_delivered_as_the_page_does(viewer_client, viber):
    body = viewer_client.get(f"{API}/campaigns/{viber.pk}/report").json()
    page = viewer_client.get(report_url(viber)).context["funnel"]

    assert body["delivered"] == page.delivered == STATUSES.count("read")
    # The counts stay one per status, so they still add up to the total.
    assert body["counts"]["read"] == STATUSES.count("read")
    assert body["counts"]["delivered"] == STATUSES.count("delivered")
    assert sum(body["counts"].values()) == body["total"] == len(STATUSES)


def test_the_api_delivered_filter_lists_the_read_messages(viewer_client, viber):
    url = f"{API}/messages?campaign={viber.pk}&status=delivered"

    items = viewer_client.get(url).json()["items"]

    assert sorted(i["status"] for i in items) == ["read", "read"]
    read = viewer_client.get(f"{API}/messages?campaign={viber.pk}&status=read").json()
    assert len(read["items"]) == STATUSES.count("read")

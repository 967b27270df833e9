"""Large counts on the report page and the dashboard are grouped as the rest of the
UI («1 000», not «1000» beside «40 000»)."""

from datetime import timedelta
from unittest.mock import patch

import lxml.html
import pytest

from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Message

pytestmark = pytest.mark.django_db

FAILED = 1_000


@pytest.fixture
def campaign(make_campaign, account):
    """A thousand undelivered two-part messages through one operator, unpriced."""
    campaign = make_campaign(
        state=Campaign.State.COMPLETED,
        launched_at=timezone.now() - timedelta(hours=1),
        finished_at=timezone.now(),
    )
    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            campaign=campaign, account=account, phone=f"+7912{i:07d}", text="Hi",
            channel="sms", status="undelivered", reason="expired", operator="MTS",
            segments=2, gateway_message_id=str(i + 1), planned_at=now,
            submitted_at=now,
        )
        for i in range(FAILED)
    )  # fmt: skip
    return campaign


def page(client, campaign, language="ru") -> lxml.html.HtmlElement:
    url = reverse("reports:campaign_report", args=[campaign.pk])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return lxml.html.fromstring(response.content)


def test_the_funnel_s_segments_are_grouped(viewer_client, campaign):
    doc = page(viewer_client, campaign, "en")
    (total,) = doc.xpath('//*[@data-funnel="total"]/..')
    assert "2,000 segments" in total.text_content()


def test_the_operators_failures_are_grouped(viewer_client, campaign):
    doc = page(viewer_client, campaign)
    (row,) = doc.xpath('//table[@id="operators"]/tbody/tr')
    cells = [cell.text_content().strip() for cell in row.xpath("td")]
    assert cells[1] == "1\xa0000"  # messages
    assert cells[3] == "1\xa0000"  # failures, as the messages beside them


def test_the_unpriced_note_is_grouped(viewer_client, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(price_per_segment=None)
    Message.objects.filter(campaign=campaign).update(estimated_cost=None)
    doc = page(viewer_client, campaign)
    (note,) = doc.xpath('//*[@data-spent="unpriced"]')
    assert note.text_content().strip().startswith("1\xa0000 сообщений без цены")


def test_the_dashboard_s_unread_badge_is_grouped(viewer_client):
    with patch("smsportal.views.unread_replies_count", return_value=109_269):
        response = viewer_client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="ru")
    (badge,) = lxml.html.fromstring(response.content).xpath('//*[@id="unread-replies"]')
    assert badge.text_content() == "109\xa0269"

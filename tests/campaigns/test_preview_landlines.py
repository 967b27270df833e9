"""Landlines and 8-800 numbers in an SMS audience were counted as recipients like any
other and sent to, with no word before the launch; the gateway then failed them. The
preview now says how many there are, unless the channel is voice (a call reaches a
landline)."""

import pytest

from campaigns.services import campaign_preview
from contacts.models import Contact
from tests.campaigns.test_api import API, post

pytestmark = pytest.mark.django_db


def audience(make_group):
    group = make_group("G", [("+79120000001", "A", ""), ("+74951234567", "B", ""),
                             ("+78005553535", "C", "")])  # fmt: skip
    Contact.objects.filter(phone="+79120000001").update(is_mobile=True)
    Contact.objects.exclude(phone="+79120000001").update(is_mobile=False)
    return group


def test_the_preview_counts_the_landlines_of_an_sms_audience(
    manager_client, make_group, make_campaign, settings
):
    settings.LANGUAGE_CODE = "en"
    campaign = make_campaign(
        [audience(make_group)], extra_numbers="+78127654321\n+79120000002"
    )

    preview = campaign_preview(campaign=campaign)
    body = post(manager_client, f"{API}/{campaign.pk}/preview").json()
    page = manager_client.get(f"/campaigns/{campaign.pk}/preview/").content.decode()

    assert (preview.total, preview.landlines) == (5, 3)
    assert body["landlines"] == 3
    assert 'data-preview="landlines">3<' in page
    assert "Landline numbers: they receive no SMS or Viber" in page


def test_a_voice_campaign_says_nothing_of_landlines(
    manager_client, make_group, make_campaign
):
    campaign = make_campaign([audience(make_group)], channel="voice")
    page = manager_client.get(f"/campaigns/{campaign.pk}/preview/").content.decode()
    assert 'data-preview="landlines"' not in page

"""The cost estimate prices every segment at Russia's rate (the account's tariff, or
the gateway's price for a Russian probe number), and said nothing of the numbers
abroad (Kazakhstan's +7 7xx among them), which the gateway bills at its own, higher
rate: the estimate looked exact and the balance check passed. The preview now says
how many there are, on the page and in the API."""

import pytest

from campaigns.services import campaign_preview
from contacts.phone import is_russian_number
from tests.campaigns.test_api import API, post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("phone", "russian"),
    [("+79123456789", True), ("+74012555555", True), ("+78005553535", True),
     ("+77012345678", False), ("+77272500000", False), ("+375291234567", False),
     ("+998901234567", False)],
)  # fmt: skip
def test_russian_numbers_are_plus_seven_but_not_kazakhstans(phone, russian):
    assert is_russian_number(phone) is russian


def test_the_preview_counts_the_numbers_abroad(
    manager_client, make_group, make_campaign, settings
):
    settings.LANGUAGE_CODE = "en"
    group = make_group("G", [("+79120000001", "A", ""), ("+77012345678", "B", ""),
                             ("+375291234567", "C", "")])  # fmt: skip
    campaign = make_campaign(
        [group], extra_numbers="+998901234567\n+79120000002\n+996555123456"
    )

    preview = campaign_preview(campaign=campaign)
    body = post(manager_client, f"{API}/{campaign.pk}/preview").json()
    page = manager_client.get(f"/campaigns/{campaign.pk}/preview/").content.decode()

    assert (preview.total, preview.abroad) == (6, 4)
    assert body["abroad"] == 4
    assert 'data-preview="abroad">4<' in page
    assert "the estimate counts them at the Russian price" in page


def test_no_word_of_it_for_an_audience_at_home(
    manager_client, make_group, make_campaign
):
    campaign = make_campaign([make_group("G", [("+79120000001", "A", "")])])
    page = manager_client.get(f"/campaigns/{campaign.pk}/preview/").content.decode()
    assert campaign_preview(campaign=campaign).abroad == 0
    assert 'data-preview="abroad"' not in page

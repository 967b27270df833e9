"""The preview's estimate counts only the messages that will go."""

from decimal import Decimal

import pytest

from django.db.models import Sum

from campaigns.expansion import campaign_expand
from campaigns.models import Message
from campaigns.services import campaign_preview
from providers.models import ProviderAccount

pytestmark = pytest.mark.django_db

MOSCOW = "Europe/Moscow"
# Fits WEBSMS's nine parts with a short name; a long one pushes it over.
TEXT = "{first_name}" + "я" * 590
LONG_NAMES = ["Александра", "Константин", "Владислава", "Станислав"]


@pytest.fixture
def websms(db):
    return ProviderAccount.objects.create(
        name="WEBSMS", kind="websms", base_url="http://127.0.0.1:9/x",
        default_sender="SHOP", tariff=Decimal("3.50"), balance=Decimal("100"),
        balance_currency="RUB",
    )  # fmt: skip


@pytest.fixture
def campaign(websms, make_group, make_campaign):
    people = [(f"+7912000000{i}", name, MOSCOW) for i, name in enumerate(LONG_NAMES)]
    people += [("+79120000008", "Ян", MOSCOW), ("+79120000009", "Ия", MOSCOW)]
    group = make_group("Clients", people)
    return make_campaign(
        [group], account=websms, text=TEXT, price_per_segment=Decimal("3.50")
    )


def test_the_estimate_leaves_out_the_texts_that_will_be_rejected(campaign):
    preview = campaign_preview(campaign=campaign)

    assert preview.too_long == 4
    assert preview.estimated_segments == 2 * 9
    assert preview.estimated_cost == Decimal("63.00")
    # The balance covers what will be sent: the launch is not blocked.
    assert preview.can_afford


def test_the_estimate_matches_what_the_expansion_leaves_to_send(campaign):
    preview = campaign_preview(campaign=campaign)

    campaign_expand(campaign=campaign)

    pending = Message.objects.filter(campaign=campaign, status="pending")
    assert pending.count() == 2
    assert pending.aggregate(n=Sum("segments"))["n"] == preview.estimated_segments


def test_the_preview_says_the_estimate_leaves_them_out(manager_client, campaign):
    page = manager_client.get(
        f"/campaigns/{campaign.pk}/preview/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert 'data-preview="segments">18<' in page
    assert "63.00 RUB" in page
    assert "leave out the texts of about 4 recipients that will be rejected" in page

"""An empty list under a filter says the filter matched nothing, with a link to clear
it; the campaign list said «Рассылок пока нет.» for /campaigns/?state=sending."""

import pytest

from django.urls import reverse

from campaigns.models import Campaign
from contacts.models import Contact, StopListEntry
from tests.campaigns.conftest import add_messages

pytestmark = pytest.mark.django_db

NOTHING = "Nothing matches the filter."


def _get(client, path: str, query: str = "") -> str:
    response = client.get(
        f"{path}?{query}" if query else path, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    return response.content.decode()


def test_each_filtered_list_says_nothing_matches_and_how_to_clear_it(
    manager_client, make_campaign
):
    campaign = make_campaign(name="Done", state=Campaign.State.COMPLETED)
    add_messages(campaign, ["delivered"])
    Contact.objects.create(phone="+79161234567", first_name="Анна")
    StopListEntry.objects.create(phone="+79161234568")
    report = reverse("reports:campaign_report", args=[campaign.pk])

    for path, query in (
        (reverse("campaigns:list"), "state=sending"),
        (reverse("contacts:list"), "q=Nobody"),
        (reverse("contacts:stoplist"), "q=%2B79990000000"),
        (reverse("reports:inbox"), "q=nothing"),
        (report, "status=failed"),
    ):
        body = _get(manager_client, path, query)
        assert NOTHING in body, path
        assert f'<a href="{path}">Clear the filter</a>' in body, path


def test_an_empty_list_without_a_filter_still_says_none_yet(manager_client):
    body = _get(manager_client, reverse("campaigns:list"), "page=1&sort=name")

    assert "No campaigns yet." in body
    assert NOTHING not in body

"""A campaign deleted by one person while another launches, resumes, pauses,
cancels or copies it: the action says the campaign was deleted (the page: a message
and the campaigns list; the API: 404 saying so), not that the campaign is in the
wrong state for it, and not a server error."""

import pytest

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from campaigns import services
from campaigns.models import Campaign
from tests.campaigns.gateway_accounts import simulated_account
from tests.races import meanwhile

pytestmark = pytest.mark.django_db(transaction=True)

DELETED = "was deleted meanwhile"
# The action and the state the campaign is in when it is pressed.
ACTIONS = [
    ("launch", Campaign.State.DRAFT),
    ("resume", Campaign.State.PAUSED),
    ("pause", Campaign.State.PAUSED),
    ("cancel", Campaign.State.PAUSED),
    ("cancel", Campaign.State.DRAFT),
    ("unschedule", Campaign.State.PAUSED),
    ("copy", Campaign.State.DRAFT),
]


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def campaign_in(make_group, simulator):
    def make(state: str) -> Campaign:
        account = simulated_account(simulator, "webcom", balance="1000")
        group = make_group("Two", [("+79120000001", "Ann", "Europe/Moscow"),
                                   ("+79120000002", "Bob", "Europe/Moscow")])  # fmt: skip
        campaign = Campaign.objects.create(
            name="Autumn", account=account, sender="SMSPORTAL", text="Hi {first_name}",
            respect_quiet_hours=False, state=state,
        )  # fmt: skip
        campaign.include_groups.set([group])
        return campaign

    return make


def _while_deleted(monkeypatch, deleter: Client, campaign: Campaign, act):
    """`act`'s answer, run while the delete (held after its check, until `act` is
    done or 2 s) deletes the campaign."""
    deleted, answer = meanwhile(
        monkeypatch,
        (services, "campaign_undeletable_because"),
        lambda: deleter.post(reverse("campaigns:delete", args=[campaign.pk])),
        act,
    )
    assert deleted.status_code == 302
    return answer


@pytest.mark.parametrize(("action", "state"), ACTIONS)
def test_the_page_says_the_campaign_was_deleted_meanwhile(
    manager_client, other_client, campaign_in, monkeypatch, action, state
):
    campaign = campaign_in(state)
    data = {"version": campaign.version} if action == "launch" else {}

    answer = _while_deleted(
        monkeypatch,
        other_client,
        campaign,
        lambda: manager_client.post(
            reverse(f"campaigns:{action}", args=[campaign.pk]), data
        ),
    )

    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert answer.status_code == 302
    assert answer.url == reverse("campaigns:list")
    said = [str(m) for m in get_messages(answer.wsgi_request)]
    assert any(DELETED in m for m in said), said
    assert not Campaign.objects.exists()  # nor a copy of what is gone


@pytest.mark.parametrize(("action", "state"), ACTIONS)
def test_the_api_answers_404_saying_the_campaign_was_deleted_meanwhile(
    manager_client, other_client, campaign_in, monkeypatch, action, state
):
    campaign = campaign_in(state)

    answer = _while_deleted(
        monkeypatch,
        other_client,
        campaign,
        lambda: manager_client.post(
            f"/api/v1/campaigns/{campaign.pk}/{action}",
            {},
            content_type="application/json",
        ),
    )

    assert answer.status_code == 404, answer.content
    assert DELETED in answer.json()["detail"]
    assert not Campaign.objects.exists()

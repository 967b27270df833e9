"""A paused campaign deleted by one person while another resumes it: either it is
deleted before anything is sent, or the resume wins and the delete is refused.
Never sent with its messages' record deleted (the only record of what went out)."""

import pytest

from django.urls import reverse

from campaigns import services
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from tests.campaigns.gateway_accounts import simulated_account
from tests.races import meanwhile

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_a_paused_campaign_deleted_while_another_resumes_it(
    manager_client, other_client, make_group, simulator, monkeypatch
):
    account = simulated_account(simulator, "webcom", balance="1000")
    group = make_group("Ten", [(f"+791200000{i:02d}", f"N{i}", "Europe/Moscow")
                               for i in range(10)])  # fmt: skip
    campaign = Campaign.objects.create(
        name="Paused", account=account, sender="SMSPORTAL", text="Hi {first_name}",
        respect_quiet_hours=False, state=Campaign.State.SENDING,
    )  # fmt: skip
    campaign.include_groups.set([group])
    campaign_expand(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.PAUSED)

    # B's delete found the campaign deletable (paused, nothing in flight) and is
    # about to delete it; A resumes it meanwhile (held until A's resume is done,
    # or 2 s).
    _deleted, _resumed = meanwhile(
        monkeypatch,
        (services, "campaign_undeletable_because"),
        lambda: other_client.post(reverse("campaigns:delete", args=[campaign.pk])),
        # Eager here: the resume's pumps run in this request and send.
        lambda: manager_client.post(reverse("campaigns:resume", args=[campaign.pk])),
    )

    sent = len(simulator.state.submissions)
    if Campaign.objects.filter(pk=campaign.pk).exists():
        assert Message.objects.filter(campaign_id=campaign.pk).count() == 10
    else:
        assert sent == 0, f"{sent} messages sent, then their records deleted"
        assert not Message.objects.filter(campaign_id=campaign.pk).exists()

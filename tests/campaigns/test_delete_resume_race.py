"""A paused campaign deleted by one person while another resumes it: either it is
deleted before anything is sent, or the resume wins and the delete is refused.
Never sent with its messages' record deleted (the only record of what went out)."""

import threading

import pytest

from django.db import connections
from django.test import Client
from django.urls import reverse

from accounts.roles import MANAGER
from campaigns import services
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from tests.campaigns.gateway_accounts import simulated_account
from tests.conftest import _user_with_role

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def other_client(django_user_model):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(_user_with_role(django_user_model, "bob-manager", MANAGER))
    return client


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
    checked, resumed = threading.Event(), threading.Event()
    original = services.campaign_undeletable_because

    def checked_then_wait(**kwargs):
        reason = original(**kwargs)
        checked.set()
        resumed.wait(timeout=2)
        return reason

    monkeypatch.setattr(services, "campaign_undeletable_because", checked_then_wait)
    answers = {}

    def delete() -> None:
        try:
            answers["delete"] = other_client.post(
                reverse("campaigns:delete", args=[campaign.pk])
            )
        finally:
            connections.close_all()

    deleting = threading.Thread(target=delete)
    deleting.start()
    assert checked.wait(timeout=10)
    try:
        # Eager here: the resume's pumps run in this request and send.
        answers["resume"] = manager_client.post(
            reverse("campaigns:resume", args=[campaign.pk])
        )
    finally:
        resumed.set()
        deleting.join(timeout=30)
    monkeypatch.undo()

    sent = len(simulator.state.submissions)
    if Campaign.objects.filter(pk=campaign.pk).exists():
        assert Message.objects.filter(campaign_id=campaign.pk).count() == 10
    else:
        assert sent == 0, f"{sent} messages sent, then their records deleted"
        assert not Message.objects.filter(campaign_id=campaign.pk).exists()

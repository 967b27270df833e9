"""Cancelling a large campaign: the request withdraws a first part and a worker the
rest, a part at a time. One statement over 606,000 pending messages held the
cancel's request 51 s (past a proxy's timeout), every one of them locked meanwhile."""

import pytest

from django.urls import reverse

from campaigns import services, tasks
from campaigns.models import Campaign, Message
from tests.campaigns.conftest import add_messages

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_parts(monkeypatch):
    monkeypatch.setattr(services, "WITHDRAW_IN_REQUEST", 4)
    monkeypatch.setattr(services, "WITHDRAW_CHUNK", 3)


def pending(campaign: Campaign) -> int:
    return Message.objects.filter(campaign=campaign, status="pending").count()


def test_the_request_withdraws_a_part_and_a_worker_the_rest(
    make_campaign, small_parts, monkeypatch, django_capture_on_commit_callbacks
):
    campaign = make_campaign(state=Campaign.State.SENDING)
    add_messages(campaign, ["pending"] * 10)
    queued = []
    monkeypatch.setattr(
        tasks.campaign_withdraw_rest, "delay", lambda pk: queued.append(pk)
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = services.campaign_cancel(campaign=campaign)

    assert (result["withdrawn"], result["withdrawing"]) == (4, 6)
    assert pending(campaign) == 6
    assert queued == [campaign.pk]
    assert tasks.campaign_withdraw_rest(campaign.pk) == 6  # in parts of 3
    assert pending(campaign) == 0
    assert Message.objects.filter(campaign=campaign, status="cancelled").count() == 10


def test_a_small_campaign_is_withdrawn_at_once(make_campaign, small_parts):
    campaign = make_campaign(state=Campaign.State.SENDING)
    add_messages(campaign, ["pending"] * 4)
    result = services.campaign_cancel(campaign=campaign)
    assert (result["withdrawn"], result["withdrawing"]) == (4, 0)
    assert pending(campaign) == 0


def test_the_page_says_the_rest_is_withdrawn_in_the_background(
    manager_client, make_campaign, small_parts, settings
):
    settings.LANGUAGE_CODE = "en"
    campaign = make_campaign(state=Campaign.State.SENDING)
    add_messages(campaign, ["pending"] * 10)

    page = manager_client.post(
        reverse("campaigns:cancel", args=[campaign.pk]), follow=True
    ).content.decode()

    assert "Withdrawn here: 4" in page
    assert "6 more are being withdrawn in the background." in page


def test_beat_finishes_a_withdrawal_whose_task_was_lost(make_campaign, small_parts):
    from datetime import timedelta

    from django.utils import timezone

    campaign = make_campaign(
        state=Campaign.State.CANCELLED,
        finished_at=timezone.now() - timedelta(minutes=1),
    )
    add_messages(campaign, ["pending"] * 5)
    just_now = make_campaign(state=Campaign.State.CANCELLED, finished_at=timezone.now())
    add_messages(just_now, ["pending"] * 2)  # its cancel's own run has it

    tasks.campaigns_tick()  # eager in tests: the withdrawal runs here

    assert (pending(campaign), pending(just_now)) == (0, 2)

"""Copy: a new draft with a campaign's message, audience and hours, from any state."""

from datetime import time, timedelta

import pytest

from django.utils import timezone

from accounts.models import AuditEvent
from campaigns.models import Campaign, Message
from campaigns.services import MESSAGE_SETTINGS, campaign_copy, campaign_resend_failed
from tests.campaigns.conftest import add_messages
from tests.campaigns.test_views import people, url

pytestmark = pytest.mark.django_db

State = Campaign.State
API = "/api/v1/campaigns"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def sent_campaign(make_group, make_campaign, manager_user):
    clients = make_group("Clients", people(3))
    staff = make_group("Staff", people(1, prefix="+7913"))
    campaign = make_campaign(
        [clients],
        name="December sale",
        text="Hi {first_name}, −20 % till Sunday",
        state=State.COMPLETED,
        start_at=timezone.now() - timedelta(days=3),
        time_zone="Asia/Vladivostok",
        respect_quiet_hours=True,
        window_start=time(10, 0),
        window_end=time(20, 30),
        validity_hours=6,
        translit=True,
        spread_hours=2,
        extra_numbers="+79990000001\n+79990000002",
        launched_by=manager_user,
        launched_at=timezone.now() - timedelta(days=3),
        finished_at=timezone.now() - timedelta(days=2),
        audience_stats={"created": 3},
    )
    campaign.exclude_groups.set([staff])
    add_messages(campaign, ["delivered", "failed"])
    return campaign


def test_the_copy_is_a_draft_with_what_is_sent_to_whom_and_when(
    sent_campaign, manager_user
):
    copy = campaign_copy(campaign=sent_campaign, created_by=manager_user)

    assert copy.pk != sent_campaign.pk
    assert copy.name == "December sale (copy)"
    for field in MESSAGE_SETTINGS:
        assert getattr(copy, field) == getattr(sent_campaign, field), field
    assert copy.spread_hours == 2
    assert copy.extra_numbers == sent_campaign.extra_numbers
    assert [g.name for g in copy.include_groups.all()] == ["Clients"]
    assert [g.name for g in copy.exclude_groups.all()] == ["Staff"]
    # Nothing of the sending itself: state, start, who launched, stats, messages.
    assert copy.state == State.DRAFT
    assert copy.start_at is None
    assert (copy.launched_by, copy.launched_at, copy.finished_at) == (None, None, None)
    assert copy.audience_stats == {}
    assert copy.created_by == manager_user
    assert copy.parent is None
    assert not Message.objects.filter(campaign=copy).exists()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATED, object_id=str(copy.pk)
    ).exists()


def test_the_follow_up_keeps_the_hours_and_pace_the_campaign_was_sent_in(
    sent_campaign,
):
    """It dropped the spread: the failed recipients all went at once, where the
    campaign had been paced (for a call centre answering the replies, say)."""
    followup = campaign_resend_failed(campaign=sent_campaign)

    assert followup.spread_hours == 2
    assert followup.time_zone == "Asia/Vladivostok"
    assert followup.respect_quiet_hours
    assert (followup.window_start, followup.window_end) == (time(10), time(20, 30))
    assert followup.validity_hours == 6
    assert followup.translit
    # Its audience is the parent's failures, sent on launch.
    assert followup.start_at is None
    assert followup.extra_numbers == ""
    assert not followup.include_groups.exists()


def test_a_long_name_is_shortened_to_fit(make_campaign):
    long = make_campaign(name="x" * 200, state=State.COMPLETED)
    add_messages(long, ["failed"])

    copy = campaign_copy(campaign=long)
    followup = campaign_resend_failed(campaign=long)

    assert len(copy.name) == len(followup.name) == 200
    assert copy.name.endswith("… (copy)")
    assert followup.name.endswith("… — resend")


def test_the_copy_of_a_follow_up_does_not_resend_its_parents_failures(
    sent_campaign,
):
    followup = campaign_resend_failed(campaign=sent_campaign)

    copy = campaign_copy(campaign=followup)

    assert copy.parent is None
    # The follow-up itself stays the only one for the parent's failures.
    assert list(sent_campaign.followups.all()) == [followup]


def test_the_page_copies_and_opens_the_copy_for_editing(manager_client, sent_campaign):
    page = manager_client.get(url("detail", sent_campaign)).content.decode()
    response = manager_client.post(url("copy", sent_campaign))

    assert 'data-action="copy"' in page
    copy = Campaign.objects.exclude(pk=sent_campaign.pk).get(parent=None)
    assert response.url == url("edit", copy)
    edit = manager_client.get(response.url).content.decode()
    assert "A copy of the campaign was created" in edit
    assert "December sale (copy)" in edit


def test_copying_a_follow_up_says_its_recipients_are_not_copied(
    manager_client, sent_campaign
):
    """The copy of a resend opened with no recipients and nothing said why."""
    followup = campaign_resend_failed(campaign=sent_campaign)

    response = manager_client.post(url("copy", followup))

    edit = manager_client.get(response.url).content.decode()
    assert "with its text and settings, but no recipients" in edit


def test_a_viewer_is_not_offered_the_copy_and_cannot_make_one(
    viewer_client, sent_campaign
):
    page = viewer_client.get(url("detail", sent_campaign)).content.decode()
    response = viewer_client.post(url("copy", sent_campaign))
    api = viewer_client.post(f"{API}/{sent_campaign.pk}/copy")

    assert 'data-action="copy"' not in page
    assert response.status_code == 403
    assert api.status_code == 403
    assert Campaign.objects.count() == 1


def test_the_api_copies_and_resends_to_the_failed(manager_client, sent_campaign):
    copy = manager_client.post(f"{API}/{sent_campaign.pk}/copy")
    followup = manager_client.post(f"{API}/{sent_campaign.pk}/resend-failed")
    again = manager_client.post(f"{API}/{sent_campaign.pk}/resend-failed")

    assert copy.status_code == 201
    assert copy.json()["name"] == "December sale (copy)"
    assert copy.json()["state"] == "draft"
    assert followup.status_code == 201
    assert followup.json()["parent"] == sent_campaign.pk
    # A second follow-up would send again to those the first one reached.
    assert again.status_code == 400
    assert "already have a follow-up" in again.json()["detail"]

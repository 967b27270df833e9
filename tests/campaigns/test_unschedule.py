"""A campaign waiting for its start goes back to a draft, to be changed and launched
again; a copy keeps a start still ahead."""

from datetime import timedelta

import pytest

from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent
from campaigns.models import Campaign
from campaigns.services import campaign_copy, campaign_launch, campaign_unschedule
from smsportal.exceptions import ApplicationError
from tests.campaigns.conftest import add_messages
from tests.campaigns.test_views import composer_data, people, url

pytestmark = pytest.mark.django_db

State = Campaign.State
API = "/api/v1/campaigns"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def viewer(viewer_user):
    """A viewer's own client: manager_client and viewer_client are one client."""
    client = Client()
    client.force_login(viewer_user)
    return client


@pytest.fixture
def scheduled(make_group, make_campaign, manager_user):
    """Launched for tomorrow: scheduled, nothing built."""
    campaign = make_campaign(
        [make_group("Clients", people(2))],
        start_at=timezone.now() + timedelta(days=1),
        time_zone="Asia/Vladivostok",
    )
    return campaign_launch(campaign=campaign, launched_by=manager_user)


def test_a_scheduled_campaign_returns_to_a_draft_and_can_be_launched_again(
    scheduled, manager_user
):
    assert scheduled.state == State.SCHEDULED

    campaign = campaign_unschedule(campaign=scheduled)

    assert campaign.state == State.DRAFT
    assert campaign.is_editable
    assert (campaign.launched_at, campaign.launched_by) == (None, None)
    assert campaign.start_at is not None  # kept, to be changed or launched again
    # The latest change of this campaign (the fixtures' users are audited too).
    event = AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGED, object_id=str(campaign.pk)
    ).first()
    assert event.details["state"] == ["scheduled", "draft"]
    again = campaign_launch(campaign=campaign, launched_by=manager_user)
    assert again.state == State.SCHEDULED


def test_one_paused_while_it_waited_returns_too(scheduled):
    Campaign.objects.filter(pk=scheduled.pk).update(state=State.PAUSED)

    assert campaign_unschedule(campaign=scheduled).state == State.DRAFT


@pytest.mark.parametrize(
    "started",
    [
        {"state": State.SENDING},
        {"state": State.PAUSED},  # paused once its start had come
        {"expanded_at": "now"},  # its audience built
        {"messages": True},  # the build under way has committed a part
        {"state": State.COMPLETED},
        {"state": State.DRAFT},
    ],
)
def test_a_campaign_that_started_or_never_waited_is_refused(scheduled, started):
    fields = dict(started)
    if fields.pop("messages", False):
        add_messages(scheduled, ["pending"])
    if fields.get("expanded_at") == "now":
        fields["expanded_at"] = timezone.now()
    if fields.get("state") == State.PAUSED:
        fields["start_at"] = timezone.now() - timedelta(minutes=1)
    Campaign.objects.filter(pk=scheduled.pk).update(**fields)
    scheduled.refresh_from_db()

    with pytest.raises(ApplicationError) as refused:
        campaign_unschedule(campaign=scheduled)

    assert refused.value.where == "state"
    scheduled.refresh_from_db()
    assert scheduled.state == started.get("state", State.SCHEDULED)


def test_the_page_offers_return_to_draft_by_role(manager_client, viewer, scheduled):
    manager_page = manager_client.get(url("detail", scheduled)).content.decode()
    viewer_page = viewer.get(url("detail", scheduled)).content.decode()

    assert 'data-action="unschedule"' in manager_page
    assert "Return to draft" in manager_page
    assert 'data-action="unschedule"' not in viewer_page
    assert viewer.post(url("unschedule", scheduled)).status_code == 403
    scheduled.refresh_from_db()
    assert scheduled.state == State.SCHEDULED


def test_the_page_returns_it_to_draft_then_it_is_edited_and_rescheduled(
    manager_client, scheduled
):
    response = manager_client.post(url("unschedule", scheduled), follow=True)

    assert "is a draft again" in response.content.decode()
    scheduled.refresh_from_db()
    assert scheduled.state == State.DRAFT
    later = timezone.localtime(
        timezone.now() + timedelta(days=2), timezone.get_default_timezone()
    )
    edited = manager_client.post(
        url("edit", scheduled),
        composer_data(
            scheduled.account,
            include_groups=[g.pk for g in scheduled.include_groups.all()],
            extra_numbers="",
            start_mode="at",
            start_local=later.strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    assert edited.status_code == 302
    manager_client.post(url("launch", scheduled))
    scheduled.refresh_from_db()
    assert scheduled.state == State.SCHEDULED
    assert scheduled.start_at == later.replace(second=0, microsecond=0)


def test_editing_a_scheduled_campaign_says_how(manager_client, scheduled):
    response = manager_client.get(url("edit", scheduled), follow=True)

    assert "return it to draft to change it" in response.content.decode()


def test_the_api_returns_it_to_draft_and_a_patch_before_says_how(
    manager_client, viewer, scheduled
):
    refused = manager_client.patch(
        f"{API}/{scheduled.pk}", {"name": "x"}, content_type="application/json"
    )
    by_viewer = viewer.post(f"{API}/{scheduled.pk}/unschedule")
    response = manager_client.post(f"{API}/{scheduled.pk}/unschedule")
    again = manager_client.post(f"{API}/{scheduled.pk}/unschedule")

    assert refused.status_code == 400
    assert "unschedule" in refused.json()["detail"]
    assert by_viewer.status_code == 403
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "draft"
    assert again.status_code == 400
    assert again.json()["where"] == "state"
    patched = manager_client.patch(
        f"{API}/{scheduled.pk}", {"name": "Renamed"}, content_type="application/json"
    )
    assert patched.status_code == 200


# Copy --------------------------------------------------------------------------


def test_the_copy_keeps_a_start_still_ahead(scheduled):
    copy = campaign_copy(campaign=scheduled)

    assert copy.start_at == scheduled.start_at
    assert copy.time_zone == "Asia/Vladivostok"


def test_the_copy_of_a_start_passed_starts_on_launch_and_the_page_says_so(
    manager_client, make_campaign
):
    passed = make_campaign(
        state=State.CANCELLED, start_at=timezone.now() - timedelta(hours=1)
    )
    ahead = make_campaign(
        state=State.CANCELLED, start_at=timezone.now() + timedelta(hours=1)
    )

    passed_page = manager_client.post(url("copy", passed), follow=True)
    ahead_page = manager_client.post(url("copy", ahead), follow=True)

    *_, passed_copy, ahead_copy = Campaign.objects.order_by("id")
    assert passed_copy.start_at is None
    assert ahead_copy.start_at == ahead.start_at
    assert "start time has passed" in passed_page.content.decode()
    assert "start time has passed" not in ahead_page.content.decode()

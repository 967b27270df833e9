"""Beat starts a scheduled campaign at its moment, not before, whatever the zone its
time was picked in; a time changed after a return to draft is the one it keeps, and
a pause before the start waits for it again while one past it starts on resume."""

from datetime import datetime, timedelta

import pytest

from django.utils import timezone

from campaigns import tasks
from campaigns.models import Campaign
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_api import API, draft_body, people, post

pytestmark = pytest.mark.django_db

State = Campaign.State


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def tick(monkeypatch, django_capture_on_commit_callbacks):
    """Beat's tick run with the clock at `at`; the campaign's state after it."""

    def run(campaign_id: int, at: datetime) -> str:
        monkeypatch.setattr(timezone, "now", lambda: at)
        with django_capture_on_commit_callbacks(execute=True):
            tasks.campaigns_tick()
        return Campaign.objects.get(pk=campaign_id).state

    return run


def test_beat_starts_a_vladivostok_morning_start_at_its_moment(
    manager_client, simulator, make_group, tick
):
    account = simulated_account(simulator, "webcom")
    group = make_group("G", people(2))
    day = (timezone.now() + timedelta(days=30)).date()
    created = post(
        manager_client,
        API,
        draft_body(
            account,
            start_at=f"{day}T10:00:00",
            time_zone="Asia/Vladivostok",
            include_groups=[group.pk],
        ),
    )
    assert created.status_code == 201, created.json()
    campaign_id = created.json()["id"]
    # 10:00 in Vladivostok (UTC+10, no summer time) is midnight UTC.
    start = datetime.fromisoformat(f"{day}T00:00:00+00:00")
    shown = manager_client.get(f"{API}/{campaign_id}").json()
    assert datetime.fromisoformat(shown["start_at"]) == start
    assert shown["time_zone"] == "Asia/Vladivostok"
    assert post(manager_client, f"{API}/{campaign_id}/launch").json()["state"] == (
        "scheduled"
    )

    assert tick(campaign_id, start - timedelta(seconds=1)) == State.SCHEDULED
    assert simulator.state.submissions == []
    assert tick(campaign_id, start + timedelta(seconds=1)) == State.COMPLETED
    assert len(simulator.state.submissions) == 2


def test_a_start_changed_after_a_return_to_draft_replaces_the_old_one(
    manager_client,
    simulator,
    make_group,
    tick,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    account = simulated_account(simulator, "smsc")
    old = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    new = old + timedelta(hours=5)
    body = draft_body(
        account,
        start_at=old.isoformat(),
        include_groups=[make_group("G", people(2)).pk],
    )
    campaign_id = post(manager_client, API, body).json()["id"]
    post(manager_client, f"{API}/{campaign_id}/launch")
    assert post(manager_client, f"{API}/{campaign_id}/unschedule").json()["state"] == (
        "draft"
    )
    patched = manager_client.patch(
        f"{API}/{campaign_id}",
        {"start_at": new.isoformat()},
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.json()
    post(manager_client, f"{API}/{campaign_id}/launch")

    assert tick(campaign_id, old + timedelta(seconds=1)) == State.SCHEDULED
    # Paused and resumed before its time: it waits for it again.
    monkeypatch.setattr(timezone, "now", lambda: new - timedelta(minutes=10))
    post(manager_client, f"{API}/{campaign_id}/pause")
    assert post(manager_client, f"{API}/{campaign_id}/resume").json()["state"] == (
        "scheduled"
    )
    assert tick(campaign_id, new - timedelta(seconds=1)) == State.SCHEDULED
    # Paused again, and its time passes meanwhile: beat leaves it, a resume starts it.
    post(manager_client, f"{API}/{campaign_id}/pause")
    assert tick(campaign_id, new + timedelta(minutes=1)) == State.PAUSED
    assert simulator.state.submissions == []
    with django_capture_on_commit_callbacks(execute=True):
        resumed = post(manager_client, f"{API}/{campaign_id}/resume")
    assert resumed.json()["state"] == "sending"
    assert Campaign.objects.get(pk=campaign_id).state == State.COMPLETED
    assert len(simulator.state.submissions) == 2

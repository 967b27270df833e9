from datetime import timedelta

import pytest

from django.utils import timezone

from campaigns.models import BeatHeartbeat, Campaign, WorkerHeartbeat
from contacts.models import ImportJob
from providers.models import ProviderAccount
from smsportal.celery import app as celery_app

pytestmark = pytest.mark.django_db

NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def heartbeat(seconds_ago: int) -> WorkerHeartbeat:
    seen = timezone.now() - timedelta(seconds=seconds_ago)
    return WorkerHeartbeat.objects.create(
        instance=f"celery@test:{seconds_ago}", hostname="celery@test",
        started_at=seen, seen_at=seen,
    )  # fmt: skip


def sending_campaign(state: str = Campaign.State.SENDING) -> Campaign:
    account = ProviderAccount.objects.create(
        name="A", kind="webcom", base_url="http://127.0.0.1:9/x"
    )
    return Campaign.objects.create(
        name="C", account=account, sender="S", text="Hi", state=state
    )


def test_healthz_is_ok_when_everything_answers_and_nothing_waits(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok", "database": "ok", "broker": "ok", "cache": "ok",
        "workers": "none", "workers_seen_seconds_ago": None, "work_waiting": False,
        "beat": "never", "beat_seen_seconds_ago": None, "credentials": "ok",
    }  # fmt: skip


def test_healthz_is_503_when_the_broker_is_down(client):
    original = celery_app.conf.broker_write_url
    celery_app.conf.broker_write_url = NOWHERE
    try:
        response = client.get("/healthz")
    finally:
        celery_app.conf.broker_write_url = original
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")


def test_healthz_is_503_when_the_cache_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": NOWHERE,
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"] == "error"


def test_healthz_is_503_when_no_worker_runs_while_a_campaign_sends(client):
    sending_campaign()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["workers"], body["work_waiting"]) == (
        "error", "none", True,
    )  # fmt: skip


def test_healthz_is_503_when_the_last_worker_went_quiet_before_a_scheduled_start(
    client,
):
    sending_campaign(Campaign.State.SCHEDULED)
    heartbeat(seconds_ago=300)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["workers"] == "stale"
    assert response.json()["workers_seen_seconds_ago"] >= 300


def test_healthz_counts_a_queued_import_as_work(client):
    ImportJob.objects.create(original_name="a.csv", status=ImportJob.Status.QUEUED)
    assert client.get("/healthz").json()["work_waiting"] is True


def test_healthz_is_ok_while_a_worker_beats(client):
    sending_campaign()
    heartbeat(seconds_ago=5)
    beat_heartbeat(seconds_ago=5)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["workers"] == "ok"


def beat_heartbeat(seconds_ago: int) -> BeatHeartbeat:
    seen = timezone.now() - timedelta(seconds=seconds_ago)
    return BeatHeartbeat.objects.create(
        instance=f"beat@test:{seconds_ago}", hostname="test",
        started_at=seen, seen_at=seen,
    )  # fmt: skip


def test_healthz_says_beat_is_ok_while_it_beats(client):
    beat_heartbeat(seconds_ago=5)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["beat"] == "ok"
    assert response.json()["beat_seen_seconds_ago"] in (4, 5, 6)


def test_healthz_is_503_when_beat_stopped_even_with_nothing_waiting(client, settings):
    settings.SMSPORTAL_BEAT_STALE_SECONDS = 60
    beat_heartbeat(seconds_ago=61)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["beat"], body["work_waiting"]) == (
        "error", "stale", False,
    )  # fmt: skip
    assert body["beat_seen_seconds_ago"] >= 61


def test_the_beat_staleness_follows_its_setting(client, settings):
    settings.SMSPORTAL_BEAT_STALE_SECONDS = 300
    beat_heartbeat(seconds_ago=120)
    assert client.get("/healthz").json()["beat"] == "ok"


def test_healthz_is_503_when_beat_never_ran_while_a_campaign_is_scheduled(client):
    sending_campaign(Campaign.State.SCHEDULED)
    heartbeat(seconds_ago=5)  # a worker is alive: only beat is missing
    response = client.get("/healthz")
    assert response.status_code == 503
    assert (response.json()["workers"], response.json()["beat"]) == ("ok", "never")

"""Celery beat's heartbeat: written by its scheduler loop, read by /healthz and the
pages that warn of workers."""

import os
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from celery.beat import PersistentScheduler

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from campaigns import beat
from campaigns.models import BeatHeartbeat, Campaign, WorkerHeartbeat
from smsportal.celery import app as celery_app
from tests.campaigns.test_worker_crash import ROOT, stop
from tests.providers.contract import wait_for
from tests.redis_servers import broker_url

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def beat_seen(seconds_ago: int, instance: str = "beat@a:1:x") -> BeatHeartbeat:
    seen = timezone.now() - timedelta(seconds=seconds_ago)
    return BeatHeartbeat.objects.create(
        instance=instance, hostname="a", started_at=seen, seen_at=seen
    )


def worker_seen(seconds_ago: int) -> None:
    seen = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(
        instance="celery@a:1:x", hostname="celery@a", started_at=seen, seen_at=seen
    )


@pytest.fixture
def scheduler(monkeypatch, tmp_path):
    """Beat's scheduler with the schedule itself left out: its next entry is 30 s
    away whatever it holds."""
    monkeypatch.setattr(PersistentScheduler, "tick", lambda self, *a, **kw: 30.0)
    # It would close the test's connection, which holds the test's transaction.
    monkeypatch.setattr(beat, "close_old_connections", lambda: None)
    return beat.HeartbeatScheduler(
        app=celery_app, schedule_filename=str(tmp_path / "schedule"), lazy=True
    )


def test_a_tick_writes_the_heartbeat_and_sleeps_no_longer_than_one(scheduler):
    assert scheduler.tick() == beat.HEARTBEAT_SECONDS
    row = BeatHeartbeat.objects.get()
    assert row.instance == scheduler.instance
    assert row.instance.startswith("beat@")
    first = row.seen_at
    scheduler.tick()  # within the heartbeat's interval: not written again
    assert BeatHeartbeat.objects.get().seen_at == first
    scheduler.written_at -= beat.HEARTBEAT_SECONDS
    scheduler.tick()
    assert BeatHeartbeat.objects.get().seen_at > first


def test_a_database_hiccup_does_not_stop_beat(scheduler, monkeypatch, caplog):
    def fail(*args):
        raise RuntimeError("database gone")

    monkeypatch.setattr(beat, "beat_heartbeat", fail)
    assert scheduler.tick() == beat.HEARTBEAT_SECONDS
    assert "beat heartbeat not written" in caplog.text


def test_beats_gone_for_a_day_are_forgotten():
    beat_seen(2 * 24 * 3600, instance="beat@old:1:x")
    beat.beat_heartbeat("beat@new:2:y", "new")
    assert list(BeatHeartbeat.objects.values_list("instance", flat=True)) == [
        "beat@new:2:y"
    ]


def test_the_status_reads_the_freshest_beat(settings):
    settings.SMSPORTAL_BEAT_STALE_SECONDS = 60
    assert beat.beat_status().state == "never"
    beat_seen(120, instance="beat@a:1:old")
    assert (beat.beat_status().state, beat.beat_status().alarming) == ("stale", True)
    beat_seen(3, instance="beat@a:2:new")
    assert (beat.beat_status().state, beat.beat_status().alarming) == ("ok", False)


def beat_running(instance: str, started_ago: int, seen_ago: int) -> BeatHeartbeat:
    now = timezone.now()
    return BeatHeartbeat.objects.create(
        instance=instance, hostname=instance.split("@")[1].split(":")[0],
        started_at=now - timedelta(seconds=started_ago),
        seen_at=now - timedelta(seconds=seen_ago),
    )  # fmt: skip


def test_two_beats_running_at_once_are_a_duplicate(settings):
    """Two `celery beat` processes both kept the heartbeat fresh and /healthz said
    beat ok, while every periodic task ran twice."""
    settings.SMSPORTAL_BEAT_STALE_SECONDS = 60
    beat_running("beat@a:11:x", started_ago=3600, seen_ago=2)
    beat_running("beat@b:22:y", started_ago=30, seen_ago=5)

    status = beat.beat_status()
    assert (status.state, status.alarming) == ("duplicate", True)
    assert [p.label for p in status.duplicates] == ["a:11", "b:22"]


def test_a_restarted_beat_is_no_duplicate(settings):
    """The one it replaced stays fresh for up to the stale window; even one last
    heartbeat of the old one just after the new one started is no second beat."""
    settings.SMSPORTAL_BEAT_STALE_SECONDS = 60
    beat_running("beat@a:11:x", started_ago=3600, seen_ago=25)
    beat_running("beat@a:12:y", started_ago=30, seen_ago=3)  # started 5 s earlier
    assert beat.beat_status().state == "ok"


def test_a_second_beat_stopped_long_ago_is_no_duplicate(settings):
    settings.SMSPORTAL_BEAT_STALE_SECONDS = 60
    beat_running("beat@a:11:x", started_ago=3600, seen_ago=2)
    beat_running("beat@b:22:y", started_ago=1800, seen_ago=600)
    assert beat.beat_status().state == "ok"


def test_healthz_and_the_dashboard_say_two_beats_run(client, manager_client):
    worker_seen(5)
    beat_running("beat@a:11:x", started_ago=3600, seen_ago=2)
    beat_running("beat@b:22:y", started_ago=30, seen_ago=5)

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["beat"] == "duplicate"
    assert health.json()["beat_processes"] == ["a:11", "b:22"]
    page = manager_client.get(reverse("dashboard"), **EN).content.decode()
    assert 'data-beat-notice="duplicate"' in page
    assert "2 schedulers (Celery beat) are running at once:" in page
    assert "a:11, b:22." in page
    assert "Stop all of them but one" in page
    assert "Scheduled campaigns do not start" not in page


def test_the_dashboard_says_beat_stopped(manager_client, make_campaign):
    make_campaign(state=Campaign.State.SCHEDULED)
    worker_seen(5)
    beat_seen(600)
    page = manager_client.get(reverse("dashboard"), **EN).content.decode()
    assert 'data-beat-notice="stale"' in page
    assert "The scheduler (Celery beat) has not been seen for 10" in page
    assert "Scheduled campaigns do not start" in page
    assert "data-workers-notice" not in page  # the worker is fine


def test_a_scheduled_campaigns_page_says_beat_never_ran(manager_client, make_campaign):
    campaign = make_campaign(state=Campaign.State.SCHEDULED)
    worker_seen(5)
    for url in ("campaigns:detail", "campaigns:progress"):
        html = manager_client.get(reverse(url, args=[campaign.pk]), **EN)
        html = html.content.decode()
        assert 'data-beat-notice="never"' in html
        assert "The scheduler (Celery beat) is not running." in html


def test_nothing_is_said_of_beat_while_it_beats(manager_client, make_campaign):
    make_campaign(state=Campaign.State.SCHEDULED)
    worker_seen(5)
    beat_seen(5)
    page = manager_client.get(reverse("dashboard"), **EN).content.decode()
    assert "data-beat-notice" not in page
    assert "Test campaign" in page


def test_a_beat_never_seen_with_nothing_to_do_is_not_an_alarm(manager_client):
    page = manager_client.get(reverse("dashboard"), **EN).content.decode()
    assert "data-beat-notice" not in page


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_beat_process_writes_its_heartbeat(client, tmp_path):
    """`celery beat` as `make run` starts it (scripts/run_all.py), on the test
    database: /healthz says ok within a few seconds."""
    queue = f"beat-test-{uuid.uuid4().hex[:8]}"  # nothing consumes what it sends
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "smsportal", "beat",
         "--loglevel", "WARNING", "-s", str(tmp_path / "schedule")],
        cwd=ROOT, env=_env(queue), start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(lambda: BeatHeartbeat.objects.exists(), timeout=30)
    finally:
        stop(proc)
    assert client.get("/healthz").json()["beat"] == "ok"


def _env(queue: str) -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsportal.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": broker_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "SECRET_KEY": settings.SECRET_KEY,
        "SMSPORTAL_FIELD_KEY": settings.SMSPORTAL_FIELD_KEY,
    }

"""Expired database sessions are deleted daily by beat: nothing ran `clearsessions`,
so the session table kept a row for every sign-in for ever."""

from datetime import timedelta

import pytest

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from smsportal import tasks
from smsportal.celery import app

pytestmark = pytest.mark.django_db


def test_beat_clears_expired_sessions_daily():
    schedule = {e["task"]: e["schedule"] for e in app.conf.beat_schedule.values()}
    assert schedule["smsportal.sessions_clear"] == 24 * 60 * 60
    assert "smsportal.sessions_clear" in app.tasks


def test_the_task_deletes_expired_sessions_and_keeps_live_ones():
    live, expired = SessionStore(), SessionStore()
    live["x"] = expired["x"] = 1
    live.create()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    tasks.sessions_clear()

    assert list(Session.objects.values_list("session_key", flat=True)) == [
        live.session_key
    ]

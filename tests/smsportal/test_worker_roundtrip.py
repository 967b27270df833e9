"""A task round-trips through a real Celery worker process on Redis (not eager mode)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery

BROKER = "redis://127.0.0.1:6379/0"
BACKEND = "redis://127.0.0.1:6379/1"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_queue():
    queue = f"test-roundtrip-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsportal.settings",
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BACKEND,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    cmd = [sys.executable, "-m", "celery", "-A", "smsportal", "worker", "-Q", queue,
           "--pool", "solo", "--loglevel", "WARNING", "--without-heartbeat",
           "--without-gossip", "--without-mingle"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    yield queue
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.worker
def test_task_round_trips_through_a_real_worker(worker_queue):
    client = Celery(broker=BROKER, backend=BACKEND, set_as_current=False)
    token = uuid.uuid4().hex
    result = client.send_task("smsportal.ping", args=[token], queue=worker_queue)
    assert result.get(timeout=60) == token

"""A task round-trips through a real Celery worker process on Redis (not eager mode)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.redis_servers import (
    broker_database,
    broker_url,
    celery_client,
    sibling_url,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_queue():
    queue = f"test-roundtrip-{uuid.uuid4().hex[:8]}"
    broker = broker_url()
    # Results on the broker's server, in the database after its own.
    backend = sibling_url(broker, (broker_database(broker) + 1) % 16)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsportal.settings",
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": backend,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    cmd = [sys.executable, "-m", "celery", "-A", "smsportal", "worker", "-Q", queue,
           "--pool", "solo", "--loglevel", "WARNING", "--without-heartbeat",
           "--without-gossip", "--without-mingle"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    yield queue, broker, backend
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.worker
def test_task_round_trips_through_a_real_worker(worker_queue):
    queue, broker, backend = worker_queue
    client = celery_client(broker, backend=backend)
    token = uuid.uuid4().hex
    result = client.send_task("smsportal.ping", args=[token], queue=queue)
    assert result.get(timeout=60) == token

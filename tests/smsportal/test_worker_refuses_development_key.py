"""Celery's worker and beat refuse the development SECRET_KEY with DEBUG off, as the
web process does (smsportal.production)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def celery(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    clean.update(DJANGO_SETTINGS_MODULE="smsportal.settings", **env)
    return subprocess.run(
        [sys.executable, "-m", "celery", "-A", "smsportal", *args],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.skipif((ROOT / ".env").exists(), reason="a local .env sets the key")
@pytest.mark.parametrize(
    "command",
    [
        ["worker", "--pool", "solo", "-Q", "refused-worker", "--without-mingle",
         "--without-gossip", "--without-heartbeat"],
        ["beat"],
    ],
    ids=["worker", "beat"],
)  # fmt: skip
def test_worker_and_beat_refuse_the_development_key_in_production(command, tmp_path):
    if command == ["beat"]:
        command = ["beat", "-s", str(tmp_path / "schedule")]
    refused = celery(*command, DEBUG="false")

    assert refused.returncode != 0
    assert "SECRET_KEY is not set" in refused.stderr + refused.stdout

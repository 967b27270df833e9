"""Production must not run on the development SECRET_KEY, which is public."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def import_wsgi(
    module: str = "smsportal.wsgi", **env: str
) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    clean.update(DJANGO_SETTINGS_MODULE="smsportal.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.skipif((ROOT / ".env").exists(), reason="a local .env sets the key")
def test_the_web_process_refuses_the_development_key_in_production():
    refused = import_wsgi(DEBUG="false")
    served = import_wsgi(DEBUG="false", SECRET_KEY="a-long-random-value-" * 3)
    developing = import_wsgi(DEBUG="true")

    assert refused.returncode != 0
    assert "SECRET_KEY is not set" in refused.stderr
    assert served.returncode == 0, served.stderr
    assert developing.returncode == 0, developing.stderr


@pytest.mark.skipif((ROOT / ".env").exists(), reason="a local .env sets the key")
def test_the_asgi_entry_point_refuses_the_development_key_too():
    """smsportal.asgi (uvicorn, daphne) served production on the public key."""
    refused = import_wsgi("smsportal.asgi", DEBUG="false")
    served = import_wsgi(
        "smsportal.asgi", DEBUG="false", SECRET_KEY="a-long-random-value-" * 3
    )

    assert refused.returncode != 0
    assert "SECRET_KEY is not set" in refused.stderr
    assert served.returncode == 0, served.stderr

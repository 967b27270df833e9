import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_check_has_only_the_warnings_explained_in_readme():
    env = {
        # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for themselves; production never does.
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "smsportal.settings",
        "DEBUG": "false",
        "SECRET_KEY": "x" * 20 + "Q9w8E7r6T5y4U3i2O1p0-aSdFgHjKlZxCvBnM",
        "ALLOWED_HOSTS": "sms.example.ru",
        # Production's services (smsportal.W111, W112, E113 otherwise).
        "DATABASE_URL": "postgres://sms@db.example.ru:5432/sms",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "CACHE_URL": "redis://127.0.0.1:6379/2",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    output = result.stdout + result.stderr
    warnings = {line.split(")")[0].split("(")[-1] for line in output.splitlines()
                if line.startswith("?: (")}  # fmt: skip
    explained = {"security.W008", "security.W021"}
    assert warnings <= explained, output
    readme = (ROOT / "README.md").read_text()
    for code in warnings:
        assert code in readme


def deploy_check(unset: tuple[str, ...] = (), **settings: str) -> str:
    left_out = ("DJANGO_ALLOW_ASYNC_UNSAFE", *unset)
    env = {
        **{k: v for k, v in os.environ.items() if k not in left_out},
        "DJANGO_SETTINGS_MODULE": "smsportal.settings",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "sms.example.ru",
        **settings,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    return result.stdout + result.stderr


@pytest.mark.skipif((ROOT / ".env").exists(), reason="a local .env sets them")
def test_the_embedded_defaults_are_named_with_what_to_set():
    """The development key (Django's W009 does not know it), SQLite, the file-system
    broker and a per-process cache: all run, none safely in production."""
    output = deploy_check(
        unset=("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL")
    )

    for code, hint in [
        ("smsportal.E110", "Set SECRET_KEY"),
        ("smsportal.W111", "Set DATABASE_URL"),
        ("smsportal.W112", "Set CELERY_BROKER_URL"),
        ("smsportal.E113", "Set CACHE_URL"),
    ]:
        assert code in output, output
        assert hint in output
        assert code in (ROOT / "README.md").read_text()

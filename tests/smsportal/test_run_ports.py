"""`make run` on other ports: the demo's simulator and callback URLs follow them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_URLS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SMSPORTAL_SIMULATOR_URL, s.SMSPORTAL_CALLBACK_BASE_URL)"
)


def urls(**env: str) -> list[str]:
    environ = {
        k: v for k, v in os.environ.items()
        if not k.startswith("SMSPORTAL_") or k == "SMSPORTAL_VAR_DIR"
    }  # fmt: skip
    environ |= {"DJANGO_SETTINGS_MODULE": "smsportal.settings", **env}
    out = subprocess.run(
        [sys.executable, "-c", PRINT_URLS],
        cwd=ROOT, env=environ, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.split()


def test_the_demo_urls_follow_the_ports_make_run_serves_on():
    assert urls() == ["http://127.0.0.1:8025", "http://127.0.0.1:8000"]
    assert urls(SMSPORTAL_PORT="8100", SMSPORTAL_SIMULATOR_PORT="8125") == [
        "http://127.0.0.1:8125",
        "http://127.0.0.1:8100",
    ]
    given = urls(SMSPORTAL_PORT="8100", SMSPORTAL_CALLBACK_BASE_URL="https://sms.ex")
    assert given[1] == "https://sms.ex"  # a URL given outright wins

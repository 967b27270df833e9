import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_check_has_only_the_warnings_explained_in_readme():
    env = {
        # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for themselves; production never does.
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "smsportal.settings",
        "DEBUG": "false",
        "SECRET_KEY": "x" * 20 + "Q9w8E7r6T5y4U3i2O1p0-aSdFgHjKlZxCvBnM",
        "ALLOWED_HOSTS": "sms.example.ru",
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

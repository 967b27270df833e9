"""What a fresh Django process has loaded after some code ran: memory guards for
libraries that cost every web and worker process tens of megabytes."""

import subprocess
import sys


def loads_module(code: str, prefix: str) -> bool:
    """Whether a module named `prefix` (or below it) is loaded after django.setup()
    and `code` run in a new interpreter."""
    script = (
        "import django, os, sys\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'smsportal.settings')\n"
        "django.setup()\n"
        f"{code}\n"
        f"print(any(m == {prefix!r} or m.startswith({prefix + '.'!r}) "
        "for m in sys.modules))\n"
    )
    answer = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    return answer == "True"

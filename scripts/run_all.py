"""Run web server, Celery worker, Celery beat and the gateway simulator together.

Used by `make run`. Ctrl-C (or SIGTERM) stops every process.
"""

import importlib.util
import os
import signal
import subprocess
import sys
import time

PYTHON = sys.executable
HOST = os.environ.get("SMSPORTAL_HOST", "127.0.0.1")
PORT = os.environ.get("SMSPORTAL_PORT", "8000")
SIMULATOR_PORT = os.environ.get("SMSPORTAL_SIMULATOR_PORT", "8025")


def commands() -> dict[str, list[str]]:
    procs = {
        "web": [PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"],
        "worker": [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "smsportal",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
        ],
        "beat": [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "smsportal",
            "beat",
            "--loglevel",
            "INFO",
        ],
    }
    if importlib.util.find_spec("providers.simulator") is not None:
        procs["simulator"] = [
            PYTHON,
            "-m",
            "providers.simulator",
            "--port",
            SIMULATOR_PORT,
        ]
    return procs


def main() -> int:
    running: dict[str, subprocess.Popen] = {}
    for name, cmd in commands().items():
        running[name] = subprocess.Popen(cmd)
        sys.stderr.write(f"[run] started {name} (pid {running[name].pid})\n")
    sys.stderr.write(f"[run] dashboard: http://{HOST}:{PORT}/  (Ctrl-C stops all)\n")

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, proc in running.items():
            if proc.poll() is not None:
                sys.stderr.write(f"[run] {name} exited with {proc.returncode}\n")
                exit_code, stopping = proc.returncode or 1, True
                break
        time.sleep(0.5)
    for proc in running.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in running.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

"""Run web server, Celery worker, Celery beat and the gateway simulator together.

Used by `make run`. Ctrl-C (or SIGTERM) stops every process.
"""

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import environ

ROOT = Path(__file__).resolve().parent.parent
# As smsportal.settings does, and first: SMSPORTAL_PORT or SMSPORTAL_VAR_DIR set in
# .env reached the settings but not this script, so the dashboard served on 8000
# with callback URLs on the other port, and the simulator read no demo accounts.
# The processes started below inherit what it sets.
environ.Env.read_env(ROOT / ".env", overwrite=False)

PYTHON = sys.executable
HOST = os.environ.get("SMSPORTAL_HOST", "127.0.0.1")
PORT = os.environ.get("SMSPORTAL_PORT", "8000")
SIMULATOR_PORT = os.environ.get("SMSPORTAL_SIMULATOR_PORT", "8025")
WORKER_THREADS = os.environ.get("SMSPORTAL_WORKER_THREADS", "8")
# Same rule as smsportal.settings.VAR_DIR (empty means the default, not the current
# directory); `load_demo` writes the accounts file there.
VAR_DIR = Path(os.environ.get("SMSPORTAL_VAR_DIR") or ROOT / "var")
SIMULATOR_ACCOUNTS = VAR_DIR / "simulator-accounts.json"


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
            # Threads of one process: the embedded cache (local memory) is the
            # process's own, and the account's rate limit and the pumps' leases
            # live in it; two worker processes each let the full rate through.
            "--pool",
            "threads",
            # A campaign's pump holds a thread for up to 50 s (dispatch.PUMP_SECONDS):
            # with 2, three campaigns, status polling and beat's tick queued behind
            # one another, and a pause or a scheduled start was minutes late.
            "--concurrency",
            WORKER_THREADS,
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
            "--accounts",
            str(SIMULATOR_ACCOUNTS),
        ]
    return procs


def environment(name: str) -> dict[str, str]:
    """The process's environment. The development server serves each request in a
    thread of its own: a connection kept for CONN_MAX_AGE stays with a thread that has
    ended, and PostgreSQL ran out of connections under the simulator's callbacks."""
    if name == "web":
        return {**os.environ, "CONN_MAX_AGE": "0"}
    return dict(os.environ)


def read_balances_when_simulator_is_up(timeout: float = 30.0) -> None:
    """Check every active account once the simulator listens, so balances show at once.

    Beat refreshes them every ten minutes after that.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", int(SIMULATOR_PORT)), 1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        sys.stderr.write("[run] simulator not up: balances are read by beat later\n")
        return
    try:
        subprocess.run(
            [PYTHON, "manage.py", "gateway_check", "--all"], check=False, timeout=120
        )
    except subprocess.TimeoutExpired:
        sys.stderr.write("[run] gateway check timed out: beat reads balances later\n")


def main() -> int:
    running: dict[str, subprocess.Popen] = {}
    for name, cmd in commands().items():
        running[name] = subprocess.Popen(cmd, env=environment(name))
        sys.stderr.write(f"[run] started {name} (pid {running[name].pid})\n")
    sys.stderr.write(f"[run] dashboard: http://{HOST}:{PORT}/  (Ctrl-C stops all)\n")
    if "simulator" in running:
        threading.Thread(target=read_balances_when_simulator_is_up, daemon=True).start()

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

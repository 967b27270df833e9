"""Own PostgreSQL database for a benchmark: created and migrated when missing.

Benchmarks never touch the development or test databases: each one names its own
database on the server of DATABASE_URL (default postgres://root@127.0.0.1:5432/).
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def simulator_process(
    port: int,
    accounts: list[dict],
    *args: str,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.Popen:
    """`python -m providers.simulator` on `port` with these gateway accounts and
    command-line `args`, once it takes connections (the bench exits if it never
    does)."""
    path = Path(tempfile.mkdtemp()) / "accounts.json"
    path.write_text(json.dumps(accounts))
    proc = subprocess.Popen(
        [sys.executable, "-m", "providers.simulator", "--port", str(port),
         "--accounts", str(path), *args],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=preexec_fn,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("the simulator did not start")


def database_url(name: str) -> str:
    base = os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/smsportal")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("benchmarks need PostgreSQL: set DATABASE_URL")
    return urlunsplit(parts._replace(path="/" + name))


def setup(name: str) -> str:
    """Create (if needed), point Django at, and migrate the benchmark database."""
    import psycopg

    url = database_url(name)
    admin = urlunsplit(
        urlsplit(url.replace("postgres://", "postgresql://", 1))._replace(
            path="/postgres"
        )
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    announce_machine()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsportal.settings")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def announce_machine() -> None:
    """Print the machine reference once (subprocesses inherit it and stay quiet)."""
    if not os.environ.get("SMSPORTAL_BENCH_MACHINE"):
        os.environ["SMSPORTAL_BENCH_MACHINE"] = machine_reference()
        print(os.environ["SMSPORTAL_BENCH_MACHINE"], flush=True)


def best_ms(run, times: int = 3) -> float:
    """The fastest of `times` runs of `run`, in milliseconds."""
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        spent.append(time.perf_counter() - started)
    return min(spent) * 1000


def machine_reference() -> str:
    """Two fixed workloads, timed: figures taken on different days (the same kind of
    machine has run the same code two to three times slower) compare through them."""
    import psycopg

    python_ms = best_ms(lambda: sum(i * i for i in range(1_000_000)))
    server = urlsplit(
        database_url("postgres").replace("postgres://", "postgresql://", 1)
    )
    with psycopg.connect(urlunsplit(server)) as conn:
        query = "SELECT sum(g) FROM generate_series(1, 3000000) AS g"
        server_ms = best_ms(lambda: conn.execute(query).fetchone())
    return (
        f"machine: {os.cpu_count()} cores; reference Python loop {python_ms:.0f} ms, "
        f"reference PostgreSQL query {server_ms:.0f} ms (compare runs by these)"
    )


def cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """CPU time (user + system) a process on this machine has used; 0 if it is gone.
    With `reaped_children`, add what its children that have ended used."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds() -> float:
    """CPU time of the whole local PostgreSQL server: every process it runs now (the
    backends, WAL writer, checkpointer) and the backends that have ended."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" not in text:
            continue
        parent = int(text.rsplit(")", 1)[1].split()[1])
        is_postmaster = "(postgres)" not in _stat_text(parent)
        total += cpu_seconds(int(stat.parent.name), reaped_children=is_postmaster)
    return total


def _stat_text(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""

"""Own PostgreSQL database for a benchmark: created and migrated when missing.

Benchmarks never touch the development or test databases: each one names its own
database on the server of DATABASE_URL (default postgres://root@127.0.0.1:5432/).
"""

import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


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


def machine_reference() -> str:
    """Two fixed workloads, timed: figures taken on different days (the same kind of
    machine has run the same code two to three times slower) compare through them."""
    import psycopg

    def best(run) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        return min(times) * 1000

    python_ms = best(lambda: sum(i * i for i in range(1_000_000)))
    server = urlsplit(
        database_url("postgres").replace("postgres://", "postgresql://", 1)
    )
    with psycopg.connect(urlunsplit(server)) as conn:
        query = "SELECT sum(g) FROM generate_series(1, 3000000) AS g"
        server_ms = best(lambda: conn.execute(query).fetchone())
    return (
        f"machine: {os.cpu_count()} cores; reference Python loop {python_ms:.0f} ms, "
        f"reference PostgreSQL query {server_ms:.0f} ms (compare runs by these)"
    )

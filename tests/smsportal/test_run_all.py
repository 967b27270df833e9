"""`make run`'s process list (scripts/run_all.py)."""

import importlib.util
from pathlib import Path

RUN_ALL = Path(__file__).resolve().parents[2] / "scripts" / "run_all.py"


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", RUN_ALL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_embedded_worker_is_one_process_so_its_cache_is_shared():
    """make run keeps the cache in local memory (no CACHE_URL): the rate limit and
    the pumps' leases live there. Two prefork processes each had their own, and an
    account limited to 1 message a second sent 2."""
    worker = _run_all().commands()["worker"]
    pool = worker[worker.index("--pool") + 1]

    assert pool in ("threads", "solo")


def test_the_development_server_keeps_no_connections(monkeypatch):
    """runserver serves each request in a thread of its own: connections kept for
    CONN_MAX_AGE stayed with ended threads until PostgreSQL refused new clients."""
    monkeypatch.setenv("CONN_MAX_AGE", "60")
    run_all = _run_all()

    assert run_all.environment("web")["CONN_MAX_AGE"] == "0"
    assert run_all.environment("worker")["CONN_MAX_AGE"] == "60"


def test_the_worker_has_threads_for_several_campaigns_at_once(monkeypatch):
    monkeypatch.delenv("SMSPORTAL_WORKER_THREADS", raising=False)
    worker = _run_all().commands()["worker"]

    assert int(worker[worker.index("--concurrency") + 1]) >= 8

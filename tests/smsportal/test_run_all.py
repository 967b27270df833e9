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

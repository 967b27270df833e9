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


def _run_all_in(root: Path):
    """run_all.py as it runs from a checkout at `root` (its .env beside it)."""
    (root / "scripts").mkdir()
    copy = root / "scripts" / "run_all.py"
    copy.write_text(RUN_ALL.read_text())
    spec = importlib.util.spec_from_file_location("run_all_copy", copy)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_run_reads_its_ports_and_var_dir_from_env_file(tmp_path, monkeypatch):
    """README: everything comes from the environment or .env. The settings read
    SMSPORTAL_PORT from .env and made callback URLs on it while the dashboard
    served on 8000, and the simulator looked for the demo accounts in var/."""
    for name in ("SMSPORTAL_PORT", "SMSPORTAL_SIMULATOR_PORT", "SMSPORTAL_VAR_DIR"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text(
        f"SMSPORTAL_PORT=8100\nSMSPORTAL_SIMULATOR_PORT=8125\n"
        f"SMSPORTAL_VAR_DIR={tmp_path / 'state'}\n"
    )

    procs = _run_all_in(tmp_path).commands()

    assert procs["web"][procs["web"].index("runserver") + 1] == "127.0.0.1:8100"
    simulator = procs["simulator"]
    assert simulator[simulator.index("--port") + 1] == "8125"
    accounts = simulator[simulator.index("--accounts") + 1]
    assert accounts == str(tmp_path / "state" / "simulator-accounts.json")


def test_an_exported_variable_wins_over_env_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SMSPORTAL_PORT", "8200")
    (tmp_path / ".env").write_text("SMSPORTAL_PORT=8100\n")

    web = _run_all_in(tmp_path).commands()["web"]

    assert web[web.index("runserver") + 1] == "127.0.0.1:8200"


def test_an_empty_var_dir_means_the_default_as_in_the_settings(tmp_path, monkeypatch):
    """SMSPORTAL_VAR_DIR= (as .env.example has it) meant the current directory here
    and var/ in the settings: the simulator read no demo accounts."""
    monkeypatch.setenv("SMSPORTAL_VAR_DIR", "")

    accounts = _run_all_in(tmp_path).SIMULATOR_ACCOUNTS

    assert accounts == tmp_path / "var" / "simulator-accounts.json"

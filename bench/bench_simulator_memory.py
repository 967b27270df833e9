"""Memory of a long-running gateway simulator: a million Webcom messages through it.

Starts `python -m providers.simulator` as its own process (as `make run` does), posts
N recipients to its Webcom XML API in batches of 500 (each with a client_id_sms, as
the dashboard sends them), and prints the simulator's resident memory every tenth of
the way, at the end, and its peak. Extra simulator options go through
`--simulator-args`, e.g. a short memory window to see it hold within one run:

    .venv/bin/python bench/bench_simulator_memory.py --simulator-args="--forget-after 0.5"

A 900,000-message campaign made the simulator 1.4 GB: every message it took, the index
by client id and the list of submissions were kept for good.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import time
from pathlib import Path

import httpx
from benchdb import free_port, simulator_process

LOGIN, PASSWORD = "bench", "bench-password"


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident, peak resident) MB of a process."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _sep, value = line.partition(":")
        fields[name] = value.strip()
    return (
        int(fields["VmRSS"].split()[0]) / 1024,
        int(fields["VmHWM"].split()[0]) / 1024,
    )


def start(port: int, extra: list[str]) -> subprocess.Popen:
    return simulator_process(
        port,
        [{"gateway": "webcom", "login": LOGIN, "password": PASSWORD,
          "balance": "100000000000"}],
        "--sent-delay", "0.2", "--delivery-delay", "0.5", *extra,
    )  # fmt: skip


def batch_body(first: int, size: int) -> bytes:
    abonents = "".join(
        f'<abonent phone="7916{n:07d}" number_sms="{n - first + 1}" '
        f'client_id_sms="{n}" />'
        for n in range(first, first + size)
    )
    return (
        '<?xml version="1.0" encoding="utf-8" ?><request>'
        '<message type="sms"><sender>SMSPORTAL</sender><text>Скидка 10% до пятницы'
        f'</text>{abonents}</message><security><login value="{LOGIN}" />'
        f'<password value="{PASSWORD}" /></security></request>'
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--simulator-args", default="")
    args = parser.parse_args()
    extra = shlex.split(args.simulator_args)
    port = free_port()
    proc = start(port, extra)
    url = f"http://127.0.0.1:{port}/webcom/xml"
    step = max(args.messages // 10, args.batch)
    started = time.perf_counter()
    try:
        print(f"start: {memory_mb(proc.pid)[0]:.0f} MB "
              f"(simulator options: {' '.join(extra) or 'defaults'})")  # fmt: skip
        with httpx.Client(timeout=60) as client:
            for first in range(0, args.messages, args.batch):
                size = min(args.batch, args.messages - first)
                answer = client.post(url, content=batch_body(first, size))
                answer.raise_for_status()
                done = first + size
                if done % step == 0 or done == args.messages:
                    rss, _peak = memory_mb(proc.pid)
                    print(f"{done:>9,} messages: {rss:7.0f} MB "
                          f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
        time.sleep(2)  # the last ones delivered, and a sweep
        rss, peak = memory_mb(proc.pid)
        print(f"end: {rss:.0f} MB resident, peak {peak:.0f} MB, "
              f"{args.messages / (time.perf_counter() - started):,.0f} msg/s")  # fmt: skip
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()

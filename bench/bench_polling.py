"""Delivery reports of a big Webcom campaign: by polling, and by the simulator's callbacks.

    python bench/bench_polling.py [--messages N] [--callback-timeout S] [--skip-callbacks]

Seeds its own database (smsportal_bench_polling) with N submitted (queued) messages of
one Webcom XML account, and a gateway simulator, in a process of its own, with the same
N messages, which it delivers at once. Then:

1. Polling: `campaigns.polling.statuses_poll` run after run (the account's turn freed
   between them) until every message is delivered. Printed: reports a second while the
   runs go back to back, and at beat's pace (a run every 30 s, or every minute where a
   run keeps the account's turn that long), which is what a user waits for.
2. Callbacks: the simulator pushes the reports to `gunicorn smsportal.wsgi` (2 gthread
   workers of 8 threads, as README.md recommends), through the short way of
   `campaigns.callback_wsgi`; timed from the simulator's start until the database has
   every message delivered (or `--callback-timeout` passes: then the rate so far).

Figures (2 cores, shared machine, reference loop 30-35 ms, query 250-330 ms), 100,000
messages, on 2026-12-08:
  before (a run asked 20 batches of 100 and kept the account's turn a minute; the
  simulator posted one callback per message and status, one at a time, each on a new
  connection): polling 5,265 reports/s back to back but 34/s at beat's pace (50 runs,
  49 minutes); callbacks 347/s (41,756 settled in 120 s; 10-15/s against `make run`'s
  development server, the figure that started this).
  after: polling 6,134/s, one run of 16 s (so at beat's pace too); callbacks 11,976/s
  (100,000 in 8.4 s: 8 senders, Webcom's webhook carrying 100 states).
"""

import argparse
import multiprocessing
import os
import secrets
import sys
import tempfile
import time

from bench_webhook import gunicorn_start, gunicorn_stop, gunicorn_wait
from benchdb import free_port, setup

TOKEN = "bench-polling-" + "x" * 26  # the account's callback token (URL secret)
FIRST_ID = 800_000_000  # the simulator's ids for our messages
LOGIN, PASSWORD = "bench", "bench-password"
BEAT_SECONDS = 30  # smsportal.celery: campaigns-statuses-poll


def run_simulator(port: int, count: int, callback_url: str) -> None:
    """The simulator process: the campaign's messages taken, delivered at once."""
    from providers.simulator import SimAccount, Simulator, SimulatorState
    from providers.simulator.state import SimMessage

    state = SimulatorState(sent_delay=0.0, delivery_delay=0.0)
    state.add_account(
        SimAccount("webcom", LOGIN, PASSWORD, status_callback_url=callback_url)
    )
    for n in range(count):
        state.submit(
            SimMessage(
                id=str(FIRST_ID + n), gateway="webcom", login=LOGIN,
                phone=f"7917{n:07d}", text="x", sender="S", reference=str(n),
            ),
            charge=False,
        )  # fmt: skip
    Simulator(state, port=port).serve_forever()


def simulator_start(count: int, callback_url: str = ""):
    import httpx

    port = free_port()
    context = multiprocessing.get_context("spawn")  # no Django, no open connections
    process = context.Process(
        target=run_simulator, args=(port, count, callback_url), daemon=True
    )
    process.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/_control/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    sys.exit("the simulator did not start")


def seed(count: int, base_url: str):
    from django.db import connection

    from campaigns.models import Campaign
    from providers.models import ProviderAccount

    with connection.cursor() as cursor:
        # Accounts too: their credentials were encrypted with an earlier run's key.
        cursor.execute("TRUNCATE campaigns_message, campaigns_campaignstatuscount, "
                       "campaigns_campaignoperatorcount, campaigns_campaignfailurecount, "
                       "campaigns_campaigndeliverycount, "
                       "campaigns_orphanstatusreport, campaigns_campaign, "
                       "providers_provideraccount CASCADE")  # fmt: skip
    account = ProviderAccount.objects.create(
        name="Bench polling", kind="webcom", dialect="xml", base_url=base_url,
        login=LOGIN, password=PASSWORD, callback_token=TOKEN,
    )  # fmt: skip
    campaign = Campaign.objects.create(name="Polling", account=account, text="x",
                                       state=Campaign.State.SENDING)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO campaigns_message (campaign_id, account_id, phone, text, sender,
                channel, segments, encoding, gateway_message_id, status, reason,
                vendor_code, vendor_text, operator, planned_at, submitted_at, attempts)
            SELECT %s, %s, '+7917' || lpad(g::text, 7, '0'), 'x', 'S', 'sms', 1, 'gsm7',
                   (%s + g)::text, 'queued', '', '', '', '', now() - interval '5 min',
                   now() - interval '5 min', 1
            FROM generate_series(0, %s - 1) g
            """,
            [campaign.pk, account.pk, FIRST_ID, count],
        )
        cursor.execute("VACUUM ANALYZE campaigns_message")
    return account


def settled(account_id: int) -> int:
    """Messages with their outcome (delivered, or for numbers ending 9990 and 9991
    undelivered: the simulator's fates)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM campaigns_message WHERE account_id = %s"
                       " AND status NOT IN ('queued', 'sent')", [account_id])  # fmt: skip
        return cursor.fetchone()[0]


def bench_polling(count: int) -> None:
    from django.core.cache import cache

    from campaigns.polling import statuses_poll
    from campaigns.status_turns import TURN_SECONDS, polling_turn_take

    simulator, url = simulator_start(count)
    try:
        account = seed(count, f"{url}/webcom")
        cache.clear()
        runs: list[tuple[int, float, bool]] = []  # reports, seconds, turn left
        started = time.perf_counter()
        while settled(account.pk) < count and len(runs) < 1000:
            run_started = time.perf_counter()
            applied = statuses_poll()
            spent = time.perf_counter() - run_started
            if not applied:
                break
            runs.append((applied, spent, polling_turn_take(account.pk)))
            cache.clear()  # the next run as if at beat's next tick
        elapsed = time.perf_counter() - started
    finally:
        simulator.kill()
    done = settled(account.pk)
    # At beat's pace: a run each tick, or each turn where the run kept it; the
    # last one counts until it ends.
    paced = sum(
        max(spent, BEAT_SECONDS if left else max(BEAT_SECONDS, TURN_SECONDS))
        for _applied, spent, left in runs[:-1]
    ) + (runs[-1][1] if runs else 0.0)
    longest = max((spent for _a, spent, _l in runs), default=0.0)
    print(f"polling: {done:,} of {count:,} settled in {len(runs)} run(s), "
          f"{elapsed:.1f} s back to back ({done / elapsed:,.0f} reports/s, "
          f"longest run {longest:.1f} s); at beat's pace {paced:.0f} s "
          f"({done / max(paced, 1e-9):,.0f} reports/s)")  # fmt: skip


def bench_callbacks(count: int, timeout: float) -> None:
    from django.db import connection

    port = free_port()
    callback_url = f"http://127.0.0.1:{port}/callbacks/{TOKEN}/status/"
    account = seed(count, "http://127.0.0.1:9/webcom")
    connection.close()
    with tempfile.TemporaryFile() as log:
        server = gunicorn_start(port, 2, 8, log)
        try:
            gunicorn_wait(port, server)
            started = time.perf_counter()
            simulator, _url = simulator_start(count, callback_url)
            done = 0
            try:
                while time.perf_counter() - started < timeout:
                    done = settled(account.pk)
                    if done >= count:
                        break
                    time.sleep(0.5)
                elapsed = time.perf_counter() - started
            finally:
                simulator.kill()
        finally:
            gunicorn_stop(server)
    note = "" if done >= count else f" (stopped after {timeout:.0f} s)"
    print(f"callbacks to gunicorn -w 2 -k gthread --threads 8: {done:,} of "
          f"{count:,} settled in {elapsed:.1f} s{note}, {done / elapsed:,.0f} "
          f"reports/s (the simulator's start and seeding included)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--callback-timeout", type=float, default=300.0)
    parser.add_argument("--skip-callbacks", action="store_true")
    parser.add_argument("--skip-polling", action="store_true")
    args = parser.parse_args()
    # A production web process, but the simulator posts plain HTTP on loopback.
    from cryptography.fernet import Fernet

    for name, value in {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SMSPORTAL_FIELD_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }.items():
        os.environ.setdefault(name, value)
    setup("smsportal_bench_polling")
    if not args.skip_polling:
        bench_polling(args.messages)
    if not args.skip_callbacks:
        bench_callbacks(args.messages, args.callback_timeout)


if __name__ == "__main__":
    main()

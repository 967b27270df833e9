"""Applying 1,000,000 status updates to 1,000,000 messages.

    python bench/bench_statuses.py [--messages N] [--batch N] [--appliers N]
                                   [--spread-times]

Seeds its own database (smsportal_bench_statuses) with N queued messages, then applies
one DELIVERED report per message through campaigns.statuses.message_statuses_apply in
batches (as callbacks and polling do), and checks the trigger-kept counts afterwards.
It does this twice: with one applier (a single polling task), then, on a fresh seed,
with `--appliers` processes sharing the batches (as web and Celery workers receive
reports side by side in production). It prints the share of heap-only updates (new
row versions written without index entries; migration campaigns.0012 is about them).
With `--spread-times` each report carries its own delivery time (within an hour, as
a polled batch does) instead of one shared time.
Goal (issue 6): <= 15 s for 1,000,000.
"""

import argparse
import multiprocessing
import time
from datetime import timedelta

from benchdb import cpu_seconds, setup


def seed(count: int):
    from django.db import connection

    from campaigns.models import Campaign
    from providers.models import ProviderAccount

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE campaigns_message, campaigns_campaignstatuscount, "
                       "campaigns_campaignoperatorcount, campaigns_campaignfailurecount, "
                       "campaigns_campaigndeliverycount, "
                       "campaigns_orphanstatusreport, campaigns_campaign CASCADE")  # fmt: skip
    account, _ = ProviderAccount.objects.get_or_create(
        name="Bench",
        defaults={"kind": "webcom", "base_url": "http://127.0.0.1:9/webcom"},
    )
    campaign = Campaign.objects.create(name="Statuses", account=account, text="x",
                                       state=Campaign.State.SENDING)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO campaigns_message (campaign_id, account_id, phone, text, sender,
                channel, segments, encoding, gateway_message_id, status, reason,
                vendor_code, vendor_text, operator, planned_at, submitted_at, attempts)
            SELECT %s, %s, '+7917' || lpad(g::text, 7, '0'), 'x', 'S', 'sms', 1, 'gsm7',
                   'g' || g, 'queued', '', '', '', '', now(), now(), 1
            FROM generate_series(1, %s) g
            """,
            [campaign.pk, account.pk, count],
        )
        # Sent messages wait a while for their reports: vacuumed and checkpointed, so
        # the timing does not also pay for the seeding's hint bits and WAL.
        cursor.execute("VACUUM ANALYZE campaigns_message")
        cursor.execute("CHECKPOINT")
    return account, campaign


def apply_share(
    account_id: int, starts: list[int], batch: int, last: int, spread: bool = False
) -> tuple[int, float]:
    """Apply DELIVERED reports for the batches beginning at `starts`; returns the
    updates and the CPU seconds their server backend spent (its own process, so
    other work on a shared machine's server is not counted)."""
    from django.db import connection
    from django.utils import timezone

    from campaigns.statuses import message_statuses_apply
    from providers.base import DeliveryStatus, StatusReport
    from providers.models import ProviderAccount

    account = ProviderAccount.objects.get(pk=account_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    cpu_before = cpu_seconds(backend)
    now = timezone.now()
    applied = 0
    for start in starts:
        reports = [
            StatusReport(
                f"g{i}",
                DeliveryStatus.DELIVERED,
                vendor_code="deliver",
                occurred_at=now - timedelta(seconds=i % 3600) if spread else now,
            )  # fmt: skip
            for i in range(start, min(start + batch, last + 1))
        ]
        applied += message_statuses_apply(account=account, reports=reports).updated
    cpu = cpu_seconds(backend) - cpu_before
    connection.close()
    return applied, cpu


def timed_apply(
    account_id: int, messages: int, batch: int, appliers: int, spread: bool = False
):
    """(applied, seconds, server backends' CPU seconds) with the batches dealt
    round-robin to `appliers` processes."""
    from django.db import connection

    starts = list(range(1, messages + 1, batch))
    started = time.perf_counter()
    if appliers == 1:
        applied, cpu = apply_share(account_id, starts, batch, messages, spread)
    else:
        connection.close()  # each process opens its own
        context = multiprocessing.get_context("fork")
        with context.Pool(appliers) as pool:
            shares = [starts[k::appliers] for k in range(appliers)]
            results = pool.starmap(
                apply_share,
                [(account_id, s, batch, messages, spread) for s in shares],
            )
        applied, cpu = sum(r[0] for r in results), sum(r[1] for r in results)
    return applied, time.perf_counter() - started, cpu


def message_updates() -> tuple[int, int]:
    """(row updates, of which heap-only) of the message table, as the server counts."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
                       " WHERE relname = 'campaigns_message'")  # fmt: skip
        return cursor.fetchone()


def heap_only_share(before: tuple[int, int], applied: int) -> float:
    """Share of the run's updates that were heap-only (no index entries written).
    A backend reports its counts when it ends: wait until all of them have."""
    from django.db import connection

    connection.close()
    deadline = time.monotonic() + 5
    while True:
        updates, hot = message_updates()
        if updates - before[0] >= applied or time.monotonic() > deadline:
            return (hot - before[1]) / max(1, updates - before[0])
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--appliers", type=int, default=2)
    parser.add_argument("--spread-times", action="store_true")
    args = parser.parse_args()
    setup("smsportal_bench_statuses")
    from campaigns.counts import campaign_counts
    from campaigns.statuses import message_statuses_apply
    from providers.base import DeliveryStatus, StatusReport

    for appliers in sorted({1, args.appliers}):
        account, campaign = seed(args.messages)
        before = message_updates()
        applied, elapsed, cpu = timed_apply(
            account.pk, args.messages, args.batch, appliers, args.spread_times
        )
        hot = heap_only_share(before, applied)
        counts = campaign_counts(campaign_id=campaign.pk).by_status
        print(f"{appliers} applier(s): {applied:,} updates in {elapsed:.2f} s "
              f"({applied / elapsed:,.0f}/s), server CPU {cpu:.2f} s "
              f"({cpu * 1_000_000 / max(applied, 1):.2f} s per 1M), batches of {args.batch:,}, "
              f"{hot:.0%} heap-only; counts {counts}; "
              f"goal <= 15 s: {'met' if elapsed <= 15 else 'NOT met'}")  # fmt: skip
    started = time.perf_counter()
    again = 0
    for start in range(1, min(args.messages, 100_000) + 1, args.batch):
        reports = [StatusReport(f"g{i}", DeliveryStatus.SENT)
                   for i in range(start, start + args.batch)]  # fmt: skip
        again += message_statuses_apply(account=account, reports=reports).updated
    print(f"late 'sent' reports for 100,000 delivered messages: {again} changed "
          f"in {time.perf_counter() - started:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()

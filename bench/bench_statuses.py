"""Applying 1,000,000 status updates to 1,000,000 messages.

    python bench/bench_statuses.py [--messages N] [--batch N]

Seeds its own database (smsportal_bench_statuses) with N queued messages, then applies
one DELIVERED report per message through campaigns.statuses.message_statuses_apply in
batches (as callbacks and polling do), and checks the trigger-kept counts afterwards.
Goal (issue 6): <= 15 s for 1,000,000.
"""

import argparse
import time

from benchdb import setup


def seed(count: int):
    from django.db import connection

    from campaigns.models import Campaign
    from providers.models import ProviderAccount

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE campaigns_message, campaigns_campaignstatuscount, "
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
        cursor.execute("ANALYZE campaigns_message")
    return account, campaign


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    setup("smsportal_bench_statuses")
    from django.utils import timezone

    from campaigns.counts import campaign_counts
    from campaigns.statuses import message_statuses_apply
    from providers.base import DeliveryStatus, StatusReport

    account, campaign = seed(args.messages)
    now = timezone.now()
    started = time.perf_counter()
    applied = 0
    for start in range(1, args.messages + 1, args.batch):
        reports = [
            StatusReport(
                f"g{i}",
                DeliveryStatus.DELIVERED,
                vendor_code="deliver",
                occurred_at=now,
            )  # fmt: skip
            for i in range(start, min(start + args.batch, args.messages + 1))
        ]
        applied += message_statuses_apply(account=account, reports=reports).updated
    elapsed = time.perf_counter() - started
    counts = campaign_counts(campaign_id=campaign.pk).by_status
    print(f"applied {applied:,} updates in {elapsed:.2f} s ({applied / elapsed:,.0f}/s), "
          f"batches of {args.batch:,}; counts {counts}; goal <= 15 s: "
          f"{'met' if elapsed <= 15 else 'NOT met'}")  # fmt: skip
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

"""Campaign pages while a big campaign sends: detail, progress fragment, list,
dashboard and the campaign's messages table.

    python bench/bench_campaign_page.py [--messages N] [--requests N]

Works in its own PostgreSQL database (`smsportal_bench_campaign_page` on the server of
DATABASE_URL), which bench/benchdb.py creates and migrates when missing. Seeds one
campaign of N messages (default 1,000,000) caught in the middle of its send, set-based
(one INSERT ... SELECT generate_series, so the count triggers fire as in production):
two fifths handed over (delivered, or queued at the gateway), 5,000 claimed by a pump
and not answered yet, a few in doubt (claimed 20 minutes ago, never answered), and
the rest pending, not claimed yet; plus some small finished campaigns for the list.
Then times each page with Django's test client (server time, in process), logged in
as a manager: the first request alone (cold) and `--requests` more, printing the
median and the worst in ms and the number of queries of one request.
Goal: each page well under 300 ms (the progress fragment is polled every 2 s by
every open page of the campaign; it once took 1-3.5 s at this size).
"""

import argparse
import os
import statistics
import sys
import time

from benchdb import setup

BENCH_DB = "smsportal_bench_campaign_page"
BIG_NAME = "Bench sending campaign"
SMALL_CAMPAIGNS = 30
SMALL_ROWS = 2_000
HANDED_OVER_PART = 0.4
CLAIMED_IN_FLIGHT = 5_000
IN_DOUBT = 5
GOAL_MS = 300.0
TEXT = "Скидка 20% по промокоду ЛЕТО до конца недели"

# Every message as the expansion writes it: pending, not claimed.
INSERT_SQL = """
INSERT INTO campaigns_message (
    campaign_id, account_id, phone, text, sender, channel, segments, encoding,
    estimated_cost, gateway_message_id, status, reason, vendor_code, vendor_text,
    operator, planned_at, attempts
)
SELECT %(campaign)s, %(account)s,
       -- Numbers in no relation to the order of sending (g * 7919 mod rows runs
       -- over every value once): the first pages by number mix every status.
       '+79' || lpad((%(offset)s + (g::bigint * 7919) %% %(rows)s)::text, 9, '0'),
       %(text)s, 'SHOP', 'sms', 1, 'ucs2', 2.5, '', 'pending', '', '', '', '',
       %(start)s, 0
FROM generate_series(1, %(rows)s) AS g
"""
# The pump's two statements, as campaigns.sending writes them: the claim (claimed_at,
# attempts) and the record (status, gateway id, submitted_at), over the first rows
# by id (the order of the claims: one planned time for all). The record moves them
# out of the pending index, whose entries for them stay until a vacuum.
CLAIM_SQL = """
UPDATE campaigns_message SET claimed_at = %(at)s, attempts = attempts + 1
WHERE id IN (SELECT id FROM campaigns_message WHERE campaign_id = %(campaign)s
             AND is_pending AND claimed_at IS NULL ORDER BY id LIMIT %(rows)s)
"""
RECORD_SQL = """
UPDATE campaigns_message AS m
SET status = CASE WHEN m.id %% 4 = 0 THEN 'queued' ELSE 'delivered' END,
    gateway_message_id = m.id::text, submitted_at = m.claimed_at, cost = 2.3,
    operator = (ARRAY['МТС', 'Билайн', 'МегаФон', 'Tele2'])[1 + m.id %% 4],
    status_changed_at = m.claimed_at + interval '40 s',
    delivered_at = CASE WHEN m.id %% 4 <> 0 THEN m.claimed_at + interval '40 s' END
WHERE id IN (SELECT id FROM campaigns_message WHERE campaign_id = %(campaign)s
             AND is_pending ORDER BY id LIMIT %(rows)s)
"""


def seed(messages: int) -> int:
    """Seed the campaigns; the sending one's id."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from campaigns.counts import counts_squash
    from campaigns.models import Campaign
    from providers.models import ProviderAccount

    print(f"seeding a sending campaign of {messages:,} messages ...", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE campaigns_message, campaigns_campaignstatuscount, "
            "campaigns_campaignoperatorcount, campaigns_campaignfailurecount, "
            "campaigns_campaigndeliverycount, campaigns_campaignheldcount, "
            "campaigns_hourlytraffic, campaigns_reply, campaigns_campaign CASCADE"
        )
        # Timed as a send leaves the table between two autovacuum runs (reset
        # after the first timing, which then runs after a VACUUM).
        cursor.execute("ALTER TABLE campaigns_message SET (autovacuum_enabled = false)")
    account, _ = ProviderAccount.objects.update_or_create(
        name="Bench webcom",
        defaults={"kind": "webcom", "login": "bench", "password": "bench",
                  "balance": Decimal("12345.60"),
                  "balance_checked_at": timezone.now()},
    )  # fmt: skip
    now = timezone.now()
    for index in range(SMALL_CAMPAIGNS + 1):
        big = index == SMALL_CAMPAIGNS
        start = now - timedelta(hours=1 if big else 24 * (SMALL_CAMPAIGNS - index))
        campaign = Campaign.objects.create(
            name=BIG_NAME if big else f"Bench finished campaign {index + 1}",
            account=account, sender="SHOP", text=TEXT,
            state=Campaign.State.SENDING if big else Campaign.State.COMPLETED,
            launched_at=start, expanded_at=start,
            finished_at=None if big else start + timedelta(hours=1),
            price_per_segment=Decimal("2.50"),
        )  # fmt: skip
        rows = messages if big else SMALL_ROWS
        handed = int(rows * HANDED_OVER_PART) if big else rows
        with connection.cursor() as cursor:
            cursor.execute(
                INSERT_SQL,
                {"campaign": campaign.pk, "account": account.pk,
                 "offset": index * 10_000_000, "text": TEXT, "start": start,
                 "rows": rows},
            )  # fmt: skip
            ids = {"campaign": campaign.pk}
            cursor.execute(CLAIM_SQL, {**ids, "at": start, "rows": handed})
            cursor.execute(RECORD_SQL, {**ids, "rows": handed})
            if big:
                # Claimed 20 minutes ago, never answered: in doubt. Then the
                # batches a pump has out now.
                doubt = now - timedelta(minutes=20)
                cursor.execute(CLAIM_SQL, {**ids, "at": doubt, "rows": IN_DOUBT})
                out = now - timedelta(seconds=5)
                cursor.execute(CLAIM_SQL, {**ids, "at": out, "rows": CLAIMED_IN_FLIGHT})
        print(f"  {campaign.name}: {rows:,} messages", flush=True)
    counts_squash()
    with connection.cursor() as cursor:
        for table in ("campaigns_message", "campaigns_campaignstatuscount"):
            cursor.execute(f"ANALYZE {table}")
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
    return campaign.pk


def manager():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from accounts.roles import MANAGER

    user, _ = get_user_model().objects.get_or_create(
        username="bench-manager", defaults={"is_staff": True}
    )
    user.groups.add(Group.objects.get(name=MANAGER))
    return user


def time_page(client, url: str, requests: int) -> tuple[float, list[float], int, float]:
    """(cold ms, the other runs' ms, queries of one request, its slowest one's ms)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def one() -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
        return elapsed

    cold = one()
    runs = [one() for _ in range(requests)]
    with CaptureQueriesContext(connection) as queries:
        one()
    slowest = max((float(q["time"]) for q in queries.captured_queries), default=0)
    return cold, runs, len(queries), slowest * 1000


def time_pages(client, pages: list[tuple[str, str]], requests: int) -> float:
    """Print each page's figures; the slowest request's ms."""
    print(
        f"{'page':<20} {'cold':>8} {'p50':>8} {'max':>8} {'queries':>8}"
        f" {'slowest':>8}   (ms, {requests} runs; the slowest query of one)"
    )
    worst = 0.0
    for name, url in pages:
        cold, runs, queries, slowest = time_page(client, url, requests)
        worst = max(worst, cold, *runs)
        print(
            f"{name:<20} {cold:8.1f} {statistics.median(runs):8.1f} "
            f"{max(runs):8.1f} {queries:8d} {slowest:8.1f}",
            flush=True,
        )
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()

    # As bench_reports: the test settings (plain static files, a process-local cache).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    setup(BENCH_DB)

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    # Seeded each run: the timings need the table as the send's updates left it.
    big = seed(args.messages)
    client = Client()
    client.force_login(manager())
    report = reverse("reports:campaign_report", args=[big])
    pages = [
        ("campaign detail", reverse("campaigns:detail", args=[big])),
        ("progress fragment", reverse("campaigns:progress", args=[big])),
        ("campaign list", reverse("campaigns:list")),
        ("dashboard", reverse("dashboard")),
        ("messages table", report),
        ("messages table p.2", report + "?page=2"),
        ("messages, pending", report + "?status=pending"),
    ]
    print("-- as the send left the table (its dead rows not vacuumed yet)")
    worst = time_pages(client, pages, args.requests)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE campaigns_message RESET (autovacuum_enabled)")
        cursor.execute("VACUUM ANALYZE campaigns_message")
    print("-- after VACUUM")
    worst = max(worst, time_pages(client, pages, args.requests))
    verdict = "met" if worst <= GOAL_MS else "NOT met"
    print(f"goal every request <= {GOAL_MS:.0f} ms: {verdict} (worst {worst:.1f} ms)")


if __name__ == "__main__":
    main()

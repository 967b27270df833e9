"""Report pages benchmark: dashboard, campaign list and one campaign report at scale.

    python bench/bench_reports.py [--messages N] [--campaigns N] [--big N]
                                  [--held N] [--requests N] [--reseed]

Works in its own PostgreSQL database (`smsportal_bench_reports` on the server of
DATABASE_URL), which bench/benchdb.py creates and migrates when missing. Seeds N
messages (default 10,000,000; about 11 minutes on the 2-core machine) across the
campaigns, and one more campaign of `--big` messages (default 1,000,000), set-based
(INSERT ... SELECT generate_series, one statement per campaign, so the count triggers
fire as they do in production), and a completed spread campaign of `--held` messages
(default 300,000) handed over whole, each held at the gateway for its time (a year
ahead, so a database seeded long ago still has them ahead), unless the database
already holds that many. Then times each page with Django's test client (server time,
in process): the first request alone (cold caches) and `--requests` more, printing
p50/p95 in ms; and the campaign list's first view (its remembered figures forgotten
before each), the median of FIRST_VIEWS.
Goal (issue 6): <= 50 ms at the 95th percentile for each page; the big campaign's
report's first (cold) view well under a second; the campaign list's first view
<= 200 ms (it counts what the gateway holds for each completed campaign).
"""

import argparse
import os
import statistics
import sys
import time

from benchdb import setup

BENCH_DB = "smsportal_bench_reports"
BIG_NAME = "Bench big campaign"
HELD_NAME = "Bench held campaign"
GOAL_MS = 50.0
BIG_COLD_GOAL_MS = 300.0
LIST_FIRST_GOAL_MS = 200.0
FIRST_VIEWS = 7


# Seeding ----------------------------------------------------------------------------

# One status per bucket of 100: the mix of a typical finished campaign.
STATUS_SQL = """
    CASE
        WHEN b < 78 THEN 'delivered'
        WHEN b < 80 THEN 'read'
        WHEN b < 85 THEN 'sent'
        WHEN b < 90 THEN 'undelivered'
        WHEN b < 93 THEN 'rejected'
        WHEN b < 94 THEN 'failed'
        WHEN b < 97 THEN 'queued'
        WHEN b < 98 THEN 'cancelled'
        ELSE 'pending'
    END
"""

SEED_MESSAGES_SQL = f"""
INSERT INTO campaigns_message (
    campaign_id, account_id, phone, text, sender, channel, segments, encoding,
    estimated_cost, cost, gateway_message_id, status, reason, vendor_code, vendor_text,
    operator, planned_at, claimed_at, submitted_at, status_changed_at, delivered_at,
    attempts
)
SELECT
    %(campaign)s, %(account)s,
    '+79' || lpad((%(offset)s + g)::text, 9, '0'),
    'Скидка 20%% по промокоду ЛЕТО до конца недели', 'SHOP', 'sms',
    1 + (g %% 3 = 0)::int, 'ucs2',
    2.5 * (1 + (g %% 3 = 0)::int),
    CASE WHEN s.status IN ('delivered', 'read', 'sent', 'undelivered')
         THEN 2.3 * (1 + (g %% 3 = 0)::int) END,
    CASE WHEN s.status <> 'pending' THEN (%(offset)s + g)::text ELSE '' END,
    s.status,
    CASE s.status WHEN 'undelivered' THEN (ARRAY['expired', 'unreachable'])[1 + g %% 2]
                  WHEN 'rejected' THEN 'invalid_number'
                  WHEN 'failed' THEN 'gateway_error'
                  WHEN 'cancelled' THEN 'cancelled' ELSE '' END,
    CASE s.status WHEN 'undelivered' THEN (ARRAY['expired', 'not_deliver'])[1 + g %% 2]
                  WHEN 'rejected' THEN '7' ELSE '' END,
    CASE s.status WHEN 'undelivered' THEN (ARRAY['Срок жизни истёк',
                                                 'Абонент недоступен'])[1 + g %% 2]
                  WHEN 'rejected' THEN 'Неверный номер' ELSE '' END,
    CASE WHEN s.status <> 'pending'
         THEN (ARRAY['МТС', 'Билайн', 'МегаФон', 'Tele2'])[1 + g %% 4] ELSE '' END,
    %(start)s::timestamptz + (g * %(spread)s) * interval '1 millisecond',
    CASE WHEN s.status <> 'pending'
         THEN %(start)s::timestamptz + (g * %(spread)s) * interval '1 millisecond' END,
    CASE WHEN s.status <> 'pending'
         THEN %(start)s::timestamptz + (g * %(spread)s) * interval '1 millisecond' END,
    %(start)s::timestamptz + (g * %(spread)s + 40000) * interval '1 millisecond',
    CASE WHEN s.status IN ('delivered', 'read')
         THEN %(start)s::timestamptz + (g * %(spread)s + 40000)
              * interval '1 millisecond' END,
    1
FROM generate_series(1, %(rows)s) AS g,
     LATERAL (SELECT (g * 37) %% 100 AS b) AS bucket,
     LATERAL (SELECT {STATUS_SQL} AS status) AS s
"""


def seed(messages: int, campaigns: int, big: int, held: int = 0) -> None:
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from campaigns.counts import counts_squash
    from campaigns.models import Campaign, Message, Reply
    from providers.models import ProviderAccount

    print(
        f"seeding {messages:,} messages across {campaigns} campaigns "
        f"and {big:,} in one more ..."
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE campaigns_message, campaigns_campaignstatuscount, "
            "campaigns_campaignoperatorcount, campaigns_campaignfailurecount, "
            "campaigns_campaigndeliverycount, campaigns_campaignheldcount, "
            "campaigns_hourlytraffic, campaigns_reply, campaigns_campaign CASCADE"
        )
    accounts = [
        ProviderAccount.objects.update_or_create(
            name=f"Bench {kind}",
            defaults={"kind": kind, "login": "bench", "password": "bench",
                      "balance": Decimal("12345.60"),
                      "balance_checked_at": timezone.now()},
        )[0]
        for kind in ("webcom", "smsc")
    ]  # fmt: skip
    now = timezone.now()
    per_campaign = messages // campaigns
    for index in range(campaigns + (1 if big else 0)):
        # Spread over the last 30 days; the last two are still sending.
        start = now - timedelta(days=30) + timedelta(hours=14.4 * index)
        if index == campaigns:
            start = now - timedelta(days=1)  # the big one sent yesterday
        # The big one (last) has finished, its reports mostly in.
        state = (
            Campaign.State.SENDING
            if campaigns - 2 <= index < campaigns
            else Campaign.State.COMPLETED
        )
        campaign = Campaign.objects.create(
            name=f"Bench campaign {index + 1}" if index < campaigns else BIG_NAME,
            account=accounts[index % 2],
            sender="SHOP",
            text="Скидка 20% по промокоду ЛЕТО до конца недели",
            state=state,
            launched_at=start,
            price_per_segment=Decimal("2.50"),
        )
        rows = per_campaign + (messages % campaigns if index == campaigns - 1 else 0)
        rows = big if index == campaigns else rows
        # Spread each campaign's sending over 6 hours.
        spread = max(1, int(6 * 3600 * 1000 / max(rows, 1)))
        with connection.cursor() as cursor:
            cursor.execute(
                SEED_MESSAGES_SQL,
                {"campaign": campaign.pk, "account": campaign.account_id,
                 "offset": index * 10_000_000, "start": start, "spread": spread,
                 "rows": rows},
            )  # fmt: skip
        print(
            f"  campaign {campaign.name}: {rows:,} rows, "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
    if held:
        seed_held(held, accounts[0], now)
    replies = [
        Reply(account=accounts[i % 2], phone=f"+79{i:09d}", text=f"Ответ {i}",
              received_at=now - timedelta(minutes=i), is_read=i % 3 == 0)
        for i in range(2000)
    ]  # fmt: skip
    Reply.objects.bulk_create(replies)
    counts_squash()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE campaigns_message")
        cursor.execute("VACUUM ANALYZE campaigns_campaignstatuscount")
        cursor.execute("VACUUM ANALYZE campaigns_hourlytraffic")
    get_user_model().objects.filter(username="bench").delete()
    print(
        f"seeded {Message.objects.count():,} messages in "
        f"{time.perf_counter() - started:.0f} s"
    )


def seed_held(rows: int, account, now) -> None:
    """A spread campaign the gateway got whole (campaigns.dispatch.SCHEDULE_AHEAD):
    completed, every message queued there with its send time, spread over 6 hours."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db import connection

    from campaigns.models import Campaign

    campaign = Campaign.objects.create(
        name=HELD_NAME, account=account, sender="SHOP", spread_hours=6,
        text="Скидка 20% по промокоду ЛЕТО до конца недели",
        state=Campaign.State.COMPLETED, launched_at=now, finished_at=now,
        price_per_segment=Decimal("2.50"),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            SEED_MESSAGES_SQL.replace(STATUS_SQL, "'queued'"),
            {"campaign": campaign.pk, "account": account.pk,
             "offset": 900_000_000, "start": now + timedelta(days=365),
             "spread": max(1, int(6 * 3600 * 1000 / rows)), "rows": rows},
        )  # fmt: skip
    print(f"  campaign {HELD_NAME}: {rows:,} rows held at the gateway", flush=True)


def seeded_rows() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(count), 0) FROM campaigns_campaignstatuscount"
        )
        return int(cursor.fetchone()[0])


# Timing -----------------------------------------------------------------------------


def time_page(client, url: str, requests: int) -> tuple[float, list[float]]:
    def one() -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        return elapsed

    cold = one()
    return cold, [one() for _ in range(requests)]


def time_first_views(client, url: str) -> list[float]:
    """The page's first view, FIRST_VIEWS times: the cache (the figures pages
    remember, such as what the gateway holds) emptied before each."""
    from django.core.cache import cache

    views = []
    for _ in range(FIRST_VIEWS):
        cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        views.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
    return views


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--campaigns", type=int, default=50)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--held", type=int, default=300_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--seed-only", action="store_true")
    args = parser.parse_args()

    # The test settings: production settings with plain static files storage (no
    # collectstatic manifest needed) and a process-local cache.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    setup(BENCH_DB)

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from campaigns.models import Campaign

    total = args.messages + args.big + args.held
    if args.reseed or seeded_rows() != total:
        seed(args.messages, args.campaigns, args.big, args.held)
    else:
        print(f"reusing {total:,} seeded messages")
    if args.seed_only:
        return

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    # Finished just now: what it left at the gateway is still looked for.
    Campaign.objects.filter(name=HELD_NAME).update(finished_at=timezone.now())
    campaign = (
        Campaign.objects.exclude(name__in=[BIG_NAME, HELD_NAME]).order_by("id").first()
    )
    big = Campaign.objects.filter(name=BIG_NAME).first()
    pages = [
        ("dashboard", reverse("dashboard")),
        ("campaign list", reverse("campaigns:list")),
        ("campaign report", reverse("reports:campaign_report", args=[campaign.pk])),
        (
            "report messages page 2",
            reverse("reports:campaign_report", args=[campaign.pk]) + "?page=2",
        ),
    ]
    if big:
        # Its first view is the one no cache helps: the breakdowns' figures.
        pages.append(
            (
                f"report of {args.big // 1000:,}k msgs",
                reverse("reports:campaign_report", args=[big.pk]),
            )
        )
    print(
        f"{'page':<24} {'cold':>8} {'p50':>8} {'p95':>8}   (ms, {args.requests} runs)"
    )
    worst, colds = 0.0, {}
    for name, page_url in pages:
        cold, runs = time_page(client, page_url, args.requests)
        colds[page_url] = cold
        p50, p95 = statistics.median(runs), percentile(runs, 0.95)
        worst = max(worst, p95)
        print(f"{name:<24} {cold:8.1f} {p50:8.1f} {p95:8.1f}")
    verdict = "met" if worst <= GOAL_MS else "NOT met"
    print(f"goal p95 <= {GOAL_MS:.0f} ms: {verdict} (worst p95 {worst:.1f} ms)")
    views = time_first_views(client, reverse("campaigns:list"))
    first = statistics.median(views)
    verdict = "met" if first <= LIST_FIRST_GOAL_MS else "NOT met"
    print(
        f"campaign list first view (cache emptied): p50 {first:.1f} ms, "
        f"max {max(views):.1f} ms over {FIRST_VIEWS}; goal <= "
        f"{LIST_FIRST_GOAL_MS:.0f} ms: {verdict}"
    )
    if big:
        cold = colds[pages[-1][1]]
        verdict = "met" if cold <= BIG_COLD_GOAL_MS else "NOT met"
        print(
            f"goal: the {args.big:,}-message report's first view <= "
            f"{BIG_COLD_GOAL_MS:.0f} ms: {verdict} ({cold:.1f} ms)"
        )


if __name__ == "__main__":
    main()

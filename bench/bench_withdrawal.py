"""Withdrawal benchmark: finding what a gateway holds for numbers just stop-listed.

    python bench/bench_withdrawal.py [--messages N] [--campaigns N] [--reseed]

Works in its own PostgreSQL database (`smsportal_bench_withdrawal` on the server of
DATABASE_URL), seeded like bench_reports (default 1,000,000 messages across 10
campaigns, each one INSERT ... SELECT generate_series; about a minute). Every STOP
reply runs campaigns.withdrawal.held_for_phones for its number in a job on the default
queue, ahead of campaign starts: it is timed here for one number and for a batch of
100, best of 5, beside the single `pk IN (...) OR pk IN (...)` query it replaced
(QA: 949 ms a STOP at a million messages, a scan of the table).
Goal: <= 20 ms for one number.
"""

import argparse
import os
import sys

from benchdb import best_ms, setup

BENCH_DB = "smsportal_bench_withdrawal"
GOAL_MS = 20.0


def one_or_query(phones: list[str]):
    """The query held_for_phones used to make: both halves joined with OR."""
    from django.db.models import Q

    from campaigns.models import Message

    queries = _held(phones)
    return Message.objects.filter(
        Q(pk__in=queries[0].values("pk")) | Q(pk__in=queries[1].values("pk"))
    )


def _held(phones: list[str]):
    from campaigns.withdrawal import held_for_phones

    return held_for_phones(phones)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--campaigns", type=int, default=10)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    setup(BENCH_DB)
    sys.path.insert(0, os.path.dirname(__file__))
    from bench_reports import seed, seeded_rows

    if args.reseed or seeded_rows() != args.messages:
        seed(args.messages, args.campaigns, big=0)
    else:
        print(f"reusing {args.messages:,} seeded messages")

    from campaigns.models import Message

    # Numbers of the last campaign: its messages are the ones a STOP may catch.
    phones = list(Message.objects.order_by("-id").values_list("phone", flat=True)[:100])
    cases = [("1 number", phones[:1]), ("100 numbers", phones)]
    print(f"{'held_for_phones':<16} {'by index':>10} {'one OR (before)':>16}   (ms)")
    worst = 0.0
    for name, chosen in cases:
        now_ms = best_ms(lambda c=chosen: [list(q) for q in _held(c)], times=5)
        before_ms = best_ms(lambda c=chosen: list(one_or_query(c)), times=5)
        worst = max(worst, now_ms) if name == "1 number" else worst
        print(f"{name:<16} {now_ms:10.1f} {before_ms:16.1f}")
    verdict = "met" if worst <= GOAL_MS else "NOT met"
    print(f"goal one number <= {GOAL_MS:.0f} ms: {verdict} ({worst:.1f} ms)")


if __name__ == "__main__":
    main()

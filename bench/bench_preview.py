"""The composer's live audience counter on a big group, as campaign_preview counts it.

    python bench/bench_preview.py [--rows N]

Uses the contact search bench's database (smsportal_bench_search) and book of N
contacts (default 1,000,000), puts them all in one group and every 20th number on
the stop list (the first run), then prints, best of three:
  - the counter's count: the audience and its stop-listed part in one pass
    (campaigns.audience.audience_and_stopped_counts), and
  - for comparison, the two counts it replaced (stop-listed, then reachable);
  - the whole composer preview (campaign_preview: counts, samples, histogram).
The counter runs after every change in the composer, so this is its wait.
"""

import argparse
import time
from decimal import Decimal

from bench_contact_search import BENCH_DB, seed
from benchdb import best_ms, setup

GROUP = "Bench: everyone"


def seed_group_and_stop_list() -> int:
    """The group's id; filled, and the stop list seeded, once."""
    from django.db import connection

    from contacts.models import ContactGroup, GroupMembership, StopListEntry

    group, _made = ContactGroup.objects.get_or_create(name=GROUP)
    with connection.cursor() as cursor:
        if not GroupMembership.objects.filter(group=group).exists():
            cursor.execute(
                "INSERT INTO contacts_groupmembership (contact_id, group_id, added_at)"
                " SELECT id, %s, now() FROM contacts_contact",
                [group.pk],
            )
            cursor.execute("VACUUM ANALYZE contacts_groupmembership")
        if not StopListEntry.objects.exists():
            cursor.execute(
                "INSERT INTO contacts_stoplistentry (phone, reason, source, created_at)"
                " SELECT phone, 'bench', 'manual', now() FROM contacts_contact"
                " WHERE id %% 20 = 0 ON CONFLICT DO NOTHING",
                [],
            )
            cursor.execute("VACUUM ANALYZE contacts_stoplistentry")
    return group.pk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    setup(BENCH_DB)

    from campaigns.audience import (
        GroupChoice,
        audience_and_stopped_counts,
        audience_contacts,
        is_stopped_q,
    )
    from campaigns.models import Campaign
    from campaigns.services import campaign_preview
    from providers.models import ProviderAccount

    started = time.perf_counter()
    seed(args.rows)
    group_id = seed_group_and_stop_list()
    print(f"book and group ready in {time.perf_counter() - started:.1f} s")

    choice = GroupChoice(include=(group_id,))
    contacts = audience_contacts(None, choice)
    total, stopped = audience_and_stopped_counts(contacts)
    one_pass = best_ms(lambda: audience_and_stopped_counts(contacts))
    two_counts = best_ms(
        lambda: (
            contacts.filter(is_stopped_q()).count(),
            contacts.exclude(is_stopped_q()).count(),
        )
    )
    account = ProviderAccount(name="Bench", kind="webcom", login="l", password="p",
                              tariff=Decimal("2.50"))  # fmt: skip
    draft = Campaign(name="Preview", account=account, sender="SMSPORTAL",
                     text="Здравствуйте, {first_name}! Ваш заказ готов.")  # fmt: skip
    whole = best_ms(lambda: campaign_preview(campaign=draft, groups=choice))
    print(f"group of {total:,} contacts, {stopped:,} on the stop list")
    print(f"counter (one pass)            {one_pass:8.1f} ms")
    print(f"the two counts it replaced    {two_counts:8.1f} ms")
    print(f"whole composer preview        {whole:8.1f} ms")


if __name__ == "__main__":
    main()

"""Downloads: a campaign's messages and a contact book, as CSV and as XLSX.

    python bench/bench_export.py [--rows N]

Seeds its own database (smsportal_bench_export) with a campaign of N messages and a
book of N contacts (default 200,000 each; each in one or two groups), then downloads each export through Django
as a browser would and prints, for each, when its first byte came, how long the whole
took and its size. Both formats stream: the first byte must not wait for the last row
(a proxy in front gives up on a silent response after a minute; nginx's default).
XLSX workbooks are checked to open (every ZIP entry's CRC). Last, the whole book is
deleted as the contact list's bulk action deletes it, each contact with a message
whose link is cleared.
"""

import argparse
import io
import os
import sys
import time
import zipfile

from benchdb import setup

BENCH_DB = "smsportal_bench_export"


def seed(rows: int) -> int:
    """The campaign's id, after (re)creating its messages and the contacts."""
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from campaigns.models import Campaign
    from providers.models import ProviderAccount

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE campaigns_message, campaigns_campaignstatuscount,"
            " campaigns_campaignoperatorcount, campaigns_campaignfailurecount,"
            " campaigns_campaigndeliverycount,"
            " campaigns_hourlytraffic, campaigns_campaign, contacts_groupmembership,"
            " contacts_contact CASCADE"
        )
    account, _ = ProviderAccount.objects.update_or_create(
        name="Bench webcom", defaults={"kind": "webcom", "login": "b", "password": "b"}
    )
    campaign = Campaign.objects.create(
        name="Export", account=account, sender="SHOP", text="x",
        state=Campaign.State.COMPLETED, launched_at=timezone.now(),
        price_per_segment=Decimal("3.50"),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO contacts_contact (phone, first_name, last_name, middle_name,
                nickname, email, time_zone, birthday, attributes, consent_source,
                created_at, updated_at)
            SELECT '+79' || lpad(g::text, 9, '0'),
                   (ARRAY['Анна','Иван','Мария','Пётр','Ольга'])[1 + g %% 5], 'Иванов',
                   'Петрович', '', 'user' || g || '@example.ru', 'Europe/Moscow',
                   date '1980-01-01' + g %% 10000, '{}', 'import', now(), now()
            FROM generate_series(1, %(rows)s) g
            """,
            {"rows": rows},
        )
        cursor.execute("SELECT min(id) FROM contacts_contact")
        first_contact = cursor.fetchone()[0]
        # Every contact in "Клиенты", every third also in "VIP": the export's
        # "Groups" column names them.
        cursor.execute("DELETE FROM contacts_contactgroup")
        cursor.execute(
            """
            WITH g AS (
                INSERT INTO contacts_contactgroup (name, description, created_at)
                VALUES ('Клиенты', '', now()), ('VIP', '', now()) RETURNING id, name
            )
            INSERT INTO contacts_groupmembership (contact_id, group_id, added_at)
            SELECT c.id, g.id, now() FROM contacts_contact c JOIN g
              ON g.name = 'Клиенты' OR c.id % 3 = 0
            """
        )
        # Each message linked to a contact, as a campaign's are: deleting the
        # contacts then clears every message's link.
        cursor.execute(
            """
            INSERT INTO campaigns_message (campaign_id, account_id, phone, text, sender,
                channel, segments, encoding, estimated_cost, cost, gateway_message_id,
                status, reason, vendor_code, vendor_text, operator, planned_at,
                submitted_at, status_changed_at, delivered_at, attempts, contact_id)
            SELECT %(campaign)s, %(account)s, '+7915' || lpad(g::text, 7, '0'),
                   'Здравствуйте, Анна! Ваш заказ ' || g || ' готов к выдаче.', 'SHOP',
                   'sms', 1, 'ucs2', 3.50, CASE WHEN g %% 10 = 0 THEN NULL ELSE 3.50 END,
                   (700000000 + g)::text,
                   CASE WHEN g %% 10 = 0 THEN 'undelivered' ELSE 'delivered' END,
                   CASE WHEN g %% 10 = 0 THEN 'expired' ELSE '' END,
                   CASE WHEN g %% 10 = 0 THEN 'expired' ELSE 'deliver' END,
                   CASE WHEN g %% 10 = 0 THEN 'Срок жизни истёк' ELSE '' END,
                   (ARRAY['МТС', 'Билайн', 'МегаФон', 'Tele2'])[1 + g %% 4],
                   now(), now(), now(), CASE WHEN g %% 10 = 0 THEN NULL ELSE now() END, 1,
                   %(first_contact)s + g - 1
            FROM generate_series(1, %(rows)s) g
            """,
            {
                "campaign": campaign.pk,
                "account": account.pk,
                "rows": rows,
                "first_contact": first_contact,
            },
        )
        cursor.execute("ANALYZE campaigns_message, contacts_contact")
    return campaign.pk


def download(client, url: str) -> tuple[float, float, bytes]:
    """(seconds to the first byte, seconds in all, the body)."""
    started = time.perf_counter()
    response = client.get(url)
    if response.status_code != 200:
        sys.exit(f"{url} answered {response.status_code}")
    first, parts = None, []
    for chunk in response.streaming_content:
        if first is None:
            first = time.perf_counter() - started
        parts.append(chunk)
    return first or 0.0, time.perf_counter() - started, b"".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    # Production settings with plain static files storage (no collectstatic needed).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    setup(BENCH_DB)
    from django.contrib.auth import get_user_model
    from django.test import Client

    started = time.perf_counter()
    campaign = seed(args.rows)
    print(f"seeded {args.rows:,} messages and {args.rows:,} contacts "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    user, _ = get_user_model().objects.update_or_create(
        username="bench-export", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    for label, url in (
        ("messages CSV ", f"/campaigns/{campaign}/report/export/?format=csv"),
        ("messages XLSX", f"/campaigns/{campaign}/report/export/?format=xlsx"),
        ("contacts CSV ", "/contacts/export/?format=csv"),
        # Its first byte waits for the check that Windows-1251 loses no letter.
        ("contacts 1251", "/contacts/export/?format=csv-1251"),
        ("contacts XLSX", "/contacts/export/?format=xlsx"),
    ):
        first, total, body = download(client, url)
        check = ""
        if "XLSX" in label:
            package = zipfile.ZipFile(io.BytesIO(body))
            broken = package.testzip()
            sheets = sum(n.startswith("xl/worksheets/") for n in package.namelist())
            check = (
                f"; opens: {'no, ' + broken if broken else 'yes'}, {sheets} sheet(s)"
            )
        print(f"{label}: first byte after {first:.2f} s, all {len(body) / 1e6:.1f} MB "
              f"in {total:.1f} s ({args.rows / total:,.0f} rows/s){check}")  # fmt: skip
    time_contacts_delete(args.rows)


def time_contacts_delete(rows: int) -> None:
    """The whole book deleted as the contact list's bulk action deletes it."""
    from contacts.models import Contact
    from contacts.services import contacts_delete

    started = time.perf_counter()
    deleted = contacts_delete(contacts=Contact.objects.all())
    took = time.perf_counter() - started
    print(f"contacts delete: {deleted:,} contacts (each with a message to unlink) "
          f"in {took:.1f} s ({rows / took:,.0f} contacts/s)")  # fmt: skip


if __name__ == "__main__":
    main()

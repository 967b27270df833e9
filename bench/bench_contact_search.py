"""The contact book's word search on a big book, as the contact list runs it.

    python bench/bench_contact_search.py [--rows N]

Seeds its own database (smsportal_bench_search) with N contacts (default
1,000,000; every 10,000th an «Ёлкин»), then for a few searches prints how long the
list's count and its first page (50 newest) take, best of three, and the plan's
top node (a seq scan reads the whole book: see contacts/search.py for why no index
serves it).
"""

import argparse
import os
import re
import time

from benchdb import best_ms, setup

BENCH_DB = "smsportal_bench_search"
SEARCHES = ["елкин", "Ёлкин Анна", "иван", "user123456", "zz-no-such-name"]


def seed(rows: int) -> None:
    from django.db import connection

    from contacts.models import Contact

    if Contact.objects.count() == rows:
        return
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE contacts_contact CASCADE")
        cursor.execute(
            """
            INSERT INTO contacts_contact (phone, first_name, last_name, middle_name,
                nickname, email, time_zone, attributes, consent_source,
                created_at, updated_at)
            SELECT '+79' || lpad(g::text, 9, '0'),
                   (ARRAY['Анна','Иван','Мария','Пётр','Ольга','Семён','Алёна',
                          'Сергей','Елена','Артём'])[1 + g %% 10],
                   CASE WHEN g %% 10000 = 0 THEN 'Ёлкин' ELSE
                   (ARRAY['Иванов','Петров','Смирнов','Кузнецов','Попов','Соколов',
                          'Лебедев','Козлов','Новиков','Морозов','Волков','Соловьёв',
                          'Васильев','Зайцев','Павлов','Семёнов','Голубев',
                          'Виноградов','Богданов','Воробьёв'])[1 + g %% 20] END,
                   (ARRAY['Петрович','Иванович','Сергеевна','Алексеевна',''])
                       [1 + g %% 5],
                   '', 'user' || g || '@example.ru', 'Europe/Moscow', '{}', 'import',
                   now(), now()
            FROM generate_series(1, %(rows)s) g
            """,
            {"rows": rows},
        )
        cursor.execute("VACUUM ANALYZE contacts_contact")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    started = time.perf_counter()
    setup(BENCH_DB)
    print(f"migrated in {time.perf_counter() - started:.1f} s")

    from contacts.filters import search_contacts
    from contacts.models import Contact

    started = time.perf_counter()
    seed(args.rows)
    print(
        f"{Contact.objects.count():,} contacts ({time.perf_counter() - started:.1f} s)"
    )
    for text in SEARCHES:
        found = search_contacts(Contact.objects.all(), text)
        page = found.order_by("-id")[:50]
        count_ms = best_ms(found.count)
        page_ms = best_ms(lambda page=page: list(page.all()))
        plan = found.explain(analyze=True)
        top = re.search(r"(Seq Scan|Bitmap Heap Scan|Index Scan)", plan)
        print(f"{text!r:20} {found.count():>8,} found; count {count_ms:7.1f} ms,"
              f" first page {page_ms:7.1f} ms; {top.group(1) if top else plan[:40]}")  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsportal.settings")
    main()

"""The contact book's search on a big book, as the contact list and the admin run it.

    python bench/bench_contact_search.py [--rows N]

Seeds its own database (smsportal_bench_search) with N contacts (default
1,000,000; every 10,000th an «Ёлкин»), then for a few searches (words, an e-mail,
phone numbers and fragments as people type them) prints how long the list's count
and its first page (50 newest) take, best of three, and the plan's top node (a seq
scan reads the whole book: see contacts/search.py for why no index serves a word),
then the admin's contact list with that search through Django's test client, best
of three, and how many of its statements read the book with the search, and the
contact page (its heading's count of matches too), best of three.
"""

import argparse
import os
import re
import time

from benchdb import best_ms, setup

BENCH_DB = "smsportal_bench_search"
SEARCHES = [
    "елкин",
    "Ёлкин Анна",
    "иван",
    "петров",
    "user123456",
    "zz-no-such-name",
    "8 (900) 012-34-56",
    "+7 900 01",
    "34567",
]


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
    admin = admin_client()
    for text in SEARCHES:
        found = search_contacts(Contact.objects.all(), text)
        page = found.order_by("-id")[:50]
        count_ms = best_ms(found.count)
        page_ms = best_ms(lambda page=page: list(page.all()))
        plan = found.explain(analyze=True)
        top = re.search(r"(Seq Scan|Bitmap Heap Scan|Index Scan)", plan)
        admin_ms, reads = admin_search(admin, text)
        list_ms = contact_list_search(admin, text)
        print(f"{text!r:20} {found.count():>8,} found; count {count_ms:7.1f} ms,"
              f" first page {page_ms:7.1f} ms; {top.group(1) if top else plan[:40]};"
              f" admin list {admin_ms:7.1f} ms, {reads} searched;"
              f" contact page {list_ms:7.1f} ms")  # fmt: skip


def admin_client():
    """A test client signed in as a superuser of the bench database."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def contact_list_search(client, text: str) -> float:
    """The contact page (contacts:list) searched for `text`, its heading's count of
    matches too: best of three in ms."""
    from django.urls import reverse

    url = reverse("contacts:list")

    def get():
        response = client.get(url, {"q": text})
        assert response.status_code == 200, response.status_code

    return best_ms(get)


def admin_search(client, text: str) -> tuple[float, int]:
    """The admin's contact list searched for `text`: best of three in ms, and how
    many statements read the contact table with the search (not by ids)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    url = reverse("admin:contacts_contact_changelist")

    def get():
        response = client.get(url, {"q": text})
        assert response.status_code == 200, response.status_code

    with CaptureQueriesContext(connection) as queries:
        get()
    reads = sum(
        1
        for q in queries
        if 'FROM "contacts_contact" WHERE' in q["sql"] and '"id" IN (' not in q["sql"]
    )
    return best_ms(get), reads


if __name__ == "__main__":
    # The test settings: production settings with plain static files storage (no
    # collectstatic manifest needed) and a process-local cache, as bench_reports.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    main()

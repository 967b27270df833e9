"""Import benchmark: a million-row Russian Excel-style CSV into an empty contact book.

    python bench/bench_import.py [--rows N] [--keep DIR]

Works in its own PostgreSQL database (`smsportal_bench` on the server of DATABASE_URL, or
BENCH_DATABASE_URL), which it creates and migrates when missing and whose contact tables
it empties first: it never touches another database. Each import runs in a child process
so its peak RSS is its own. Prints wall time, peak memory, the time of a plain psycopg
COPY of the same file, the ratio, and the re-import times.
Goal (issue 4): <= 20 s and <= 300 MB for the import and for the re-import.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "smsportal_bench"
HEADERS = [
    "Телефон", "Фамилия", "Имя", "Отчество", "Дата рождения", "E-mail",
    "Город", "Баланс", "Последний визит",
]  # fmt: skip
LAST = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
]
FIRST = ["Иван", "Пётр", "Сергей", "Анна", "Мария", "Елена", "Дмитрий", "Ольга", "Юлия"]
MIDDLE = ["Иванович", "Петровна", "Сергеевич", "Алексеевна", "", ""]
CITIES = ["Москва", "Санкт-Петербург", "Владивосток", "Казань", "Екатеринбург", "Омск"]


def bench_database_url() -> str:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/smsportal")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit(
            "The benchmark needs PostgreSQL: set DATABASE_URL or BENCH_DATABASE_URL."
        )
    return urlunsplit(parts._replace(path="/" + BENCH_DB))


def psycopg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def format_phone(national: str, style: int) -> str:
    a, b, c, d = national[:3], national[3:6], national[6:8], national[8:]
    return (
        f"8 ({a}) {b}-{c}-{d}",
        f"+7 {a} {b}-{c}-{d}",
        f"7{national}",
        national,
        f"8-{a}-{b}-{c}-{d}",
        f"+7({a}){b}{c}{d}",
        f"8{national}",
        f"8.{a}.{b}.{c}.{d}",
    )[style]


def generate(path: Path, rows: int, seed: int = 4) -> None:
    """cp1251, ';', Russian headers, 10 % repeated numbers, three custom fields."""
    rnd = random.Random(seed)
    repeated = set(rnd.sample(range(1, rows), rows // 10)) if rows > 10 else set()
    numbers: list[str] = []
    issued: set[str] = set()
    with path.open("w", encoding="cp1251", newline="") as out:
        out.write(";".join(HEADERS) + "\r\n")
        for i in range(rows):
            if i in repeated:
                national = rnd.choice(numbers)
            else:
                national = _new_mobile(rnd, issued)
                numbers.append(national)
            birthday = (
                f"{rnd.randint(1, 28):02d}.{rnd.randint(1, 12):02d}.{rnd.randint(1950, 2005)}"
                if rnd.random() < 0.6
                else ""
            )
            email = f"user{i}@example.ru" if rnd.random() < 0.4 else ""
            balance = f"{rnd.randint(0, 99999)},{rnd.randint(0, 99):02d}"
            visit = f"{rnd.randint(1, 28):02d}.{rnd.randint(1, 12):02d}.2024"
            out.write(
                ";".join(
                    [
                        format_phone(national, rnd.randrange(8)),
                        rnd.choice(LAST),
                        rnd.choice(FIRST),
                        rnd.choice(MIDDLE),
                        birthday,
                        email,
                        rnd.choice(CITIES),
                        balance,
                        visit,
                    ]
                )  # fmt: skip
                + "\r\n"
            )


def _new_mobile(rnd: random.Random, issued: set[str]) -> str:
    while True:
        # 93x is only partly allocated; the rest of 9xx is mobile.
        national = f"9{rnd.choice('01245689')}{rnd.randrange(10**8):08d}"
        if national not in issued:
            issued.add(national)
            return national


def ensure_database(url: str) -> None:
    import psycopg

    admin = urlsplit(psycopg_dsn(url))._replace(path="/postgres")
    with psycopg.connect(urlunsplit(admin), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]
        ).fetchone()
        if not exists and urlsplit(url).path == "/" + BENCH_DB:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "smsportal.settings"
    import django

    django.setup()


def child_import(path: str, url: str, update: bool) -> None:
    """Run one import and print its figures as JSON (runs in its own process)."""
    setup_django(url)
    from contacts.importing.runner import ImportOptions, run_import
    from contacts.models import ContactGroup

    group, _ = ContactGroup.objects.get_or_create(name="bench")
    started = time.perf_counter()
    with open(path, "rb") as raw, open(os.devnull, "w") as rejects:
        report = run_import(
            raw,
            name=Path(path).name,
            options=ImportOptions(group_ids=[group.pk], update=update),
            rejects=rejects,
        )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "report": report.as_dict()}))


def prepare_book(url: str) -> None:
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    from contacts.models import CustomField

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE contacts_groupmembership, contacts_contact, contacts_stoplistentry, "
            "contacts_contactgroup, contacts_customfield RESTART IDENTITY CASCADE"
        )
        cursor.execute("VACUUM ANALYZE contacts_contact")
    for key, label, kind in (
        ("city", "Город", "text"),
        ("balance", "Баланс", "number"),
        ("last_visit", "Последний визит", "date"),
    ):
        CustomField.objects.create(key=key, label=label, kind=kind)


def plain_copy_seconds(path: Path, url: str) -> float:
    import psycopg

    columns = ", ".join(f"c{i} text" for i in range(len(HEADERS)))
    with psycopg.connect(psycopg_dsn(url)) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE TEMPORARY TABLE plain_copy ({columns})")
        started = time.perf_counter()
        sql = "COPY plain_copy FROM STDIN (FORMAT csv, DELIMITER ';', HEADER, ENCODING 'WIN1251')"
        with path.open("rb") as raw, cur.copy(sql) as copy:
            while block := raw.read(1 << 20):
                copy.write(block)
        return time.perf_counter() - started


def run_child(path: Path, url: str, *, update: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", str(path), "--url", url]
    if update:
        cmd.append("--update")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="keep the generated file in this folder")
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--update", action="store_true")
    parser.add_argument("--prepare", action="store_true")
    args = parser.parse_args()
    if args.prepare:
        prepare_book(args.url)
        return
    if args.child:
        child_import(args.child, args.url, args.update)
        return
    url = bench_database_url()
    ensure_database(url)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="bench-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"contacts-{args.rows}.csv"
    started = time.perf_counter()
    if not path.exists():
        generate(path, args.rows)
    print(f"generated {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB "
          f"in {time.perf_counter() - started:.1f} s: {path}")  # fmt: skip
    subprocess.run([sys.executable, __file__, "--prepare", "--url", url], check=True)
    copy_s = plain_copy_seconds(path, url)
    first = run_child(path, url, update=False)
    again = run_child(path, url, update=False)
    again_update = run_child(path, url, update=True)
    report = first["report"]
    print(json.dumps(report | {"errors": report["errors"][:3]}, ensure_ascii=False))
    print(f"plain psycopg COPY of the file:  {copy_s:6.2f} s")
    for label, result in (
        ("import into an empty book", first),
        ("re-import, leave existing alone", again),
        ("re-import, update existing", again_update),
    ):
        print(
            f"{label:33s} {result['seconds']:6.2f} s  peak RSS {result['peak_mb']:5.0f} MB"
            f"  ratio to COPY {result['seconds'] / copy_s:4.1f}x"
        )
    if not args.keep:
        path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()

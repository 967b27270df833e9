"""Import benchmark: a million-row Russian Excel-style CSV into an empty contact book.

    python bench/bench_import.py [--rows N] [--keep DIR] [--group] [--groups-column]

Works in its own PostgreSQL database (`smsportal_bench` on the server of DATABASE_URL,
see bench/benchdb.py), which it creates, migrates, empties and in the end drops (unless
--keep-db): it never touches another database. Each import runs in a child process
so its peak RSS is its own. Prints wall time, peak memory, the time of a plain psycopg
COPY of the same file, the ratio, and the re-import times. --group imports into a
group; --groups-column adds a "Группы" column naming each row's own groups.
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

import benchdb

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
# The "Группы" column's cells: none, one, two; the names new to the book.
GROUP_CELLS = ["", "Клиенты", "Клиенты; VIP", "Опт", "опт, VIP"]


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


def generate(path: Path, rows: int, seed: int = 4, groups: bool = False) -> None:
    """cp1251, ';', Russian headers, 10 % repeated numbers, three custom fields (and
    with `groups` a column of group names)."""
    rnd = random.Random(seed)
    repeated = set(rnd.sample(range(1, rows), rows // 10)) if rows > 10 else set()
    numbers: list[str] = []
    issued: set[str] = set()
    with path.open("w", encoding="cp1251", newline="") as out:
        out.write(";".join(headers(groups)) + "\r\n")
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
                        # Quoted: the delimiter is between the names.
                        *([f'"{rnd.choice(GROUP_CELLS)}"'] if groups else []),
                    ]
                )  # fmt: skip
                + "\r\n"
            )


def headers(groups: bool) -> list[str]:
    return [*HEADERS, "Группы"] if groups else HEADERS


def _new_mobile(rnd: random.Random, issued: set[str]) -> str:
    while True:
        # 93x is only partly allocated; the rest of 9xx is mobile.
        national = f"9{rnd.choice('01245689')}{rnd.randrange(10**8):08d}"
        if national not in issued:
            issued.add(national)
            return national


def child_import(path: str, update: bool, group: bool) -> None:
    """Run one import and print its figures as JSON (runs in its own process)."""
    benchdb.setup(BENCH_DB)
    from django.db import connection

    from contacts.importing.runner import ImportOptions, run_import
    from contacts.models import ContactGroup

    group_ids = (
        [ContactGroup.objects.get_or_create(name="bench")[0].pk] if group else []
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        server = cursor.fetchone()[0]
    server_cpu = benchdb.cpu_seconds(server)
    started, own_cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as raw, open(os.devnull, "w") as rejects:
        report = run_import(
            raw,
            name=Path(path).name,
            options=ImportOptions(group_ids=group_ids, update=update),
            rejects=rejects,
        )
    figures = {
        "seconds": time.perf_counter() - started,
        "python_cpu": time.process_time() - own_cpu,
        "server_cpu": benchdb.cpu_seconds(server) - server_cpu,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "report": report.as_dict(),
    }
    print(json.dumps(figures))


def prepare_book() -> None:
    benchdb.setup(BENCH_DB)
    from django.db import connection

    from contacts.models import CustomField

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


def plain_copy_seconds(path: Path, url: str, groups: bool) -> float:
    import psycopg

    columns = ", ".join(f"c{i} text" for i in range(len(headers(groups))))
    with psycopg.connect(psycopg_dsn(url)) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE TEMPORARY TABLE plain_copy ({columns})")
        started = time.perf_counter()
        sql = "COPY plain_copy FROM STDIN (FORMAT csv, DELIMITER ';', HEADER, ENCODING 'WIN1251')"
        with path.open("rb") as raw, cur.copy(sql) as copy:
            while block := raw.read(1 << 20):
                copy.write(block)
        return time.perf_counter() - started


def run_child(path: Path, *, update: bool, group: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", str(path)]
    if update:
        cmd.append("--update")
    if group:
        cmd.append("--group")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="keep the generated file in this folder")
    parser.add_argument("--keep-db", action="store_true", help="keep smsportal_bench")
    parser.add_argument("--child")
    parser.add_argument("--update", action="store_true")
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--group", action="store_true", help="import into a group")
    parser.add_argument(
        "--groups-column", action="store_true", help="a column of each row's groups"
    )
    args = parser.parse_args()
    if args.prepare:
        prepare_book()
        return
    if args.child:
        child_import(args.child, args.update, args.group)
        return
    url = benchdb.database_url(BENCH_DB)
    benchdb.announce_machine()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="bench-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "-groups" if args.groups_column else ""
    path = folder / f"contacts-{args.rows}{suffix}.csv"
    started = time.perf_counter()
    if not path.exists():
        generate(path, args.rows, groups=args.groups_column)
    print(f"generated {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB "
          f"in {time.perf_counter() - started:.1f} s: {path}")  # fmt: skip
    subprocess.run([sys.executable, __file__, "--prepare"], check=True)
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    copy_s = plain_copy_seconds(path, url, args.groups_column)
    first = run_child(path, update=False, group=args.group)
    again = run_child(path, update=False, group=args.group)
    again_update = run_child(path, update=True, group=args.group)
    report = first["report"]
    print(json.dumps(report | {"errors": report["errors"][:3]}, ensure_ascii=False))
    print(f"{'plain psycopg COPY of the same file':48s} {copy_s:6.2f} s")
    into = " (into a group)" if args.group else ""
    into += " (groups column)" if args.groups_column else ""
    print(f"load average before: {load_before}; machine: {os.cpu_count()} cores")
    for label, result in (
        ("import into an empty book" + into, first),
        ("re-import, leave existing alone" + into, again),
        ("re-import, update existing" + into, again_update),
    ):
        print(
            f"{label:48s} {result['seconds']:6.2f} s  peak RSS {result['peak_mb']:4.0f} MB"
            f"  ratio to COPY {result['seconds'] / copy_s:4.1f}x"
            f"  (CPU: python {result['python_cpu']:.1f} s, server {result['server_cpu']:.1f} s)"
        )
    if not args.keep:
        path.unlink()
        folder.rmdir()
    if not args.keep_db:
        drop_database(url)


def drop_database(url: str) -> None:
    """Drop the benchmark's own database (never another: the name is checked)."""
    import psycopg

    if urlsplit(url).path != "/" + BENCH_DB:
        return
    admin = urlsplit(psycopg_dsn(url))._replace(path="/postgres")
    with psycopg.connect(urlunsplit(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')


if __name__ == "__main__":
    main()

"""The import wizard's column page on a large workbook: how long each step waits.

    python bench/bench_import_mapping.py [--rows N] [--keep-db]

Writes an XLSX of N rows (default 200,000; openpyxl write_only, shared strings as
Excel writes them) and, in its own database (smsportal_bench_mapping on the server of
DATABASE_URL, dropped at the end unless --keep-db), walks the wizard as a browser
does: upload, open the column page, open it again (a reload, the back button),
read it again without a header row, then start the import (the POST only; the
import itself is bench_import.py's). Prints each step's time and how many times
the workbook was opened.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import benchdb

BENCH_DB = "smsportal_bench_mapping"
HEADERS = ["Телефон", "Фамилия", "Имя", "Город", "E-mail", "Комментарий"]
CITIES = ["Москва", "Санкт-Петербург", "Казань", "Омск", "Владивосток"]


def write_workbook(path: Path, rows: int) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Клиенты")
    sheet.append(HEADERS)
    for n in range(rows):
        sheet.append([
            f"8912{n:07d}", f"Фамилия{n}", f"Имя{n % 997}", CITIES[n % 5],
            f"user{n}@example.ru", f"Комментарий к строке {n}",
        ])  # fmt: skip
    workbook.save(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    url = benchdb.setup(BENCH_DB)

    import openpyxl

    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from contacts.models import ImportJob

    setup_test_environment()  # responses keep their context: the form's choices
    opened = {"count": 0}
    load_workbook = openpyxl.load_workbook

    def counting(*a, **kw):
        opened["count"] += 1
        return load_workbook(*a, **kw)

    openpyxl.load_workbook = counting
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clients.xlsx"
        started = time.perf_counter()
        write_workbook(path, args.rows)
        print(
            f"workbook: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB, "
            f"written in {time.perf_counter() - started:.1f} s"
        )
        user = get_user_model().objects.filter(username="bench").first()
        if user is None:
            user = get_user_model().objects.create_superuser("bench", password="x")
        client = Client()
        client.force_login(user)

        def step(name: str, call) -> object:
            before = opened["count"]
            started = time.perf_counter()
            response = call()
            took = time.perf_counter() - started
            print(
                f"{name:<32} {took:6.2f} s  status {response.status_code}  "
                f"workbook opened {opened['count'] - before}x"
            )
            return response

        storages = {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
            },
        }
        with override_settings(MEDIA_ROOT=tmp, ALLOWED_HOSTS=["*"], STORAGES=storages):
            data = path.read_bytes()
            upload = SimpleUploadedFile("clients.xlsx", data)
            step(
                "upload",
                lambda: client.post(reverse("contacts:import"), {"file": upload}),
            )
            job = ImportJob.objects.latest("id")
            columns = reverse("contacts:import_mapping", args=[job.pk])
            step("column page", lambda: client.get(columns))
            page = step("column page again", lambda: client.get(columns))
            form = dict(page.context["form"].initial)
            form = {k: v for k, v in form.items() if v not in (None, False)}
            form.update(read_encoding="auto", read_delimiter="auto", read_header="on")
            step("read again, no header", lambda: client.post(
                columns, {**form, "header": "", "reread": "1"}
            ))  # fmt: skip
            os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
            with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
                from unittest import mock

                with mock.patch("contacts.tasks.contacts_import.delay"):
                    step("start the import (POST)", lambda: client.post(
                        columns, {**form, "header": "on"}
                    ))  # fmt: skip
        print(f"workbook opened {opened['count']}x in all")
    if not args.keep_db:
        from django.db import connections

        connections.close_all()
        import psycopg

        admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1)
        with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')


if __name__ == "__main__":
    main()

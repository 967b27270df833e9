"""An import's reasons are written by a worker in its uploader's language and read by
anyone: each reader gets them in their own (page, admin, API, rejected rows)."""

import io

import openpyxl
import pytest

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from contacts.importing.runner import ImportOptions
from contacts.models import ImportJob
from contacts.services import contacts_import, import_job_create

pytestmark = pytest.mark.django_db

ENGLISH = "column “Телефон”: too few digits: “123”"
RUSSIAN = "столбец «Телефон»: слишком мало цифр: «123»"


def run_job(data: bytes, *, name: str = "book.csv", language: str) -> ImportJob:
    """Import as a worker does for an uploader who speaks `language`."""
    job = import_job_create(upload=SimpleUploadedFile(name, data), kind="contacts")
    job.options = ImportOptions().as_dict()
    job.status = ImportJob.Status.QUEUED
    job.save()
    with translation.override(language):
        return contacts_import(job_id=job.pk)


def download(client, url: str, language: str, encoding: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode(encoding)


def test_the_rejected_rows_of_a_russian_import_download_in_english(manager_client):
    job = run_job("Телефон;Имя\n123;Пётр\n".encode("cp1251"), language="ru")
    url = reverse("contacts:import_rejects", args=[job.pk])

    english = download(manager_client, url, "en", "cp1251")
    russian = download(manager_client, url, "ru", "cp1251")

    assert english == f"Row;Error;Телефон;Имя\r\n2;{ENGLISH};123;Пётр\r\n"
    assert russian == f"Строка;Ошибка;Телефон;Имя\r\n2;{RUSSIAN};123;Пётр\r\n"


def test_the_report_page_and_admin_of_an_english_import_read_in_russian(
    manager_client, admin_client
):
    job = run_job("Телефон;Имя\n123;Пётр\n".encode(), language="en")

    page = manager_client.get(
        reverse("contacts:import_detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    admin = admin_client.get(
        reverse("admin:contacts_importjob_change", args=[job.pk]),
        HTTP_ACCEPT_LANGUAGE="ru",
    ).content.decode()

    assert f"Строка 2: {RUSSIAN}" in page
    assert "too few digits" not in page
    assert RUSSIAN in admin
    assert "too few digits" not in admin


def test_the_api_gives_reasons_and_rejects_in_the_requests_language(api):
    job = run_job("Телефон;Имя\n123;Пётр\n".encode(), language="ru")

    english = api.get(f"/api/v1/imports/{job.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    russian = api.get(f"/api/v1/imports/{job.pk}", HTTP_ACCEPT_LANGUAGE="ru").json()
    rejects = download(api, english["rejects_url"], "en", "utf-8-sig")

    assert english["report"]["errors"] == [
        {"row": 2, "reason": ENGLISH, "codes": ["phone_invalid"]}
    ]
    assert russian["report"]["errors"][0]["reason"] == RUSSIAN
    assert "reason_records" not in english["report"]
    assert f"2;{ENGLISH};123;Пётр" in rejects


def test_a_later_sheets_duplicate_names_its_place_in_the_readers_language(
    manager_client,
):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Jan"
    workbook.active.append(["Телефон", "Имя"])
    workbook.active.append(["89123456789", "Иван"])
    february = workbook.create_sheet("Feb")
    february.append(["Телефон", "Имя"])
    february.append(["89123456780", "Анна"])
    february.append(["89123456780", "Анна"])
    out = io.BytesIO()
    workbook.save(out)
    job = run_job(out.getvalue(), name="book.xlsx", language="en")
    url = reverse("contacts:import_rejects", args=[job.pk])

    russian = download(manager_client, url, "ru", "utf-8-sig")

    assert (
        "лист «Feb», строка 3: столбец «Телефон»: тот же номер уже есть: "
        "лист «Feb», строка 2"
    ) in russian
    assert "sheet “Feb”" not in russian


def test_a_report_and_rejects_stored_as_text_show_as_they_were(manager_client, api):
    legacy = "столбец «Телефон»: слишком мало цифр: «123»"
    job = ImportJob.objects.create(
        original_name="old.csv",
        status=ImportJob.Status.DONE,
        report={"rows": 1, "invalid": 1, "encoding": "utf-8", "delimiter": ";",
                "errors": [{"row": 2, "reason": legacy}]},
    )  # fmt: skip
    stored = f"\ufeffСтрока;Ошибка;Телефон\r\n2;{legacy};123\r\n".encode()
    job.rejects.save("old-rejects.csv", ContentFile(stored))

    page = manager_client.get(
        reverse("contacts:import_detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    status = api.get(f"/api/v1/imports/{job.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    rejects = manager_client.get(
        reverse("contacts:import_rejects", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert f"Row 2: {legacy}" in page
    assert status["report"]["errors"] == [{"row": 2, "reason": legacy, "codes": []}]
    assert b"".join(rejects.streaming_content) == stored


def test_a_duplicates_stored_cell_is_its_reasons_record(db):
    """The rejects file's cells for duplicates come from a template: the same JSON
    as the record the report holds."""
    import csv
    import json

    from contacts.importing.runner import run_import

    data = "Телефон;Имя\n89123456789;Иван\n89123456789;Иван\n89123456789;Пётр\n"
    stored = io.StringIO()
    report = run_import(
        io.BytesIO(data.encode()), name="b.csv", options=ImportOptions(),
        rejects=stored,
    )  # fmt: skip

    rows = list(csv.reader(io.StringIO(stored.getvalue()), delimiter=";"))[1:]
    assert [json.loads(row[1]) for row in rows] == [
        error["reason"] for error in report.errors
    ]
    assert report.errors[1]["reason"]["problems"][0]["args"] == {"row": 2}

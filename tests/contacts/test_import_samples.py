"""The import pages offer a sample file, and the sample imports cleanly as it is."""

import csv
import io

import openpyxl
import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from contacts.models import Contact, ImportJob, StopListEntry

pytestmark = pytest.mark.django_db

SAMPLE = {"contacts": "contacts:import_sample",
          "stoplist": "contacts:stoplist_import_sample"}  # fmt: skip
UPLOAD = {"contacts": "contacts:import", "stoplist": "contacts:stoplist_import"}


def sample(client, kind: str, fmt: str) -> bytes:
    response = client.get(reverse(SAMPLE[kind]), {"format": fmt},
                          HTTP_ACCEPT_LANGUAGE="ru")  # fmt: skip
    assert response.status_code == 200
    # Named in the reader's language: tests/contacts/test_download_names.py.
    ending = {"xlsx": ".xlsx", "csv-1251": "-1251.csv"}.get(fmt, ".csv")
    assert response["Content-Disposition"].rstrip('"').endswith(ending)
    return b"".join(response.streaming_content)


def test_the_contact_sample_names_every_column_in_russian_excel_form(
    manager_client, custom_fields
):
    data = sample(manager_client, "contacts", "csv-1251")

    header, first, second = csv.reader(
        io.StringIO(data.decode("cp1251")), delimiter=";"
    )
    assert header == [
        "Телефон", "Фамилия", "Имя", "Отчество", "Псевдоним", "Дата рождения",
        "Эл. почта", "Часовой пояс", "Группы", "Баланс", "Визит", "Город",
    ]  # fmt: skip
    # Two groups in one cell, the cell quoted around the delimiter between them.
    assert first[-4:] == ["Клиенты; VIP", "1500", "01.12.2026", ""]
    assert second[:3] == ["8 (900) 000-00-02", "Смирнов", "Алексей"]
    # A sample is not the company's data: it is not recorded as an export.
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORTED).exists()


def test_the_stop_list_sample_is_an_excel_workbook(manager_client):
    data = sample(manager_client, "stoplist", "xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["Телефон", "Причина"],
        ["+79000000001", "Просил не писать"],
        ["8 (900) 000-00-02", ""],
    ]


@pytest.mark.parametrize("kind", ["contacts", "stoplist"])
@pytest.mark.parametrize("fmt", ["csv", "csv-1251", "xlsx"])
def test_the_sample_imports_as_it_is(
    manager_client, custom_fields, kind, fmt, django_capture_on_commit_callbacks
):
    data = sample(manager_client, kind, fmt)
    name = "sample.xlsx" if fmt == "xlsx" else "sample.csv"
    manager_client.post(reverse(UPLOAD[kind]), {"file": SimpleUploadedFile(name, data)})
    job = ImportJob.objects.get()
    mapping = manager_client.get(reverse("contacts:import_mapping", args=[job.pk]))
    form = mapping.context["form"]
    # Every column is recognised by its header; nothing is left to map by hand.
    columns = [form.initial[f"col_{i}"] for i in range(form.width)]
    assert "" not in columns
    post = {
        key: value for key, value in form.initial.items() if value not in ("", None)
    }
    post["header"] = "on"
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("contacts:import_mapping", args=[job.pk]), post)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.report.get("invalid", 0) == 0, job.report
    if kind == "stoplist":
        assert dict(StopListEntry.objects.values_list("phone", "reason")) == {
            "+79000000001": "Просил не писать",
            "+79000000002": "",
        }
    else:
        maria = Contact.objects.get(phone="+79000000001")
        assert (maria.last_name, maria.nickname, maria.time_zone) == (
            "Иванова", "Маша", "Europe/Moscow",
        )  # fmt: skip
        assert str(maria.birthday) == "1990-03-15"
        assert maria.attributes == {"balance": 1500, "visit": "2026-12-01"}
        assert sorted(maria.groups.values_list("name", flat=True)) == [
            "VIP", "Клиенты",
        ]  # fmt: skip
        assert job.report["groups_created"] == ["Клиенты", "VIP"]
        alexey = Contact.objects.get(phone="+79000000002")
        assert (alexey.first_name, alexey.groups.count()) == ("Алексей", 0)


def test_without_the_right_to_import_there_is_no_sample(client, viewer_user):
    client.force_login(viewer_user)
    assert client.get(reverse("contacts:import_sample")).status_code == 403


def test_the_upload_page_offers_the_sample(manager_client):
    page = manager_client.get(reverse("contacts:stoplist_import")).content.decode()
    assert reverse("contacts:stoplist_import_sample") + "?format=csv-1251" in page

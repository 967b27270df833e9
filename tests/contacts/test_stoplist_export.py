"""The stop list leaves as CSV or XLSX and comes back in through the stop-list import."""

import datetime as dt
import io

import openpyxl
import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from contacts.models import ImportJob, StopListEntry
from tests.contacts.conftest import assert_no_formulas

pytestmark = pytest.mark.django_db

ADDED = dt.datetime(2026, 3, 8, 6, 30, tzinfo=dt.UTC)


@pytest.fixture
def stop_list(manager_user):
    StopListEntry.objects.create(
        phone="+79123456789", reason="=жалоба; «стоп»", created_by=manager_user,
        created_at=ADDED,
    )  # fmt: skip
    StopListEntry.objects.create(
        phone="+79031112233", reason="", source="keyword", created_at=ADDED
    )


def download(client, **params) -> bytes:
    response = client.get(
        reverse("contacts:stoplist_export"), params, HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="stop-list-'
    )
    return b"".join(response.streaming_content)


def test_csv_for_russian_excel(manager_client, stop_list, settings):
    settings.TIME_ZONE = "Europe/Moscow"
    text = download(manager_client, format="csv-1251").decode("cp1251")
    lines = text.splitlines()
    # The times' column says whose clock, as the campaign and inbox exports do.
    assert (
        lines[0] == "Телефон;Причина;Источник;Добавлен (Москва, UTC+03:00);Кто добавил"
    )
    # A reason Excel would run as a formula gets its apostrophe; Moscow time.
    assert lines[1] == (
        '+79123456789;"\'=жалоба; «стоп»";Добавлен вручную;2026-03-08 09:30:00;'
        "mark-manager"
    )
    assert lines[2] == "+79031112233;;Стоп-слово в ответе;2026-03-08 09:30:00;"


def test_xlsx_and_the_search_applies(manager_client, stop_list, settings):
    settings.TIME_ZONE = "Asia/Vladivostok"
    data = download(manager_client, format="xlsx", q="8 903")
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.values)
    assert rows[1:] == [
        (
            "+79031112233",
            "",
            "Стоп-слово в ответе",
            # Excel has no time zones: the time as Vladivostok reads it.
            dt.datetime(2026, 3, 8, 16, 30),  # noqa: DTZ001
            "",
        )
    ]
    event = AuditEvent.objects.get(action="exported")
    assert event.details == {"format": "xlsx", "filters": {"q": "8 903"}}


def test_xlsx_keeps_a_reason_that_looks_like_a_formula_as_it_is(
    manager_client, stop_list
):
    data = download(manager_client, format="xlsx", q="8 912")
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.values)
    assert rows[1][:2] == ("+79123456789", "=жалоба; «стоп»")
    assert_no_formulas(data)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_imports_back(
    manager_client, stop_list, django_capture_on_commit_callbacks, fmt
):
    data = download(manager_client, format=fmt)
    StopListEntry.objects.all().delete()
    manager_client.post(
        reverse("contacts:stoplist_import"),
        {"file": SimpleUploadedFile(f"stop-list.{fmt}", data)},
    )
    job = ImportJob.objects.get()
    mapping = manager_client.get(reverse("contacts:import_mapping", args=[job.pk]))
    form = mapping.context["form"]
    # Phone and reason are recognised by their headers; the rest is left alone.
    assert [form.initial[f"col_{i}"] for i in range(5)] == [
        "phone",
        "reason",
        "",
        "",
        "",
    ]
    post = {"encoding": "utf-8-sig", "delimiter": ",", "header": "on",
            "col_0": "phone", "col_1": "reason"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("contacts:import_mapping", args=[job.pk]), post)
    assert dict(StopListEntry.objects.values_list("phone", "reason")) == {
        "+79123456789": "=жалоба; «стоп»",
        "+79031112233": "",
    }


def test_the_page_offers_the_export_of_what_it_shows(manager_client, stop_list):
    page = manager_client.get(reverse("contacts:stoplist"), {"q": "903"}).content
    assert b"/contacts/stop-list/export/?q=903&format=xlsx" in page


def test_without_the_right_to_see_the_stop_list_there_is_no_export(
    client, django_user_model
):
    user = django_user_model.objects.create_user("nobody", password="x-Pass-1")
    client.force_login(user)
    assert client.get(reverse("contacts:stoplist_export")).status_code == 403


def test_the_api_exports_the_stop_list_too(manager_client, stop_list):
    response = manager_client.get("/api/v1/stoplist/export?format=csv&q=912")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[1].startswith("+79123456789,")
    assert len(body.splitlines()) == 2
    bad = manager_client.get("/api/v1/stoplist/export?format=pdf")
    assert bad.status_code == 400


def test_xlsx_times_read_as_the_contacts_dates_do(manager_client, stop_list):
    """The stop list's times showed as 2026-03-08 9:30:00 beside the contacts' dates
    in 08.03.2026."""
    data = download(manager_client, format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    added = sheet.cell(2, 4)
    assert added.is_date
    assert added.number_format == "dd.mm.yyyy hh:mm"

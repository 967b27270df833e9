"""The inbox leaves as CSV or XLSX under its filters, each export in the audit log."""

import datetime as dt
import io

import openpyxl
import pytest

from django.urls import reverse

from accounts.models import AuditEvent
from campaigns.models import Reply
from contacts.models import Contact

pytestmark = pytest.mark.django_db

RECEIVED = dt.datetime(2026, 3, 8, 6, 30, tzinfo=dt.UTC)


@pytest.fixture
def replies(account, make_campaign):
    campaign = make_campaign(name="Весна")
    anna = Contact.objects.create(
        phone="+79120000001", last_name="Иванова", first_name="Анна"
    )
    Reply.objects.create(
        account=account, phone=anna.phone, contact=anna, campaign=campaign,
        text="=СТОП", is_opt_out=True, received_at=RECEIVED,
    )  # fmt: skip
    Reply.objects.create(
        account=account, phone="+79990000002", text="Когда доставка?", is_read=True,
        received_at=RECEIVED + dt.timedelta(hours=1),
    )  # fmt: skip


def download(client, **params) -> bytes:
    response = client.get(
        reverse("reports:inbox_export"), params, HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response.status_code == 200
    # Named in the reader's language: tests/contacts/test_download_names.py.
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return b"".join(response.streaming_content)


def test_csv_for_russian_excel_newest_first(viewer_client, replies, settings):
    settings.TIME_ZONE = "Europe/Moscow"
    lines = download(viewer_client, format="csv-1251").decode("cp1251").splitlines()
    assert lines == [
        # The times' clock named, as in the message export: Excel has no time zones.
        "Получено (Москва, UTC+03:00);От кого;Контакт;Текст;Аккаунт;Ответ на;Отписка;"
        "Прочитано",
        "2026-03-08 10:30:00;+79990000002;;Когда доставка?;Webcom test;;нет;да",
        # A text Excel would run as a formula keeps its apostrophe.
        "2026-03-08 09:30:00;+79120000001;Иванова Анна;'=СТОП;Webcom test;Весна;да;нет",
    ]


def test_xlsx_under_the_inbox_filter(viewer_client, replies):
    data = download(viewer_client, format="xlsx", state="opt_out")
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.values)
    assert [row[1] for row in rows[1:]] == ["+79120000001"]
    assert rows[1][3] == "=СТОП"  # text cells are never run: no apostrophe
    event = AuditEvent.objects.get(action="exported")
    assert event.details == {"format": "xlsx", "filters": {"state": "opt_out"}}


def test_the_inbox_offers_the_export_of_what_it_shows(viewer_client, replies):
    page = viewer_client.get(reverse("reports:inbox"), {"state": "unread"}).content
    assert b"/campaigns/inbox/export/?state=unread&format=xlsx" in page


def test_an_export_under_an_account_that_is_gone_is_refused(viewer_client, replies):
    """The filter was dropped and every reply of every account exported."""
    response = viewer_client.get(
        reverse("reports:inbox_export"), {"account": 999999}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 302
    assert response.url == reverse("reports:inbox") + "?account=999999"


def test_a_reply_from_a_number_added_to_the_book_later_is_exported_with_its_name(
    viewer_client, replies
):
    Contact.objects.create(phone="+79990000002", last_name="Петров", first_name="Пётр")
    rows = list(
        openpyxl.load_workbook(
            io.BytesIO(download(viewer_client, format="xlsx"))
        ).active.values
    )
    assert [(row[1], row[2]) for row in rows[1:]] == [
        ("+79990000002", "Петров Пётр"),
        ("+79120000001", "Иванова Анна"),
    ]

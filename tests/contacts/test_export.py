import codecs
import csv
import io
from datetime import UTC, date, datetime

import openpyxl
import pytest

from django.urls import reverse
from django.utils import timezone, translation

from contacts import exporting
from contacts.models import Contact, ContactGroup
from tests.contacts.conftest import assert_no_formulas, make_contact

pytestmark = pytest.mark.django_db


def export_bytes(fmt_key: str, queryset=None, custom_fields=()) -> bytes:
    fmt = exporting.FORMATS[fmt_key]
    with exporting.export_to_file(
        queryset if queryset is not None else Contact.objects.all(),
        fmt=fmt,
        custom_fields=custom_fields,
    ) as out:
        return out.read()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Иван", "Иван"),
        ("+79123456789", "+79123456789"),
        ("-5", "-5"),
        ("-5,5", "-5,5"),
        ("", ""),
    ],
)
def test_cells_that_would_run_as_formulas_are_neutralised(value, expected):
    assert exporting.neutralize(value) == expected


@translation.override("en")
def test_csv_export_is_utf8_with_bom_and_neutralised(custom_fields):
    ivan = make_contact(
        "+79123456789", first_name="=cmd()", last_name="Иванов", birthday=date(1990, 1, 2),
        attributes={"city": "@Москва", "balance": 408.71},
    )  # fmt: skip
    for name in ("VIP", "=Опт", "Клиенты"):
        ivan.groups.add(ContactGroup.objects.create(name=name))
    data = export_bytes("csv", custom_fields=custom_fields)
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [
        "Phone", "Last name", "First name", "Middle name", "Nickname", "Birthday", "Email",
        "Time zone", "Groups", "Город", "Баланс", "Визит", "On the stop list",
        "Consent source", "Consent given (Moscow, UTC+03:00)",
    ]  # fmt: skip
    groups = rows[1].pop(8)
    assert rows[1] == [
        "+79123456789", "Иванов", "'=cmd()", "", "", "1990-01-02", "", "", "'@Москва",
        "408.71", "", "", "", "",
    ]  # fmt: skip
    # In the database's order of names; the cell is guarded as a whole.
    assert groups.startswith("'=")
    assert sorted(groups[1:].split("; ")) == ["=Опт", "VIP", "Клиенты"]


def test_cp1251_export_uses_semicolons_and_replaces_what_it_cannot_encode():
    make_contact("+79123456789", first_name="Иван 🙂")
    data = export_bytes("csv-1251")
    text = data.decode("cp1251")
    assert text.splitlines()[1] == "+79123456789;;Иван ?;;;;;;;;;"


@translation.override("en")
def test_the_export_says_who_opted_out_and_the_consent_on_record(settings):
    """A file handed to another tool must not lose the opt-outs. The consent's time
    is on the dashboard's clock, and its header says which (as the other exports'
    time columns do): written bare, a Russian reader took a time in UTC for his own."""
    from contacts.models import StopListEntry

    settings.TIME_ZONE = "Asia/Vladivostok"
    make_contact(
        "+79120000001", consent_source="web form",
        consent_at=datetime(2026, 3, 1, 9, 5, tzinfo=UTC),
    )  # fmt: skip
    make_contact("+79120000002")
    StopListEntry.objects.create(phone="+79120000002", reason="STOP")
    rows = list(csv.reader(io.StringIO(export_bytes("csv").decode("utf-8-sig"))))

    assert rows[0][-3:] == [
        "On the stop list", "Consent source", "Consent given (Vladivostok, UTC+10:00)"
    ]  # fmt: skip
    cells = {row[0]: row[-3:] for row in rows[1:]}
    assert cells["+79120000002"] == ["yes", "", ""]
    assert cells["+79120000001"] == ["", "web form", "2026-03-01 19:05:00"]
    sheet = openpyxl.load_workbook(io.BytesIO(export_bytes("xlsx"))).active
    header, *values = sheet.values
    assert header[-1] == "Consent given (Vladivostok, UTC+10:00)"
    consent = {row[0]: row[-1] for row in values}["+79120000001"]
    assert consent == datetime(2026, 3, 1, 19, 5)  # noqa: DTZ001 - Excel's, zoneless


def test_cp1251_export_writes_fractions_with_a_decimal_comma(custom_fields):
    # Russian Excel, which opens the ;/1251 file, reads "408.71" as a date.
    make_contact("+79123456789", attributes={"balance": 408.71})
    make_contact("+79123456780", attributes={"balance": -3.5})
    make_contact("+79123456781", attributes={"balance": 12})
    data = export_bytes("csv-1251", custom_fields=custom_fields)
    rows = list(csv.reader(io.StringIO(data.decode("cp1251")), delimiter=";"))
    balances = {row[0]: row[10] for row in rows[1:]}
    assert balances == {
        "+79123456789": "408,71",
        "+79123456780": "-3,5",
        "+79123456781": "12",
    }


def test_xlsx_export_keeps_dates_and_text_as_it_is():
    """A workbook's text cells are text, which Excel never runs: the CSV's apostrophe
    guard only changed the data ("'+Плюс") for every reader."""
    make_contact(
        "+79123456789", first_name="=1+1", last_name="+Плюс", nickname="@ник",
        middle_name='=HYPERLINK("http://x")', birthday=date(1990, 1, 2),
    )  # fmt: skip
    data = export_bytes("xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:5] == (
        "+79123456789", "+Плюс", "=1+1", '=HYPERLINK("http://x")', "@ник"
    )  # fmt: skip
    assert rows[1][5].date() == date(1990, 1, 2)
    assert_no_formulas(data)


def test_xlsx_export_writes_date_fields_as_dates_shown_as_the_language_writes_them(
    custom_fields,
):
    """A Date custom field went into the workbook as text, and every date cell
    showed as 1990-01-02 to a Russian reader."""
    make_contact(
        "+79123456789",
        birthday=date(1990, 1, 2),
        attributes={"city": "2024-01-01", "visit": "2026-11-01"},
    )
    with translation.override("ru"):
        data = export_bytes("xlsx", custom_fields=custom_fields)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [cell.value for cell in sheet[1]]
    birthday = sheet.cell(2, header.index("Дата рождения") + 1)
    visit = sheet.cell(2, header.index("Визит") + 1)
    city = sheet.cell(2, header.index("Город") + 1)
    assert visit.is_date
    assert visit.value.date() == date(2026, 11, 1)
    assert (visit.number_format, birthday.number_format) == ("dd.mm.yyyy",) * 2
    assert city.value == "2024-01-01"  # a text field's text stays text


@pytest.mark.parametrize("fmt_key", ["csv", "csv-1251", "xlsx"])
def test_export_then_import_changes_nothing(
    do_import, custom_fields, fmt_key, stage_kind
):
    make_contact(
        "+79123456789", first_name="=Иван", last_name="Иванов", middle_name="Иванович",
        nickname="-ваня-", birthday=date(1990, 1, 2), email="ivan@example.ru",
        attributes={"city": "Москва", "balance": 408.71, "visit": "2024-01-02"},
    )  # fmt: skip
    # A Moscow landline's zone, as the numbering plan gives it; set by hand on the
    # mobile, which has none from the plan.
    make_contact(
        "+74951234567", first_name="Анна", attributes={"balance": 12},
        time_zone="Europe/Moscow",
    )  # fmt: skip
    make_contact("+79031112233", time_zone="Asia/Vladivostok")
    before = list(Contact.objects.order_by("id").values())
    data = export_bytes(fmt_key, custom_fields=custom_fields)
    report, _rejects = do_import(
        data, name=f"export.{exporting.FORMATS[fmt_key].extension}", update=True
    )
    assert (report.rows, report.created, report.updated, report.unchanged) == (
        3,
        0,
        0,
        3,
    )
    assert list(Contact.objects.order_by("id").values()) == before


def test_any_table_writes_aware_times_on_the_readers_clock_to_the_second(settings):
    import datetime as dt

    settings.TIME_ZONE = "Asia/Vladivostok"
    moment = dt.datetime(2026, 3, 8, 6, 30, 15, 987654, tzinfo=dt.UTC)
    rows = [["+79120000001", moment, date(1990, 5, 3)]]

    def export(key: str) -> bytes:
        return b"".join(
            exporting.table_export(
                "T", ["phone", "at", "day"], rows, fmt=exporting.FORMATS[key]
            )
        )

    line = export("csv").decode("utf-8-sig").splitlines()[1]
    assert line == "+79120000001,2026-03-08 16:30:15,1990-05-03"
    sheet = openpyxl.load_workbook(io.BytesIO(export("xlsx"))).active
    assert list(sheet.values)[1][1] == dt.datetime(2026, 3, 8, 16, 30, 15)  # noqa: DTZ001


@pytest.mark.parametrize(
    "url_name", ["contacts:export", "contacts:stoplist_export", "reports:inbox_export"]
)
def test_the_two_csv_encodings_download_under_two_names(manager_client, url_name):
    names = {
        fmt: manager_client.get(reverse(url_name), {"format": fmt})[
            "Content-Disposition"
        ]
        for fmt in ("csv", "csv-1251")
    }

    assert names["csv"] != names["csv-1251"]
    assert names["csv-1251"].endswith('-1251.csv"')


@pytest.mark.parametrize(
    "url_name", ["contacts:export", "contacts:stoplist_export", "reports:inbox_export"]
)
def test_a_format_there_is_not_is_a_400_not_a_csv(manager_client, settings, url_name):
    settings.LANGUAGE_CODE = "en"

    response = manager_client.get(reverse(url_name), {"format": "pdf"})

    assert response.status_code == 400
    assert "Content-Disposition" not in response


@translation.override("en")
def test_a_cp1251_export_that_would_lose_letters_is_refused_saying_where(
    manager_client, settings
):
    settings.LANGUAGE_CODE = "en"
    make_contact("+79123456780", first_name="Иван", last_name="«Петров» №5")
    make_contact("+493012345690", last_name="Müller")
    url = reverse("contacts:export")

    response = manager_client.get(url, {"format": "csv-1251", "q": ""}, follow=True)

    shown = [str(m) for m in response.context["messages"]]
    assert shown == [
        "Windows-1251 has no “ü” (Last name of +493012345690, and perhaps of other "
        "contacts): it would be exported as “?”. Export as CSV (UTF-8) or XLSX, which "
        "keep every character."
    ]
    assert response.redirect_chain[-1][0].startswith(reverse("contacts:list"))
    assert "format=" not in response.redirect_chain[-1][0]
    # The same contacts in UTF-8, and the Cyrillic ones alone in Windows-1251, go out.
    assert manager_client.get(url, {"format": "csv"}).status_code == 200
    cyrillic = manager_client.get(url, {"format": "csv-1251", "q": "Иван"})
    assert cyrillic.status_code == 200
    assert "«Петров» №5" in b"".join(cyrillic.streaming_content).decode("cp1251")


def test_a_cp1251_export_names_the_custom_field_that_would_lose_letters(
    custom_fields,
):
    make_contact("+79123456781", attributes={"city": "Алматы", "balance": 5})
    make_contact("+79123456782", attributes={"city": "Әлия"})

    problem = exporting.cp1251_problem(Contact.objects.all(), custom_fields)

    assert "“Ә”" in problem
    assert "Город" in problem
    assert "+79123456782" in problem


@translation.override("ru")
def test_the_opt_out_columns_are_named_in_the_readers_language():
    make_contact("+79120000001")
    rows = list(csv.reader(io.StringIO(export_bytes("csv").decode("utf-8-sig"))))

    assert rows[0][-3:] == [
        "В стоп-листе", "Источник согласия", "Согласие дано (Москва, UTC+03:00)"
    ]  # fmt: skip


def test_a_groups_export_is_named_after_the_group(manager_client):
    """Exports of several groups on one day were all contacts-<date>: the downloads
    folder numbered them and nobody could tell which was which."""
    from urllib.parse import unquote

    group = ContactGroup.objects.create(name="VIP: Москва/Тула")
    other = ContactGroup.objects.create(name="Опт")
    disposition = {
        pk: unquote(
            manager_client.get(
                reverse("contacts:export"), {"group": pk, "format": "xlsx"}
            )["Content-Disposition"]
        )
        for pk in (group.pk, other.pk)
    }
    today = timezone.localdate().isoformat()
    # Characters a file name cannot hold on Windows are replaced, Cyrillic kept.
    assert f"VIP_ Москва_Тула-{today}.xlsx" in disposition[group.pk]
    assert f"Опт-{today}.xlsx" in disposition[other.pk]
    # Without a group filter, as before.
    everyone = manager_client.get(reverse("contacts:export"), {"format": "csv"})
    assert f'filename="contacts-{today}.csv"' in everyone["Content-Disposition"]


def test_a_number_past_excels_15_digits_goes_to_a_workbook_as_text(custom_fields):
    """Excel keeps 15 significant digits of a number, and the importer reads a
    workbook so: 1234567890.1234567 came back 1234567890.12346 (CSV kept it)."""
    make_contact("+79123456789", attributes={"balance": 1234567890.1234567})
    make_contact("+79123456780", attributes={"balance": 408.71})
    make_contact("+79123456781", attributes={"balance": 12345678901234567890})
    sheet = openpyxl.load_workbook(
        io.BytesIO(export_bytes("xlsx", custom_fields=custom_fields))
    ).active
    rows = list(sheet.values)
    column = rows[0].index("Баланс")
    balances = {row[0]: row[column] for row in rows[1:]}
    assert balances == {
        "+79123456789": "1234567890.1234567",
        "+79123456780": 408.71,  # a number still, as Excel adds it up
        "+79123456781": "12345678901234567890",
    }


def test_an_export_of_two_custom_fields_sharing_a_label_maps_back_to_each(db):
    """Labels shared before they were refused: the export writes two «Город»
    columns, and importing it back put the first into the second field and dropped
    the other. Each goes back to its own field, in the order the export wrote them."""
    from contacts.exporting import export_headers
    from contacts.importing.fields import auto_mapping
    from contacts.models import CustomField

    # Made before labels were checked (bulk_create skips the model's validation).
    CustomField.objects.bulk_create(
        [
            CustomField(key="town", label="Город", kind="text"),
            CustomField(key="city", label="Город", kind="text"),
            CustomField(key="visit", label="Визит", kind="date"),
        ]
    )
    fields = list(CustomField.objects.all())
    headers = export_headers(fields)

    mapping = auto_mapping(headers, kind="contacts", custom_fields=fields)

    exported = [f"attr:{f.key}" for f in fields]
    assert [m for m in mapping if m.startswith("attr:")] == exported
    # A file with one «Город» of two cannot say whose: left for a person to map.
    one = auto_mapping(["Телефон", "Город"], kind="contacts", custom_fields=fields)
    assert one == ["phone", ""]

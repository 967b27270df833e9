"""The importer on the files people really have, through both staging paths."""

import codecs
import csv
import io
import re
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from django.utils import timezone, translation

from contacts.importing.reasons import report_for_reader
from contacts.importing.sources import ImportFileError
from contacts.models import Contact, CustomField, GroupMembership, StopListEntry
from tests.contacts.conftest import make_contact, stop

pytestmark = pytest.mark.django_db

EXCEL_RU = (
    "Телефон;Фамилия;Имя;Отчество;Дата рождения;E-mail\r\n"
    "8 (912) 345-67-89;Иванов;Иван;Иванович;01.02.1990;ivan@example.ru\r\n"
    "+7 903 111-22-33;Петрова;Анна;Сергеевна;;\r\n"
    "89031112233;Петрова;Анна;;;\r\n"
    "12345;Сидоров;Пётр;;;\r\n"
    "9161234567;Ёлкина;Жанна;;31.02.1990;\r\n"
    "79161234568;Щукин;Эдуард;;;not-an-email\r\n"
    "+7 (999) 000-11-22;Кузнецов;Олег;;;\r\n"
)


def saved(workbook: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def book(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx of these sheets, in order, each with its rows."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    return saved(workbook)


def report_counts(report):
    return {
        k: getattr(report, k)
        for k in (
            "rows",
            "created",
            "updated",
            "added_to_groups",
            "unchanged",
            "duplicates",
            "invalid",
            "stop_listed",
        )
    }


def test_windows_1251_excel_export_with_russian_headers(do_import, stage_kind):
    report, rejects = do_import(EXCEL_RU.encode("cp1251"))
    assert (report.encoding, report.delimiter) == ("cp1251", ";")
    assert report_counts(report) == {
        "rows": 7, "created": 3, "updated": 0, "added_to_groups": 0, "unchanged": 0,
        "duplicates": 1, "invalid": 3, "stop_listed": 0,
    }  # fmt: skip
    assert (
        report.created + report.updated + report.added_to_groups + report.unchanged
        + report.duplicates + report.invalid + report.stop_listed
    ) == report.rows  # fmt: skip
    ivan = Contact.objects.get(phone="+79123456789")
    assert (ivan.last_name, ivan.first_name, ivan.middle_name) == (
        "Иванов",
        "Иван",
        "Иванович",
    )
    assert ivan.birthday == date(1990, 2, 1)
    assert ivan.email == "ivan@example.ru"
    assert ivan.is_mobile is True
    anna = Contact.objects.get(phone="+79031112233")
    assert (anna.last_name, anna.first_name, anna.middle_name) == (
        "Петрова",
        "Анна",
        "Сергеевна",
    )
    assert Contact.objects.get(phone="+79990001122").first_name == "Олег"


def test_rejected_rows_name_row_column_and_reason(do_import, stage_kind):
    report, rejects = do_import(EXCEL_RU.encode("cp1251"))
    rows = list(csv.reader(io.StringIO(rejects), delimiter=";"))
    assert rows[0] == [
        "Row",
        "Error",
        "Телефон",
        "Фамилия",
        "Имя",
        "Отчество",
        "Дата рождения",
        "E-mail",
    ]
    by_row = {int(r[0]): r for r in rows[1:]}
    assert set(by_row) == {4, 5, 6, 7}
    assert by_row[4][1] == "column “Телефон”: the same number is already in row 3"
    assert by_row[5][1].startswith("column “Телефон”: too few digits")
    assert "“12345”" in by_row[5][1]
    assert by_row[6][1].startswith(
        "column “Дата рождения”: no such date in the calendar"
    )
    assert by_row[7][1] == "column “E-mail”: not an email address: “not-an-email”"
    assert by_row[6][2:] == ["9161234567", "Ёлкина", "Жанна", "", "31.02.1990", ""]
    assert [e["row"] for e in report.errors] == [4, 5, 6, 7]


def test_utf8_with_bom_comma_and_english_headers(do_import, stage_kind):
    data = (
        codecs.BOM_UTF8
        + "Phone,First name,Last name\n+79123456789,Иван,Иванов\n".encode()
    )
    report, _ = do_import(data)
    assert (report.encoding, report.delimiter, report.created) == ("utf-8-sig", ",", 1)
    assert Contact.objects.get().first_name == "Иван"


def test_tab_delimited_utf16_from_excel_unicode_text(do_import, stage_kind):
    data = "Мобильный\tИмя\n+79123456789\tИван\n".encode("utf-16")
    report, _ = do_import(data)
    assert (report.encoding, report.delimiter, report.created) == ("utf-16", "\t", 1)


@pytest.mark.parametrize("encoding", ["utf-16", "auto"])
def test_utf16_without_a_byte_order_mark_is_imported(do_import, encoding):
    data = "Мобильный\tИмя\n+79123456789\tИван\n".encode("utf-16-le")
    report, _ = do_import(data, encoding=encoding)
    assert (report.encoding, report.delimiter, report.created) == ("utf-16", "\t", 1)
    assert Contact.objects.get().first_name == "Иван"


def test_a_file_chosen_as_utf16_that_is_not_says_so(do_import):
    data = codecs.BOM_UTF8 + "Телефон;Имя\n89123456789;Иван\n".encode()
    with pytest.raises(ImportFileError) as caught:
        do_import(data, encoding="utf-16")
    assert str(caught.value).startswith(
        "contacts.csv: The file is not in UTF-16, the encoding chosen for it."
    )
    assert not Contact.objects.exists()


@pytest.mark.parametrize("encoding", ["auto", "koi8-r"])
def test_koi8r_file_keeps_its_letters(do_import, encoding):
    report, _ = do_import(EXCEL_RU.encode("koi8-r"), encoding=encoding)
    assert (report.encoding, report.created) == ("koi8-r", 3)
    ivan = Contact.objects.get(phone="+79123456789")
    assert (ivan.last_name, ivan.first_name) == ("Иванов", "Иван")


@pytest.mark.parametrize("encoding", ["auto", "cp866"])
def test_excels_csv_ms_dos_file_keeps_its_letters(do_import, encoding):
    # Russian Excel's "CSV (MS-DOS)" is CP866: read as windows-1251, its header matched
    # no field and the names came in as «€ў ­®ў» or not at all, without a word.
    report, _ = do_import(EXCEL_RU.encode("cp866"), encoding=encoding)
    assert (report.encoding, report.created) == ("cp866", 3)
    ivan = Contact.objects.get(phone="+79123456789")
    assert (ivan.last_name, ivan.first_name) == ("Иванов", "Иван")


def test_a_row_number_column_named_number_gives_way_to_the_phone_column(do_import):
    # "Номер" is a phone column's name too; taken for it here, the "Телефон" column
    # was left out and every row refused as "not a phone number".
    data = "Номер;ФИО;Телефон\r\n1;Иванов Иван;89161230001\r\n".encode("cp1251")
    report, _ = do_import(data)
    assert (report.created, report.invalid) == (1, 0)
    assert Contact.objects.get().phone == "+79161230001"


def test_a_column_named_number_alone_is_still_the_phone(do_import):
    report, _ = do_import("Номер;Имя\r\n89161230001;Иван\r\n".encode("cp1251"))
    assert report.created == 1


def test_a_note_beside_a_workbooks_row_past_its_header_does_not_refuse_it(do_import):
    # A workbook's cells cannot shift as a CSV row's do around a delimiter without
    # quotes: the row was refused, "check the delimiter and the quotes".
    data = book(
        {
            "Лист1": [
                ["Телефон", "Имя"],
                ["89123456789", "Иван"],
                ["89123456780", "Пётр", None, "перезвонить после 18:00"],
            ]
        }
    )
    report, _ = do_import(data, name="book.xlsx")
    assert (report.created, report.invalid) == (2, 0)
    assert Contact.objects.get(phone="+79123456780").first_name == "Пётр"


def _with_values(data: bytes, values: dict[str, str]) -> bytes:
    """The workbook with its first sheet's numbers written as Excel writes them, to
    17 digits (openpyxl writes the shortest form)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                for short, full in values.items():
                    body = body.replace(
                        f"<v>{short}</v>".encode(), f"<v>{full}</v>".encode()
                    )
            target.writestr(item, body)
    return out.getvalue()


def test_a_workbooks_computed_numbers_come_in_as_excel_shows_them(do_import):
    # Excel stores =19.99*3 as 59.970000000000006 (what the binary fraction holds to
    # 17 digits) and shows 59.97; the book kept the 17 digits, and so did messages.
    CustomField.objects.create(key="balance", label="Баланс", kind="number")
    CustomField.objects.create(key="note", label="Заметка", kind="text")
    rows = [
        ["Телефон", "Баланс", "Заметка"],
        ["89123456789", 59.97, 0.3],
        ["89123456780", 1100.5, 12.5],
    ]
    data = _with_values(
        book({"Лист1": rows}),
        {"59.97": "59.970000000000006", "0.3": "0.30000000000000004",
         "1100.5": "1100.4999999999998"},
    )  # fmt: skip
    report, _ = do_import(data, name="book.xlsx")
    assert report.created == 2
    first = Contact.objects.get(phone="+79123456789").attributes
    second = Contact.objects.get(phone="+79123456780").attributes
    assert (first["balance"], first["note"]) == (59.97, "0.3")
    assert (second["balance"], second["note"]) == (1100.5, "12.5")


def test_tab_delimiter(do_import, stage_kind):
    report, _ = do_import(
        "Телефон\tИмя\n89123456789\tИван\n89123456780\tПётр\n".encode()
    )
    assert (report.delimiter, report.created) == ("\t", 2)


def test_xlsx_with_numbers_and_dates_in_cells(do_import, stage_kind, custom_fields):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Телефон", "Имя", "Дата рождения", "Баланс", "Визит"])
    sheet.append([79123456789, "Иван", date(1985, 5, 17), 1500.5, date(2024, 1, 2)])
    sheet.append(["8 903 111 22 33", "Анна", "17.05.1985", "1 000,25", None])
    sheet.append([None, None, None, None, None])
    sheet.append(["bad", "Пётр", None, None, None])
    report, rejects = do_import(saved(workbook), name="book.xlsx")
    assert report.format == "xlsx"
    assert (report.rows, report.created, report.invalid) == (3, 2, 1)
    ivan = Contact.objects.get(phone="+79123456789")
    assert ivan.birthday == date(1985, 5, 17)
    assert ivan.attributes == {"balance": 1500.5, "visit": "2024-01-02"}
    assert Contact.objects.get(phone="+79031112233").attributes == {"balance": 1000.25}
    # A workbook's rejects are split on ";", as Russian Excel does.
    rejected = list(csv.reader(io.StringIO(rejects), delimiter=";"))[1:]
    assert [(r[0], r[1].split(":")[0]) for r in rejected] == [("5", "column “Телефон”")]


@pytest.mark.parametrize(
    "written",
    [
        "01.02.1990 0:00:00",  # 1C's export
        "01.02.1990 00:00",
        "1990-02-01 00:00:00",
        "1990-02-01T12:30",
        "1.2.1990 23:59:59.5",
    ],
)
def test_a_date_with_a_time_of_day_keeps_its_date(do_import, written):
    report, rejects = do_import(
        f"Телефон;Дата рождения\n89123456789;{written}\n".encode()
    )
    assert report.created == 1, rejects
    assert Contact.objects.get().birthday == date(1990, 2, 1)


def test_a_date_time_cell_of_a_workbook_keeps_its_date(do_import):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Телефон", "Дата рождения"])
    workbook.active.append(["89123456789", datetime(1990, 2, 1, 12, 30)])  # noqa: DTZ001 - Excel has no zones
    report, rejects = do_import(saved(workbook), name="book.xlsx")
    assert report.created == 1, rejects
    assert Contact.objects.get().birthday == date(1990, 2, 1)


@pytest.mark.parametrize("written", ["01.02.1990 25:00", "01.02.1990 полдень"])
def test_a_date_with_something_else_after_it_is_rejected(do_import, written):
    report, rejects = do_import(
        f"Телефон;Дата рождения\n89123456789;{written}\n".encode()
    )
    assert report.invalid == 1
    assert "not a date" in rejects


def _with_cached_value(data: bytes, cell: str, value: str) -> bytes:
    """The workbook as Excel saves it: the formula in `cell` with its computed value
    (openpyxl writes a formula alone, as programs do)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(
                    rf'<c r="{cell}"([^>]*)>(.*?)<v></v>'.encode(),
                    rf'<c r="{cell}" t="str"\1>\2<v>{value}</v>'.encode(),
                    body,
                )
            target.writestr(item, body)
    return out.getvalue()


def test_a_formula_without_a_computed_value_rejects_its_row_naming_it(
    do_import, stage_kind
):
    """A workbook a program wrote holds "=1+1" with no value: read as empty, the name
    was lost without a word."""
    data = book({"Лист1": [
        ["Телефон", "Имя", "Заметка"],
        ["89123456789", "=1+1", "x"],
        ["89123456780", "Пётр", "=A3&B3"],  # an ignored column: no matter
        ["89123456781", "Анна", "y"],
    ]})  # fmt: skip
    report, rejects = do_import(data, name="book.xlsx", mapping=["phone", "first_name"])
    assert (report.created, report.invalid) == (2, 1)
    assert report_for_reader(report.as_dict())["errors"] == [
        {
            "row": 2,
            "reason": "column “Имя”: a formula without a computed value, “=1+1” (the "
            "program that wrote the file left it to Excel): open the file in Excel, "
            "save it and upload it again",
        }
    ]
    assert "89123456789;'=1+1;x" in rejects  # as written, guarded against running
    assert sorted(Contact.objects.values_list("first_name", flat=True)) == [
        "Анна",
        "Пётр",
    ]


def test_a_formula_with_its_computed_value_imports_the_value(do_import):
    data = book({"Лист1": [["Телефон", "Имя"], ["89123456789", '="Ив"&"ан"']]})
    report, _ = do_import(_with_cached_value(data, "B2", "Иван"), name="book.xlsx")
    assert (report.created, report.invalid) == (1, 0)
    assert Contact.objects.get().first_name == "Иван"


def test_a_hidden_sheet_is_left_out_and_named_in_the_report(do_import):
    workbook = openpyxl.Workbook()
    service = workbook.active
    service.title = "Служебный"
    service.append(["Код", "Значение"])
    service.append(["79161234567", "старый номер"])
    service.sheet_state = "hidden"
    clients = workbook.create_sheet("Клиенты")
    clients.append(["Телефон", "Имя"])
    clients.append(["89123456789", "Иван"])
    clients.append(["89123456780", "Анна"])
    workbook.active = 1

    report, _ = do_import(saved(workbook), name="book.xlsx")

    assert (report.rows, report.created) == (2, 2)
    assert set(Contact.objects.values_list("first_name", flat=True)) == {"Иван", "Анна"}
    assert report.skipped_sheets == ["Служебный"]


def test_a_sheet_under_another_header_is_named_not_dropped_silently(do_import):
    data = book({
        "Январь": [["Телефон", "Имя"], ["89123456789", "Иван"]],
        "Заметки": [["Что", "Когда"], ["позвонить", "завтра"]],
        # The same header, as typed by a person.
        "Февраль": [["телефон ", "Имя"], ["89123456780", "Анна"]],
    })  # fmt: skip

    report, _ = do_import(data, name="book.xlsx")

    assert (report.rows, report.created) == (2, 2)
    assert report.skipped_sheets == ["Заметки"]


def test_windows_1251_rows_after_a_long_latin_start_keep_their_letters(do_import):
    latin = "".join(f"+7912{i:07d};Ivan\n" for i in range(15_000))
    data = ("phone;name\n" + latin + "+79990000001;Пётр\n").encode("cp1251")

    report, rejects = do_import(data)

    assert (report.encoding, report.created, report.invalid) == ("cp1251", 15_001, 0)
    assert Contact.objects.get(phone="+79990000001").first_name == "Пётр"


def test_a_duplicate_on_a_later_sheet_names_both_places(do_import):
    data = book({
        "Январь": [["Телефон", "Имя"], ["89123456789", "Иван"]],
        "Февраль": [["Телефон", "Имя"], ["89123456780", "Анна"],
                    ["89123456780", "Анна снова"], ["89123456789", "Иван снова"]],
    })  # fmt: skip

    report, rejects = do_import(data, name="book.xlsx")

    assert (report.created, report.duplicates) == (2, 2)
    reasons = [row[1] for row in csv.reader(io.StringIO(rejects), delimiter=";")][1:]
    assert reasons == [
        "sheet “Февраль”, row 3: column “Телефон”: the same number is already in "
        "sheet “Февраль”, row 2",
        # Row 2 of the first sheet, named: row 2 of «Февраль» is another number.
        "sheet “Февраль”, row 4: column “Телефон”: the same number is already in "
        "sheet “Январь”, row 2",
    ]


@pytest.mark.parametrize(
    "title",
    [
        "Список клиентов на 01.12.2026;;\n",  # Excel's CSV: empty cells kept
        "Клиенты\n\nВыгрузка из 1С\n",  # two title rows and a blank one
    ],
)
def test_a_title_above_the_header_is_left_out_and_counted(do_import, title):
    data = title + "Телефон;Имя;Фамилия\n89123456789;Иван;Петров\n"

    report, rejects = do_import(data.encode("cp1251"))

    assert (report.rows, report.created, report.invalid) == (1, 1, 0), rejects
    assert report.title_rows == title.count("\n") - title.count("\n\n")
    assert Contact.objects.get().last_name == "Петров"


def test_a_one_column_file_keeps_every_row(do_import):
    report, _ = do_import("Телефон\n89123456789\n89123456780\n".encode())
    assert (report.created, report.title_rows) == (2, 0)


def test_a_title_in_a_workbook_is_left_out_too(do_import):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Клиенты на 01.12.2026"])
    workbook.active.append(["Телефон", "Имя"])
    workbook.active.append(["89123456789", "Иван"])

    report, rejects = do_import(saved(workbook), name="book.xlsx")

    assert (report.created, report.title_rows, report.invalid) == (1, 1, 0), rejects


def test_a_1c_reports_five_row_heading_is_left_out(do_import):
    """A report from 1C: the firm, the report's name, the period, the selection and
    the date made above «Телефон;ФИО»; with three rows at the most the header was
    not found and the import refused every row."""
    workbook = openpyxl.Workbook()
    for line in ("ООО «Ромашка»", "Список контрагентов", "Период: ноябрь 2026",
                 "Отбор: Покупатели", "Сформирован: 01.12.2026 10:15"):  # fmt: skip
        workbook.active.append([line])
    workbook.active.append(["Телефон", "ФИО"])
    workbook.active.append(["89123456789", "Петров Иван Сергеевич"])

    report, rejects = do_import(saved(workbook), name="1c.xlsx")

    assert (report.created, report.title_rows, report.invalid) == (1, 5, 0), rejects
    contact = Contact.objects.get()
    assert (contact.last_name, contact.first_name) == ("Петров", "Иван")


def test_group_captions_over_the_header_are_left_out_too(do_import, custom_fields):
    # "Контакт" merged over three columns and "Доп" over the fourth, the real
    # header below: the captions were taken for the header, and no phone column.
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Контакт", None, None, "Доп"])
    sheet.merge_cells("A1:C1")
    sheet.append(["Телефон", "Имя", "Фамилия", "Город"])
    sheet.append(["89123456789", "Иван", "Петров", "Тверь"])

    report, rejects = do_import(saved(workbook), name="book.xlsx")

    assert (report.created, report.title_rows, report.invalid) == (1, 1, 0), rejects
    contact = Contact.objects.get()
    assert (contact.first_name, contact.attributes) == ("Иван", {"city": "Тверь"})


def test_a_header_without_a_known_phone_name_is_still_the_header(do_import):
    report, rejects = do_import("Абонент;Имя\n89123456789;Иван\n".encode())
    # The first column is guessed as the phone from its values, as before.
    assert (report.created, report.title_rows) == (1, 0), rejects


def test_custom_fields_are_typed(do_import, stage_kind, custom_fields):
    data = (
        "Телефон;Город;Баланс;Визит\n"
        "89123456789;Москва;408,71;02.01.2024\n"
        "89123456780;;12;\n"
        "89123456781;Омск;много;\n"
        "89123456782;Омск;1;32.01.2024\n"
    ).encode()
    report, rejects = do_import(data)
    assert (report.created, report.invalid) == (2, 2)
    assert Contact.objects.get(phone="+79123456789").attributes == {
        "city": "Москва", "balance": 408.71, "visit": "2024-01-02",
    }  # fmt: skip
    assert Contact.objects.get(phone="+79123456780").attributes == {"balance": 12}
    assert "column “Баланс”: not a number: “много”" in rejects
    assert "column “Визит”: no such date in the calendar" in rejects


def test_stop_listed_numbers_are_reported_not_imported(do_import, stage_kind):
    stop("+79123456789")
    report, rejects = do_import(
        "phone;name\n89123456789;Иван\n89123456780;Пётр\n".encode()
    )
    assert (report.created, report.stop_listed) == (1, 1)
    assert not Contact.objects.filter(phone="+79123456789").exists()
    assert "the number is on the stop list: an import adds no new contact" in rejects


def test_a_stop_listed_contact_already_in_the_book_is_updated(do_import, stage_kind):
    # An export imported back with "update": the opted-out contact's name changes,
    # and the stop list still keeps the number from every campaign.
    make_contact("+79123456789", first_name="Старое")
    stop("+79123456789")
    report, rejects = do_import("phone;name\n89123456789;Новое\n".encode(), update=True)
    assert (report.updated, report.stop_listed) == (1, 0)
    assert Contact.objects.get(phone="+79123456789").first_name == "Новое"
    assert rejects.count("\n") <= 1  # the header at most


def test_progress_follows_rows_read_even_when_all_are_refused(db):
    from contacts.importing.runner import PROGRESS_ROWS, ImportOptions, run_import

    rows = "".join(f"{n};Имя\n" for n in range(PROGRESS_ROWS * 2 + 5))
    seen: list[int] = []
    report = run_import(
        io.BytesIO(("Телефон;Имя\n" + rows).encode("cp1251")),
        name="contacts.csv",
        options=ImportOptions(),
        rejects=io.StringIO(),
        progress=lambda _fraction, read: seen.append(read),
    )
    assert report.invalid == PROGRESS_ROWS * 2 + 5
    assert seen[:2] == [PROGRESS_ROWS, PROGRESS_ROWS * 2]
    assert seen[-1] == report.rows


def test_existing_contacts_are_left_alone_unless_update(
    do_import, stage_kind, custom_fields
):
    make_contact(
        "+79123456789",
        first_name="Старое",
        last_name="Имя",
        attributes={"city": "Омск"},
    )
    data = "Телефон;Имя;Фамилия;Город\n89123456789;Новое;;Москва\n89123456780;Пётр;;\n".encode()
    report, _ = do_import(data)
    assert (report.created, report.updated, report.unchanged) == (1, 0, 1)
    kept = Contact.objects.get(phone="+79123456789")
    assert (kept.first_name, kept.attributes) == ("Старое", {"city": "Омск"})

    report, _ = do_import(data, update=True, encoding="utf-8")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    changed = Contact.objects.get(phone="+79123456789")
    # Empty cells never erase: the last name stays.
    assert (changed.first_name, changed.last_name) == ("Новое", "Имя")
    assert changed.attributes == {"city": "Москва"}

    report, _ = do_import(data, update=True, encoding="utf-8")
    assert (report.updated, report.unchanged) == (0, 2)


def test_update_fills_an_empty_birthday(do_import, stage_kind):
    make_contact("+79123456789")
    report, _ = do_import(b"phone;birthday\n89123456789;1990-03-04\n", update=True)
    assert report.updated == 1
    assert Contact.objects.get().birthday == date(1990, 3, 4)


def test_update_with_only_a_phone_column_adds_to_groups_and_changes_nothing(
    do_import, stage_kind, group
):
    """Nothing to update but the groups: existing numbers join them, otherwise
    unchanged."""
    make_contact("+79123456789", first_name="Иван")
    report, _ = do_import(
        "Телефон\n89123456789\n89123456780\n".encode(),
        update=True, group_ids=[group.pk],
    )  # fmt: skip
    assert (report.created, report.updated, report.added_to_groups) == (1, 0, 1)
    assert report.unchanged == 0
    assert Contact.objects.get(phone="+79123456789").first_name == "Иван"
    assert set(group.contacts.values_list("phone", flat=True)) == {
        "+79123456789",
        "+79123456780",
    }


@pytest.mark.parametrize("update", [False, True])
def test_existing_contacts_added_to_a_group_are_reported_apart_from_unchanged(
    do_import, stage_kind, group, update
):
    """Numbers already in the book went into the group, yet the report called them
    "already there, unchanged"."""
    make_contact("+79123456789", first_name="Иван")
    make_contact("+79123456780", first_name="Пётр").groups.add(group)
    make_contact("+79123456781", first_name="Анна")
    data = "Телефон;Имя\n89123456789;Иван\n89123456780;Пётр\n89123456781;Аня\n"

    report, _ = do_import(data.encode(), group_ids=[group.pk], update=update)

    # Анна, renamed and grouped, counts once: as updated when the import updates.
    expected = (1, 1, 1) if update else (0, 2, 1)
    assert (report.updated, report.added_to_groups, report.unchanged) == expected
    assert group.contacts.count() == 3
    report, _ = do_import(data.encode(), group_ids=[group.pk], update=update)
    assert (report.updated, report.added_to_groups, report.unchanged) == (0, 0, 3)


def test_update_keeps_a_zone_set_by_hand_when_the_file_has_no_zone(
    do_import, stage_kind
):
    """A Moscow landline implies Europe/Moscow; the zone chosen for the contact wins."""
    make_contact("+74951234567", time_zone="Asia/Yekaterinburg")
    report, _ = do_import("Телефон;Имя\n+74951234567;Иван\n".encode(), update=True)
    contact = Contact.objects.get()
    assert report.updated == 1
    assert (contact.first_name, contact.time_zone) == ("Иван", "Asia/Yekaterinburg")


def test_groups_are_filled_for_new_and_existing_contacts(do_import, stage_kind, group):
    make_contact("+79123456789")
    data = b"phone\n89123456789\n89123456780\n"
    do_import(data, group_ids=[group.pk])
    assert set(group.contacts.values_list("phone", flat=True)) == {
        "+79123456789",
        "+79123456780",
    }
    do_import(data, group_ids=[group.pk])
    assert GroupMembership.objects.count() == 2


def test_file_without_header_is_read_as_data(do_import, stage_kind):
    report, _ = do_import("89123456789;Иван\n89123456780;Пётр\n".encode())
    assert (report.rows, report.created) == (2, 2)


def test_full_name_column_is_split(do_import, stage_kind):
    do_import("ФИО;Телефон\nИванов Иван Иванович;89123456789\n".encode())
    contact = Contact.objects.get()
    assert (contact.last_name, contact.first_name, contact.middle_name) == (
        "Иванов",
        "Иван",
        "Иванович",
    )


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        ("Ульянова Вера «Верочка»", ("Ульянова", "Вера", "", "Верочка")),
        ('Иванов "Ваня" Иван Иванович', ("Иванов", "Иван", "Иванович", "Ваня")),
        ("Петров Пётр Петрович (Петя)", ("Петров", "Пётр", "Петрович", "Петя")),
    ],
)
def test_a_quoted_word_of_a_full_name_is_the_nickname(
    do_import, stage_kind, cell, names
):
    """«Верочка» used to be stored as the patronymic, quotes and all."""
    do_import(f"ФИО;Телефон\n{cell};89123456789\n".encode())
    contact = Contact.objects.get()
    assert (
        contact.last_name,
        contact.first_name,
        contact.middle_name,
        contact.nickname,
    ) == names


def test_explicit_mapping_and_ignored_columns(do_import, stage_kind):
    data = "a;b;c\nИван;x;89123456789\n".encode()
    report, _ = do_import(data, header=True, mapping=["first_name", "", "phone"])
    assert report.created == 1
    assert Contact.objects.get().first_name == "Иван"


def test_quoted_newlines_and_delimiters_inside_cells(do_import, stage_kind):
    data = 'Телефон;Имя\n89123456789;"Иван;\nИваныч"\n89123456780;Пётр\n'.encode()
    report, _ = do_import(data)
    assert (report.rows, report.created) == (2, 2)
    assert Contact.objects.get(phone="+79123456789").first_name == "Иван; Иваныч"


def test_ragged_rows(do_import, stage_kind):
    data = "Телефон;Имя\n89123456789\n89123456780;Пётр;лишнее\n89123456781;Анна;\n".encode()
    report, rejects = do_import(data)
    assert (report.created, report.invalid) == (2, 1)
    assert "the row has 3 cells but the header has 2" in rejects


def test_backslashes_tabs_and_formula_guards_survive(do_import, stage_kind):
    data = "Телефон;Имя;Фамилия\n89123456789;a\\b;'=cmd\n".encode()
    do_import(data)
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name) == ("a\\b", "=cmd")


def test_undecodable_bytes_reject_the_row_naming_the_column(do_import, stage_kind):
    data = "Телефон;Имя\n89123456789;Иван\n89123456780;".encode() + b"\xff\xfe" + b"\n"
    report, rejects = do_import(data, encoding="utf-8")
    assert (report.created, report.invalid) == (1, 1)
    assert "column “Имя”: holds bytes that are not valid" in rejects


CYRILLIC_HEADER = "Телефон;Имя;Фамилия\r\n89123456789;Иван;Петров\r\n"


@pytest.mark.parametrize(
    ("data", "encoding", "read_as"),
    [
        (CYRILLIC_HEADER.encode("cp1251"), "utf-8", "UTF-8"),
        (CYRILLIC_HEADER.encode("utf-16"), "cp1251", "Windows-1251"),
        (CYRILLIC_HEADER.encode("cp1251"), "cp1251", None),  # the right one: fine
    ],
    ids=["windows-1251 as UTF-8", "UTF-16 as windows-1251", "windows-1251"],
)
def test_a_header_garbled_by_the_encoding_chosen_stops_the_import(
    do_import, data, encoding, read_as
):
    """Read in the wrong encoding, the Cyrillic names became U+FFFD: only the phone
    column was found (by content) and the names were dropped without a word."""
    if read_as is None:
        do_import(data, encoding=encoding)
        assert Contact.objects.count() == 1
        return
    with pytest.raises(ImportFileError) as caught:
        do_import(data, encoding=encoding)
    assert str(caught.value).startswith(
        f"contacts.csv, row 1: The column names, read as {read_as}, the encoding "
        "chosen for the file, hold characters that are not valid in it"
    )
    assert not Contact.objects.exists()


def test_a_header_garbled_in_the_encoding_detected_asks_for_the_right_one(do_import):
    """UTF-8 throughout but for a column name cut mid-letter."""
    rows = "".join(f"8912345678{i};Иван Петров\n" for i in range(10)).encode()
    data = "Телефон;Имя".encode() + "Ж".encode()[:1] + b"\n" + rows
    with pytest.raises(ImportFileError) as caught:
        do_import(data)
    assert str(caught.value).startswith(
        "contacts.csv, row 1: The column names, read as UTF-8, the encoding detected "
        "for the file, hold characters that are not valid in it"
    )


def test_a_header_with_a_replacement_character_written_in_it_is_imported(do_import):
    """U+FFFD the file holds as written (a name mangled before it was exported) is
    no sign of the wrong encoding."""
    data = "Телефон;Имя;Заметка \ufffd\n89123456789;Иван;x\n".encode()
    report, _ = do_import(data, encoding="utf-8")
    assert (report.created, report.invalid) == (1, 0)
    assert Contact.objects.get().first_name == "Иван"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\x00\x01\x02PNG\x00" * 50, "binary data"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "Old Excel files (.xls)"),
        ("Телефон;Имя\r\n".encode("cp1251"), "header row but no data rows"),
        (
            'Телефон;Имя\n89123456789;"Иван\n89123456780;Пётр\n'.encode(),
            "contacts.csv, row 2: a quoted cell is never closed",
        ),
        (
            'Телефон;Имя;Компания\n79169990021;Иван;"ООО "Ромашка""\n'.encode(),
            "contacts.csv, row 2: a quoted cell is followed by other characters",
        ),
        (
            "Имя;Фамилия\nИван;Иванов\n".encode(),
            "No column is mapped to the phone number",
        ),
        (b"PK\x03\x04garbage", "The Excel workbook is damaged and cannot be opened"),
    ],
)
def test_unreadable_files_get_a_clear_message(do_import, data, message):
    with pytest.raises(ImportFileError) as caught:
        do_import(data)
    assert message in str(caught.value)
    assert "expected" not in str(caught.value)  # no English detail from Python's csv
    assert Contact.objects.count() == 0


def _zip_with(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def _ods() -> bytes:
    """A LibreOffice spreadsheet's package: its kind in the "mimetype" entry."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<x/>")
        archive.writestr("META-INF/manifest.xml", "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            _ods(),
            "contacts.ods",
            "The file is an OpenDocument spreadsheet (.ods, from LibreOffice or "
            "OpenOffice), which cannot be imported.",
        ),
        (
            _zip_with("[Content_Types].xml", "word/document.xml"),
            "contacts.docx",
            "The file is a Word document, not an Excel workbook (.xlsx).",
        ),
        (_zip_with("photo.jpg"), "contacts.zip", "The file is a ZIP archive, not an"),
        (
            "Телефон;Имя\r\n".encode(),
            "contacts.xlsx",
            "The file is named .xlsx but is not an Excel workbook.",
        ),
    ],
)
def test_a_file_that_is_no_workbook_says_what_it_is(do_import, data, name, message):
    """openpyxl's English ("There is no item named '[Content_Types].xml'") for a Word
    file, and "a header row but no data rows" for a text file named .xlsx."""
    with pytest.raises(ImportFileError) as caught:
        do_import(data, name=name)
    assert message in str(caught.value)
    assert "Content_Types" not in str(caught.value)


def test_an_error_late_in_the_file_imports_nothing(do_import, stage_kind):
    data = (
        "Телефон\n" + "".join(f"8912{i:07d}\n" for i in range(50)) + '"89123456789\n'
    ).encode()
    with pytest.raises(ImportFileError):
        do_import(data)
    assert Contact.objects.count() == 0


def test_file_over_the_size_limit_is_refused(do_import, settings):
    settings.SMSPORTAL_IMPORT_MAX_BYTES = 1000
    with pytest.raises(
        ImportFileError, match="the largest file that can be imported is"
    ):
        do_import(b"phone\n" + b"89123456789\n" * 100)


def test_stoplist_import(do_import, stage_kind):
    StopListEntry.objects.create(phone="+79123456789", reason="old")
    data = "Телефон;Причина\n89123456789;x\n89123456780;жалоба\n89123456781;\n89123456781;\nbad;\n".encode()
    report, _ = do_import(data, kind="stoplist", stop_reason="по умолчанию")
    assert report_counts(report) == {
        "rows": 5, "created": 2, "updated": 0, "added_to_groups": 0, "unchanged": 1,
        "duplicates": 1, "invalid": 1, "stop_listed": 0,
    }  # fmt: skip
    reasons = dict(StopListEntry.objects.values_list("phone", "reason"))
    assert reasons == {
        "+79123456789": "old",
        "+79123456780": "жалоба",
        "+79123456781": "по умолчанию",
    }
    assert set(StopListEntry.objects.values_list("source", flat=True)) >= {"import"}


def test_many_rows_in_several_chunks(do_import, stage_kind, monkeypatch):
    from contacts.importing import runner

    monkeypatch.setattr(runner, "CHUNK_ROWS", 7)
    lines = [f"8912{i:07d};Имя{i}\n" for i in range(100)]
    report, _ = do_import(("Телефон;Имя\n" + "".join(lines + lines[::3])).encode())
    assert (report.rows, report.created, report.duplicates) == (134, 100, 34)
    assert Contact.objects.count() == 100


def test_rows_of_existing_numbers_are_checked_only_when_they_update(
    do_import, stage_kind
):
    make_contact("+79123456789", first_name="Иван")
    data = "Телефон;Дата рождения\n89123456789;31.02.1990\n".encode()
    report, _ = do_import(data)
    assert (report.unchanged, report.invalid) == (1, 0)
    report, rejects = do_import(data, update=True)
    assert (report.unchanged, report.invalid) == (0, 1)
    assert "column “Дата рождения”: no such date in the calendar" in rejects


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("31.02.1990", "no such date in the calendar"),
        ("1990-13-01", "no such date in the calendar"),
        ("31/04/1990", "no such date in the calendar"),
        ("вчера", "not a date (write DD.MM.YYYY or YYYY-MM-DD)"),
    ],
)
def test_a_date_written_right_but_not_in_the_calendar_says_so(
    do_import, written, problem
):
    """ "31.02.1990" is written as asked: "write DD.MM.YYYY" told its writer nothing."""
    _report, rejects = do_import(
        f"Телефон;Дата рождения\n89123456789;{written}\n".encode()
    )

    assert f"column “Дата рождения”: {problem}" in rejects


def test_reasons_are_in_the_users_language(do_import):
    with translation.override("ru"):
        _report, rejects = do_import("Телефон;Имя\n12345;Пётр\n".encode())
    assert "столбец «Телефон»: слишком мало цифр" in rejects
    assert "«12345»" in rejects  # the value in the language's quotes too


def test_characters_no_gateway_can_carry_are_removed_and_reported(
    do_import, stage_kind, custom_fields
):
    data = (
        "Телефон;Фамилия;Имя;Город;Заметка\n"
        "89123456789;Иванов;Ив\x07ан;Москва;\x01ignored\n"  # BEL in a name
        "\x1b89123456780;Петрова;Анна;Тверь\x7f;\n"  # ESC in the phone, DEL in a city
        "89123456781;Сидоров\x0bСтарший;Пётр;Omsk;\n"  # vertical tab between words
        "89123456782;Кузнецов;Олег;;\x02only in an ignored column\n"
        "89123456783;Щукин;Эдуард\x00;;\n"  # NUL: the file is garbled, the row refused
    ).encode()
    mapping = ["phone", "last_name", "first_name", "attr:city", ""]

    # A file this small with this many controls would be sniffed as binary data:
    # the encoding is chosen by hand, as the page lets the user do.
    report, rejects = do_import(data, mapping=mapping, header=True, encoding="utf-8")

    assert report_counts(report) == {
        "rows": 5, "created": 4, "updated": 0, "added_to_groups": 0, "unchanged": 0,
        "duplicates": 0, "invalid": 1, "stop_listed": 0,
    }  # fmt: skip
    people = {
        c.phone: (c.last_name, c.first_name, c.attributes.get("city"))
        for c in Contact.objects.all()
    }
    assert people == {
        "+79123456789": ("Иванов", "Иван", "Москва"),
        "+79123456780": ("Петрова", "Анна", "Тверь"),
        "+79123456781": ("Сидоров Старший", "Пётр", "Omsk"),
        "+79123456782": ("Кузнецов", "Олег", None),
    }
    assert report.cleaned == 3
    assert report_for_reader(report.as_dict())["cleaned_examples"] == [
        {
            "row": 2,
            "reason": "column “Имя”: removed the control character U+0007 at "
            "character 3",
        },
        {
            "row": 3,
            "reason": "column “Телефон”: removed the control character U+001B at "
            "character 1",
        },
        {
            "row": 4,
            "reason": "column “Фамилия”: removed the control character U+000B at "
            "character 8",
        },
    ]
    assert "contains a NUL character" in rejects


def test_a_number_with_a_stray_control_character_updates_the_contact(
    do_import, stage_kind
):
    make_contact("+79123456789", first_name="Old")
    data = "Телефон;Имя\n8912345\x076789;Н\x06овое\n".encode()

    report, _ = do_import(data, update=True, encoding="utf-8")

    assert (report.updated, report.invalid, report.cleaned) == (1, 0, 1)
    assert Contact.objects.get().first_name == "Новое"


def test_stoplist_import_cleans_the_number_and_the_reason(do_import, stage_kind):
    data = "Телефон;Причина\n89123456789\x08;жал\x7fоба\n".encode()

    report, _ = do_import(data, kind="stoplist", encoding="utf-8")

    assert (report.created, report.cleaned) == (1, 1)
    entry = StopListEntry.objects.get()
    assert (entry.phone, entry.reason) == ("+79123456789", "жалоба")


def test_a_corrected_stoplist_rejects_file_goes_back_in_with_its_reasons(
    do_import, stage_kind
):
    """The rejects file's own column of errors is not taken for the entries' reason."""
    data = "Телефон;Причина\n+79176660001;Жалоба\n+7917666000;Просил не писать\n"
    _report, rejects = do_import(data.encode(), kind="stoplist", encoding="utf-8")
    corrected = rejects.replace("+7917666000;", "+79176660002;")

    report, _ = do_import(corrected.encode(), kind="stoplist", encoding="utf-8")

    assert report.created == 1
    assert StopListEntry.objects.get(phone="+79176660002").reason == "Просил не писать"


def _with_dimension(workbook: openpyxl.Workbook, ref: str) -> bytes:
    """The saved workbook with its first sheet's <dimension> replaced by `ref`."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(saved(workbook))) as src,
        zipfile.ZipFile(out, "w") as dst,
    ):
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="%s"/>'
                              % ref.encode(), data)  # fmt: skip
            dst.writestr(item, data)
    return out.getvalue()


def test_xlsx_with_a_wrong_stated_size_loses_no_rows_or_columns(do_import, stage_kind):
    # Some programs write the sheet's size as "A1:A1" or stale; read-only openpyxl
    # trusts it and silently stopped there.
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Телефон", "Имя", "Фамилия"])
    for i in range(5):
        sheet.append([79123456780 + i, f"Имя{i}", f"Фамилия{i}"])

    report, _ = do_import(_with_dimension(workbook, "A1:B3"), name="book.xlsx")

    assert (report.rows, report.created) == (5, 5)
    assert Contact.objects.get(phone="+79123456784").last_name == "Фамилия4"


def test_a_mistyped_number_in_the_first_row_of_a_file_without_header_is_rejected(
    do_import, stage_kind
):
    # Taken for a header, the first row vanished: not created, not in the rejects.
    data = "12345;Иван\n89123456789;Пётр\n89123456780;Анна\n".encode()

    report, rejects = do_import(data)

    assert (report.rows, report.created, report.invalid) == (3, 2, 1)
    rejected = list(csv.reader(io.StringIO(rejects), delimiter=";"))[1:]
    assert [(r[0], r[1].split(":")[0], r[2]) for r in rejected] == [
        ("1", "column 1", "12345")
    ]


def test_a_header_over_the_phone_column_is_still_a_header(do_import, stage_kind):
    data = "Номер;01.02.2024\n89123456789;был\n".encode()

    report, _ = do_import(data)

    assert (report.rows, report.created) == (1, 1)


def test_lines_ending_in_a_lone_cr_from_excel_for_mac(do_import, stage_kind):
    data = "Телефон;Имя\r89123456789;Иван\r89123456780;Анна\r".encode("cp1251")

    report, _ = do_import(data)

    assert (report.delimiter, report.rows, report.created) == (";", 2, 2)
    assert Contact.objects.get(phone="+79123456780").first_name == "Анна"


def test_phones_written_as_numbers_by_spreadsheets_and_programs(do_import, stage_kind):
    data = (
        "Телефон;Имя\n"
        "7.9123456789E10;Иван\n"  # a double as Java and 1C print it
        "7,9123456780E+10;Анна\n"  # Russian Excel, column wide enough
        "79123456770.0;Пётр\n"  # pandas: a column of numbers with a gap
        "7,91235E+10;Олег\n"  # Excel's General format: the last digits are gone
        "12345.0;Нина\n"
    ).encode()

    report, rejects = do_import(data)

    assert (report.created, report.invalid) == (3, 2)
    assert set(Contact.objects.values_list("phone", flat=True)) == {
        "+79123456789", "+79123456780", "+79123456770",
    }  # fmt: skip
    rejected = {r[0]: r[1] for r in csv.reader(io.StringIO(rejects), delimiter=";")}
    assert rejected["5"] == (
        "column “Телефон”: the number is in exponent form and may have lost its last "
        "digits; format the column as Text or as a Number without decimals and save "
        "the file again: “7,91235E+10”"
    )
    assert rejected["6"] == "column “Телефон”: too few digits: “12345.0”"


@pytest.mark.parametrize(
    ("data", "name", "delimiter"),
    [
        ("Телефон;Имя\n123;Иван\n".encode("cp1251"), "book.csv", ";"),
        ("Телефон,Имя\n123,Иван\n".encode(), "book.csv", ","),
        # A workbook has no delimiter: ";", which Russian Excel splits on.
        (None, "book.xlsx", ";"),
    ],
)
def test_rejects_are_written_with_the_files_delimiter(do_import, data, name, delimiter):
    # Russian Excel opens a comma-separated file as a single column: the rejects of
    # the ";" file it wrote must come back with ";".
    if data is None:
        workbook = openpyxl.Workbook()
        workbook.active.append(["Телефон", "Имя"])
        workbook.active.append(["123", "Иван"])
        data = saved(workbook)

    _report, rejects = do_import(data, name=name)

    header, row = csv.reader(io.StringIO(rejects), delimiter=delimiter)
    assert (header[2:], row[0], row[2:]) == (["Телефон", "Имя"], "2", ["123", "Иван"])


def test_numbers_json_cannot_hold_reject_the_row_not_the_import(
    do_import, stage_kind, custom_fields
):
    # These reached COPY as they were: "invalid input syntax for type json" and
    # "value overflows numeric format" stopped the whole import.
    data = (
        "Телефон;Баланс\n89123456789;\u0661\u0662\n89123456780;1e1000000\n"
        "89123456781;１５\n"
    ).encode()

    report, rejects = do_import(data)

    assert (report.created, report.invalid) == (2, 1)
    assert Contact.objects.get(phone="+79123456789").attributes == {"balance": 12}
    assert Contact.objects.get(phone="+79123456781").attributes == {"balance": 15}
    assert "column “Баланс”: not a number: “1e1000000”" in rejects


def test_xlsx_with_an_empty_first_sheet_reads_the_sheet_with_the_data(
    do_import, stage_kind
):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Лист1"
    sheet = workbook.create_sheet("Лист2")
    sheet.append(["Телефон", "Имя"])
    sheet.append(["89123456789", "Иван"])
    # A sheet after the data under another header is not read (one under the same
    # header continues it: test_xlsx_sheets_continuing_the_first_...).
    notes = workbook.create_sheet("Заметки")
    notes.append(["Что", "Когда"])
    notes.append(["89123456780", "вчера"])

    report, _ = do_import(saved(workbook), name="book.xlsx")

    assert (report.rows, report.created) == (1, 1)
    assert Contact.objects.get().first_name == "Иван"


def test_a_utf8_file_with_one_broken_letter_rejects_only_that_row(
    do_import, stage_kind
):
    # A database export cut one name mid-letter. The file is still UTF-8: the other
    # names arrive intact and the broken row is named in the rejects.
    rows = [f"+7912{i:07d};Анна\n".encode() for i in range(40)]
    rows[20] = b"+79129999999;\xd0\n"  # the first byte of a two-byte letter only
    report, rejects = do_import(
        b"".join(rows), header=False, mapping=["phone", "first_name"]
    )
    assert report.encoding == "utf-8"
    assert report.created == 39
    assert report.invalid == 1
    assert set(Contact.objects.values_list("first_name", flat=True)) == {"Анна"}
    assert "+79129999999" in rejects
    assert "not valid in the file's encoding" in rejects


def test_a_quoted_name_after_a_comma_and_a_space(do_import, stage_kind):
    data = 'phone, last_name, first_name\n+79123456789, "Иванов, мл.", "Иван"\n'
    report, _rejects = do_import(data.encode())
    assert report.created == 1
    ivan = Contact.objects.get()
    assert (ivan.last_name, ivan.first_name) == ("Иванов, мл.", "Иван")


def test_a_time_zone_column_sets_the_zone_mobiles_lack(do_import, stage_kind):
    # A Russian mobile number carries no region: the file's zone decides its quiet
    # hours. Written as people write it; an empty cell keeps the numbering plan's.
    data = (
        "Телефон;Имя;Часовой пояс\n"
        "+79120000001;Вера;Asia/Vladivostok\n"
        "+79120000002;Глеб;МСК+7\n"
        "+79120000003;Дина;utc+5\n"
        "+74951234567;Офис;\n"
        "+79120000004;Марк;Марс\n"
        "+79120000005;Жанна;Екатеринбург (UTC+05:00)\n"
        "+79120000006;Игорь;Москва\n"
    )
    report, rejects = do_import(data.encode())
    zones = dict(Contact.objects.values_list("phone", "time_zone"))
    assert zones == {
        "+79120000001": "Asia/Vladivostok",
        "+79120000002": "Asia/Vladivostok",
        "+79120000003": "Asia/Yekaterinburg",
        "+74951234567": "Europe/Moscow",
        # As the contact form and the pages name zones.
        "+79120000005": "Asia/Yekaterinburg",
        "+79120000006": "Europe/Moscow",
    }
    assert report.invalid == 1
    assert "Часовой пояс" in rejects
    assert "Марс" in rejects


def test_a_time_zone_column_updates_a_contact_and_an_empty_cell_keeps_it(
    do_import, stage_kind
):
    Contact.objects.create(phone="+79120000001", time_zone="Europe/Moscow")
    Contact.objects.create(phone="+79120000002", time_zone="Asia/Omsk")
    data = "phone;time zone\n+79120000001;Asia/Irkutsk\n+79120000002;\n"
    report, _rejects = do_import(data.encode(), update=True)
    zones = dict(Contact.objects.values_list("phone", "time_zone"))
    assert zones == {"+79120000001": "Asia/Irkutsk", "+79120000002": "Asia/Omsk"}
    assert (report.updated, report.unchanged) == (1, 1)


def test_xlsx_sheets_continuing_the_first_under_its_header_are_read_on(
    do_import, stage_kind
):
    """An export past Excel's row limit goes on in a next sheet under the same header
    (smsportal.lib.xlsx_stream); imported back, no row of it is lost, and a bad row
    there is named by its number counted on from the first sheet."""
    from smsportal.lib.xlsx_stream import stream_xlsx

    rows = [[f"+7912345678{i}", f"Имя{i}"] for i in range(5)]
    rows[3][0] = "12345"  # the fourth contact: the second sheet's first data row
    data = b"".join(stream_xlsx("Контакты", ["Телефон", "Имя"], rows, max_rows=4))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert len(book.sheetnames) == 2

    report, rejects = do_import(data, name="contacts.xlsx")

    assert (report.rows, report.created) == (5, 4)
    assert sorted(Contact.objects.values_list("first_name", flat=True)) == [
        "Имя0", "Имя1", "Имя2", "Имя4",
    ]  # fmt: skip
    bad = [line for line in rejects.splitlines() if "12345" in line]
    assert len(bad) == 1
    assert bad[0].startswith("5;")  # the header is row 1: the fourth contact is row 5
    # ... and the reason says where it is in the workbook: the second sheet's row 2.
    second = book.sheetnames[1]
    assert f"sheet “{second}”, row 2: column “Телефон”" in bad[0]


def test_progress_of_a_streamed_workbook_follows_the_file():
    """Our own XLSX exports state no sheet size: the progress is how far into the file
    the reading is, not 0 until the end."""
    from contacts.importing.sources import open_table
    from smsportal.lib.xlsx_stream import stream_xlsx

    rows = ([f"+7912{n:07d}", f"Имя {n} " * 8] for n in range(20_000))
    data = b"".join(stream_xlsx("Контакты", ["Телефон", "Имя"], rows))
    table = open_table(io.BytesIO(data), name="contacts.xlsx")
    seen = []
    for number, _cells in table.records:
        if number % 5_000 == 0:
            seen.append(table.fraction_read())
    assert len(seen) == 4
    assert 0 < seen[0] < seen[1] < seen[2] < seen[3] <= 1


def _reltuples(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table]
        )
        return cursor.fetchone()[0]


def test_an_import_that_grows_the_book_much_analyses_it(do_import, monkeypatch):
    """After a large import the book's size was read from statistics never refreshed:
    "about 100 001" for half a million contacts."""
    from django.db import connection

    from contacts import statistics

    monkeypatch.setattr(statistics, "ANALYZE_FLOOR", 0)  # a small book will do
    # ANALYZE writes pg_class in place, past the test's rollback: start from empty.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")
    rows = "".join(f"8912{n:07d};Имя{n}\n" for n in range(40))
    report, _ = do_import(rows.encode())
    assert report.created == 40
    assert _reltuples("contacts_contact") == 40

    # Five more rows are an eighth of the table: analysed again.
    do_import("".join(f"8913{n:07d}\n" for n in range(5)).encode())
    assert _reltuples("contacts_contact") == 45
    # One more row of 45 is not many: the statistics are left to autovacuum.
    do_import(b"89140000000\n")
    assert _reltuples("contacts_contact") == 45
    # Many rows by count alone.
    monkeypatch.setattr(statistics, "ANALYZE_ROWS", 1)
    do_import(b"89140000001\n")
    assert _reltuples("contacts_contact") == 47


def test_a_rejected_row_names_every_column_at_fault(do_import, stage_kind):
    """Only the first problem was named: the user fixed it, imported again, and met
    the next one."""
    CustomField.objects.create(key="spent", label="Сумма покупок", kind="number")
    CustomField.objects.create(key="visit", label="Дата визита", kind="date")
    data = (
        "Телефон;ФИО;Дата рождения;Сумма покупок;Дата визита;E-mail\n"
        "89161000003;Кузнецов;31.12.1985;abc;32.13.2026;bad-email\n"
        "89161000004;Петров;01.01.1990;12,50;01.02.2026;p@example.ru\n"
    )
    report, rejects = do_import(data.encode())

    assert (report.created, report.invalid) == (1, 1)
    reason = list(csv.reader(io.StringIO(rejects), delimiter=";"))[1][1]
    assert reason == (
        "column “Сумма покупок”: not a number: “abc”; "
        "column “Дата визита”: no such date in the calendar: “32.13.2026”; "
        "column “E-mail”: not an email address: “bad-email”"
    )
    assert not report.cleaned


@pytest.mark.parametrize(
    ("written", "birthday"),
    [
        ("31.12.85", date(1985, 12, 31)),
        ("01.02.05", date(2005, 2, 1)),
        ("15 марта 1990", date(1990, 3, 15)),
        ("15 мар 1990", date(1990, 3, 15)),
        ("15 мар. 1990 г.", date(1990, 3, 15)),
        ("1 Сентября 1985", date(1985, 9, 1)),
        ("3 май 85", date(1985, 5, 3)),
    ],
)
def test_two_digit_years_and_russian_month_names_are_dates(
    do_import, written, birthday
):
    report, rejects = do_import(
        f"Телефон;Дата рождения\n89123456789;{written}\n".encode()
    )
    assert report.created == 1, rejects
    assert Contact.objects.get().birthday == birthday


def test_a_two_digit_year_of_another_date_is_the_nearest_century(
    do_import, custom_fields
):
    this_year = timezone.localdate().year
    ahead = (this_year + 1) % 100
    report, rejects = do_import(
        f"Телефон;Визит\n89123456789;01.02.{ahead:02d}\n".encode()
    )
    assert report.created == 1, rejects
    assert Contact.objects.get().attributes["visit"] == f"{this_year + 1}-02-01"


def test_a_word_that_is_no_month_is_not_a_date(do_import):
    report, rejects = do_import(
        "Телефон;Дата рождения\n89123456789;15 мартобря 1990\n".encode()
    )
    assert report.invalid == 1
    assert "not a date" in rejects


def test_excels_separator_line_is_read_past_without_calling_it_a_title(do_import):
    # Excel writes «sep=;» first to name the delimiter; it is no title of the file.
    data = "sep=;\nТелефон;Имя\n+79120000001;Вера\n".encode("cp1251")
    report, _rejects = do_import(data)
    assert (report.delimiter, report.created, report.invalid) == (";", 1, 0)
    assert report.title_rows == 0
    assert Contact.objects.get().first_name == "Вера"


def test_rows_after_excels_separator_line_are_numbered_as_excel_shows_them(do_import):
    # Excel reads «sep=;» as its setting and shows the header as row 1: a report
    # counting the line would send the user to the row below the one at fault.
    data = (
        "sep=;\r\nТелефон;Имя\r\n+79120000001;Вера\r\n12345;Пётр\r\n"
        "89120000001;Вера\r\n"
    ).encode("cp1251")
    _report, rejects = do_import(data)
    rows = list(csv.reader(io.StringIO(rejects), delimiter=";"))
    assert [(r[0], r[2]) for r in rows[1:]] == [("3", "12345"), ("4", "89120000001")]
    assert rows[2][1] == "column “Телефон”: the same number is already in row 2"


def test_a_broken_quote_after_excels_separator_line_names_the_row_excel_shows(
    do_import,
):
    data = 'sep=;\nТелефон;Имя\n89123456789;"Иван\n'.encode()
    with pytest.raises(ImportFileError) as caught:
        do_import(data)
    assert "contacts.csv, row 2: a quoted cell is never closed" in str(caught.value)

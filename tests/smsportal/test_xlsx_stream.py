"""The streamed XLSX writer: what openpyxl reads back, sheets past Excel's row limit,
and bytes handed out before the last row is read."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from smsportal.lib import xlsx_stream
from smsportal.lib.xlsx_stream import stream_xlsx

# Excel has no time zones: the writer takes naive local times.
AT = datetime(2026, 12, 4, 10, 30, 15)  # noqa: DTZ001
BIRTHDAY_READ_BACK = datetime(1990, 1, 2)  # noqa: DTZ001 - openpyxl's reading of a date


def read(chunks, *, read_only: bool = False) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(b"".join(chunks)), read_only=read_only)


def test_cells_read_back_with_their_types():
    row = [
        "+79120000001", "A & B <b> «ё» 😀", "  spaces kept  ", "bell\x07here",
        Decimal("3.50"), 7, 1.25, True, None,
        AT, date(1990, 1, 2), "last",
    ]  # fmt: skip
    header = [f"h{i}" for i in range(len(row))]
    sheet = read(stream_xlsx("Сообщения", header, [row])).active
    assert sheet.title == "Сообщения"
    first, second = sheet.iter_rows(values_only=True)
    assert list(first) == header
    assert list(second) == [
        "+79120000001", "A & B <b> «ё» 😀", "  spaces kept  ", "bell\ufffdhere",
        3.5, 7, 1.25, True, None,
        AT, BIRTHDAY_READ_BACK, "last",
    ]  # fmt: skip
    # Dates keep a date format: Excel shows them as dates, not as serial numbers.
    assert sheet["J2"].is_date
    assert sheet["K2"].number_format == "yyyy-mm-dd"


def test_an_empty_export_is_a_header_alone():
    sheet = read(stream_xlsx("Contacts", ["Phone", "Name"], [])).active
    assert list(sheet.iter_rows(values_only=True)) == [("Phone", "Name")]


def test_rows_past_the_limit_go_on_in_the_next_sheet_under_the_header():
    rows = ([n, f"t{n}"] for n in range(7))
    book = read(stream_xlsx("Messages", ["n", "text"], rows, max_rows=3))
    assert book.sheetnames == [
        "Messages", "Messages (2)", "Messages (3)", "Messages (4)",
    ]  # fmt: skip
    sheets = [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
    assert sheets == [
        [("n", "text"), (0, "t0"), (1, "t1")],
        [("n", "text"), (2, "t2"), (3, "t3")],
        [("n", "text"), (4, "t4"), (5, "t5")],
        [("n", "text"), (6, "t6")],
    ]
    assert xlsx_stream.EXCEL_MAX_ROWS == 1_048_576


def test_sheet_names_follow_excel_s_rules():
    title = "Отчёт: рассылка [весна] / 2026 — все сообщения"
    book = read(stream_xlsx(title, ["a"], ([n] for n in range(3)), max_rows=2))
    first, second, _third = book.sheetnames
    assert len(first) <= 31
    assert not set("[]:*?/\\") & set(first + second)
    assert second.endswith(" (2)")
    assert len(second) <= 31


def test_the_first_bytes_leave_before_the_last_row_is_read():
    read_rows = 0
    total = 20_000

    def rows():
        nonlocal read_rows
        for n in range(total):
            read_rows += 1
            yield [f"+7912{n:07d}", f"Здравствуйте! Ваш заказ {n} готов к выдаче.", n]

    chunks = stream_xlsx("Messages", ["phone", "text", "n"], rows())
    first = next(chunks)
    assert first.startswith(b"PK")  # a ZIP's first local header
    assert read_rows < total
    book = read([first, *chunks], read_only=True)
    assert read_rows == total
    assert sum(1 for _ in book.active.iter_rows()) == total + 1


def test_an_aware_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        b"".join(stream_xlsx("M", ["at"], [[datetime(2026, 1, 1, tzinfo=UTC)]]))


def test_the_package_leads_with_its_content_types_and_types_every_part():
    """File-type sniffers take a ZIP for an Office document by [Content_Types].xml
    first; the types cover every part however many sheets followed."""
    import zipfile

    from lxml import etree

    data = b"".join(stream_xlsx("M", ["n"], ([n] for n in range(5)), max_rows=2))
    package = zipfile.ZipFile(io.BytesIO(data))
    names = package.namelist()
    assert names[:3] == ["[Content_Types].xml", "_rels/.rels", "xl/styles.xml"]
    types = etree.fromstring(package.read("[Content_Types].xml"))
    ns = {"t": "http://schemas.openxmlformats.org/package/2006/content-types"}
    defaults = {
        d.get("Extension"): d.get("ContentType") for d in types.findall("t:Default", ns)
    }
    overrides = {
        o.get("PartName"): o.get("ContentType") for o in types.findall("t:Override", ns)
    }

    def kind(name: str) -> str:
        return overrides.get("/" + name) or defaults[name.rsplit(".", 1)[1]]

    sheets = [name for name in names if name.startswith("xl/worksheets/")]
    assert len(sheets) == 5  # a header and one row each
    assert {kind(name) for name in sheets} == {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    }
    assert kind("xl/workbook.xml").endswith(".sheet.main+xml")
    assert kind("xl/styles.xml").endswith(".styles+xml")


def test_a_failure_mid_export_leaves_no_workbook_that_looks_complete():
    """A database error half-way must not end in a valid file missing rows: the bytes
    already sent are not a workbook anyone can open."""
    import zipfile

    def rows():
        for n in range(30_000):
            if n == 25_000:
                raise RuntimeError("connection lost")
            yield [f"+7912{n:07d}", f"Здравствуйте! Ваш заказ {n} готов к выдаче."]

    received: list[bytes] = []
    with pytest.raises(RuntimeError, match="connection lost"):
        received.extend(stream_xlsx("Messages", ["phone", "text"], rows()))
    assert received  # some bytes had left
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(b"".join(received)))


def test_every_sheet_has_a_frozen_filtered_header_and_sized_columns():
    import zipfile

    from lxml import etree

    rows = [[f"+7912{n:07d}", "x" * (5 + n * 40), AT] for n in range(5)]
    data = b"".join(stream_xlsx("Messages", ["Phone", "Text", "At"], rows, max_rows=3))
    book = read([data])
    first, *_rest, last = book.worksheets
    assert [sheet.freeze_panes for sheet in book.worksheets] == ["A2"] * 3
    assert first.auto_filter.ref == "A1:C3"
    assert last.auto_filter.ref == "A1:C2"
    widths = [first.column_dimensions[c].width for c in "ABC"]
    assert widths[0] >= len("+79120000000")
    assert widths[1] == xlsx_stream.MAX_WIDTH  # the longest text, capped
    assert widths[2] >= len("yyyy-mm-dd h:mm:ss")
    # Excel's own name for each sheet's filter range (openpyxl reads it as the
    # filter and hides it), as openpyxl and Excel write it.
    workbook = etree.fromstring(
        zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml")
    )
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    names = workbook.findall("m:definedNames/m:definedName", ns)
    assert [(n.get("name"), n.get("localSheetId"), n.text) for n in names] == [
        ("_xlnm._FilterDatabase", "0", "'Messages'!$A$1:$C$3"),
        ("_xlnm._FilterDatabase", "1", "'Messages (2)'!$A$1:$C$3"),
        ("_xlnm._FilterDatabase", "2", "'Messages (3)'!$A$1:$C$2"),
    ]

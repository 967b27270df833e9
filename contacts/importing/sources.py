"""Open an uploaded CSV or XLSX file as numbered records, with clear errors for bad files."""

import io
import logging
import os
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import BinaryIO

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from contacts.importing.fields import HEADER_ALIASES, normalize_header
from contacts.phone_search import looks_like_phone
from smsportal.exceptions import ApplicationError
from smsportal.lib import csvio
from smsportal.lib.deferred import Deferred, deferred

logger = logging.getLogger("contacts.importing")

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
ENCODING_CHOICES = (
    "auto", "utf-8", "utf-8-sig", "cp1251", "koi8-r", "cp866", "utf-16"
)  # fmt: skip
ENCODING_LABELS = {
    "auto": gettext_lazy("Detect"),
    "utf-8": "UTF-8",
    "utf-8-sig": gettext_lazy("UTF-8 with BOM"),
    "cp1251": "Windows-1251",
    "koi8-r": "KOI8-R",
    # Russian Excel's "CSV (MS-DOS)".
    "cp866": "CP866 (DOS)",
    "utf-16": "UTF-16",
}
DELIMITER_CHOICES = {"auto": "auto", ",": ",", ";": ";", "tab": "\t", "\t": "\t"}
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


class ImportFileError(ApplicationError):
    """The file cannot be imported at all; the message says why and where."""


@dataclass
class Table:
    """An opened CSV or XLSX file: its format, how it is read, and its records."""

    format: str
    encoding: str
    delimiter: str
    size: int
    records: Iterator[tuple[int, list[str]]]
    _position: object = field(repr=False)
    # Workbook sheets left out (hidden, or not continuing the first under its header),
    # known once the records are read.
    skipped_sheets: list[str] = field(default_factory=list)
    # Rows above the header taken for the file's title and left out.
    title_rows: int = 0
    # Sheets read on under the first one's header: (first row number handed out,
    # what to subtract for the sheet's own row number, the sheet's name).
    continuations: list[tuple[int, int, str]] = field(default_factory=list)
    # The name of the sheet the header is on (a workbook's).
    first_sheet: str = ""
    # U+FFFD characters the start of a CSV file holds as written (a UTF-8 file may),
    # not put in for bytes its encoding cannot decode; None for a workbook.
    written_replacements: int | None = None

    def garbled(self, cells: Sequence[str]) -> bool:
        """Whether cells from the start of the file (its header) hold characters the
        encoding could not decode: U+FFFD the bytes do not hold as written, or NUL
        (UTF-16 read as an encoding of one byte a letter)."""
        if self.written_replacements is None:
            return False
        text = "".join(cells)
        return "\x00" in text or text.count("\ufffd") > self.written_replacements

    def fraction_read(self) -> float:
        return min(1.0, self._position() / self.size) if self.size else 0.0

    def place_of(self, row: int) -> Deferred | None:
        """Where a row is in a workbook read on over several sheets ("sheet “Feb”,
        row 2"), for the user to find it; None for a CSV file or a single sheet,
        whose rows are numbered as they stand. A record, put into words when it is
        read (contacts.importing.reasons)."""
        if not self.continuations:
            return None
        sheet, base = self.first_sheet, 0
        for start, later_base, title in reversed(self.continuations):
            if row >= start:
                sheet, base = title, later_base
                break
        return deferred(
            gettext_noop("sheet “%(sheet)s”, row %(row)s"), sheet=sheet, row=row - base
        )


# A report's heading above its header: 1C's takes five (the firm, the report's name,
# the period, the selection, the date made); more is a table of one column.
TITLE_ROWS_MAX = 6


def max_import_bytes() -> int:
    return getattr(settings, "SMSPORTAL_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def open_table(
    raw: BinaryIO, *, name: str, encoding: str = "auto", delimiter: str = "auto"
) -> Table:
    """Sniff format, encoding and delimiter (unless given) and start reading records."""
    size = _size_of(raw)
    limit = max_import_bytes()
    if size > limit:
        raise ImportFileError(
            _(
                "The file is %(size)s; the largest file that can be imported is "
                "%(limit)s. Split it into smaller files."
            )
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            where=name,
        )
    raw.seek(0)
    sample = raw.read(csvio.SAMPLE_BYTES)
    raw.seek(0)
    if sample.startswith(csvio.ZIP_MAGIC):
        return _open_xlsx(raw, name=name, size=size)
    if name.lower().endswith((".xlsx", ".xlsm")):
        # Read as text it would be one odd column or nothing ("a header and no
        # rows"): say what it is not.
        raise ImportFileError(
            _(
                "The file is named .xlsx but is not an Excel workbook. Open it in the "
                "program that made it and save it as .xlsx or CSV."
            ),
            where=name,
        )
    try:
        if encoding == "auto":
            encoding = csvio.detect_file_encoding(raw, sample)
        codec = csvio.text_codec(encoding, sample)
        if delimiter == "auto":
            delimiter = csvio.detect_delimiter(_decode_sample(sample, codec))
    except csvio.UnreadableFile as exc:
        raise file_error(exc, name) from None
    delimiter = DELIMITER_CHOICES.get(delimiter, delimiter)
    text = csvio.open_text(raw, codec)
    table = Table("csv", encoding, delimiter, size, iter(()), raw.tell)
    # errors="ignore" drops what cannot be decoded: what U+FFFD is left was written.
    table.written_replacements = sample.decode(codec, errors="ignore").count("\ufffd")
    table.records = _without_title_rows(_csv_records(text, delimiter, name), table)
    return table


def file_error(exc: csvio.UnreadableFile, name: str) -> ImportFileError:
    """The user's message for a csvio problem code."""
    messages = {
        "empty": _("The file is empty."),
        "binary": _(
            "The file is neither a CSV text file nor an Excel workbook (.xlsx): "
            "it holds binary data."
        ),
        "legacy_excel": _(
            "Old Excel files (.xls) cannot be read. Save the file as .xlsx or CSV "
            "and upload it again."
        ),
        "encoding": _(
            "Could not tell the file's encoding: it is neither UTF-8 nor "
            "windows-1251. Save it as “CSV UTF-8” and upload it again."
        ),
        "not_utf16": _(
            "The file is not in UTF-16, the encoding chosen for it. Choose "
            "“Detect” (“auto” through the API) to have its encoding recognised, or "
            "the encoding it was saved in."
        ),
        # The row goes in `where`; Python's own detail (English) stays out.
        "malformed": _(
            "a quoted cell is followed by other characters before the next "
            "delimiter. Check the quotes in that row: a quote inside a quoted cell "
            'is written twice ("ООО ""Ромашка""").'
        ),
        "unclosed_quote": _(
            "a quoted cell is never closed, so the rest of the file would end up in "
            "one cell. Check the quotes in that row."
        ),
    }
    message = messages.get(exc.code, _("The file cannot be read."))
    row = exc.params.get("row")
    where = _("%(file)s, row %(row)s") % {"file": name, "row": row} if row else name
    return ImportFileError(message, where=where, extra={"code": exc.code})


def garbled_header_error(
    table: Table, *, name: str, row: int, chosen: bool
) -> ImportFileError:
    """The message for a header that Table.garbled() finds read in the wrong encoding;
    `chosen` when the encoding was chosen by hand rather than detected."""
    values = {"encoding": ENCODING_LABELS.get(table.encoding, table.encoding)}
    if chosen:
        message = _(
            "The column names, read as %(encoding)s, the encoding chosen for the "
            "file, hold characters that are not valid in it (shown as “�”): the file "
            "is in another encoding. Choose “Detect” (“auto” through the API) to "
            "have its encoding recognised, or the encoding it was saved in."
        )
    else:
        message = _(
            "The column names, read as %(encoding)s, the encoding detected for the "
            "file, hold characters that are not valid in it (shown as “�”): the "
            "file, or a part of it, is in another encoding. Choose the encoding it "
            "was saved in."
        )
    where = _("%(file)s, row %(row)s") % {"file": name, "row": row}
    return ImportFileError(
        message % values, where=where, extra={"code": "garbled_header"}
    )


def _csv_records(
    text: io.TextIOBase, delimiter: str, name: str
) -> Iterator[tuple[int, list[str]]]:
    """The file's records numbered as a spreadsheet shows them. Excel's own first
    line naming the delimiter ("sep=;") is read past and not counted: Excel shows the
    line after it as row 1, and a row the report names must be the row the user finds
    there."""
    records = csvio.iter_records(text, delimiter)
    skipped = 0
    try:
        first = next(records, None)
        if first is None:
            return
        if first[0] == 1 and _is_separator_line(first[1]):
            skipped = 1
        else:
            yield first
        for number, cells in records:
            yield number - skipped, cells
    except csvio.UnreadableFile as exc:
        if "row" in exc.params:
            exc.params["row"] -= skipped
        raise file_error(exc, name) from None


def _is_separator_line(cells: list[str]) -> bool:
    """Excel's "sep=;" line; the delimiter itself splits it into "sep=" and "", or a
    "sep=," line is read whole."""
    return bool(_EXCEL_SEPARATOR_LINE.fullmatch("".join(c.strip() for c in cells)))


def _decode_sample(sample: bytes, encoding: str) -> str:
    return sample.decode(encoding, errors="replace")


def _not_a_workbook(raw: BinaryIO) -> str:
    """Why a ZIP file is no workbook: another kind of file (a LibreOffice spreadsheet,
    a Word document, an archive), or a workbook damaged past opening."""
    try:
        raw.seek(0)
        with zipfile.ZipFile(raw) as archive:
            names = set(archive.namelist())
            # An OpenDocument file names its kind in this first, stored entry.
            mimetype = b""
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    mimetype = entry.read(100)
    except (zipfile.BadZipFile, OSError, zlib.error):
        names, mimetype = set(), b""
    if mimetype.startswith(ODS_MIMETYPE):
        return _(
            "The file is an OpenDocument spreadsheet (.ods, from LibreOffice or "
            "OpenOffice), which cannot be imported. Open it in LibreOffice Calc, save "
            "it as Excel 2007-365 (.xlsx) or CSV and upload that."
        )
    if names and "xl/workbook.xml" not in names:
        kind = (
            _("a Word document") if "word/document.xml" in names else _("a ZIP archive")
        )
        return _(
            "The file is %(kind)s, not an Excel workbook (.xlsx). Save the table "
            "from Excel as .xlsx or CSV and upload that."
        ) % {"kind": kind}
    return _(
        "The Excel workbook is damaged and cannot be opened. Open it in Excel, save "
        "it again (or as CSV) and upload that."
    )


def _size_of(raw: BinaryIO) -> int:
    size = getattr(raw, "size", None)
    if size is None:
        size = raw.seek(0, os.SEEK_END)
        raw.seek(0)
    return size


def _open_xlsx(raw: BinaryIO, *, name: str, size: int) -> Table:
    # Here, not at the top: openpyxl costs every process that reads no workbook
    # (the web, a CSV import) about 9 MB.
    import openpyxl

    from contacts.importing.workbook import sheet_rows

    try:
        workbook = openpyxl.load_workbook(raw, read_only=True, data_only=True)
        # Assumption: a hidden sheet is the workbook's own machinery (lookups, codes),
        # never the list the user means; the report names it as left out.
        hidden = [s.title for s in workbook.worksheets if s.sheet_state != "visible"]
        sheets = [s for s in workbook.worksheets if s.sheet_state == "visible"]
        # The stated sizes serve only as progress estimates: some programs write a
        # wrong one ("A1:A1"), and workbook.sheet_rows reads past it.
        totals = [sheet.max_row or 0 for sheet in sheets]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError) as exc:
        # In the reader's words; openpyxl's own (English) goes to the log.
        logger.info("%s: not an openable workbook: %s", name, exc)
        raise ImportFileError(_not_a_workbook(raw), where=name) from None
    read = {"done": 0, "total": 0}

    def rows_of(sheet, before: int) -> Iterator[tuple[int, list[str]]]:
        for number, values in sheet_rows(sheet):
            read["done"] = before + number
            cells = [_cell_text(v) for v in values]
            if any(cells):
                yield number, cells

    def records() -> Iterator[tuple[int, list[str]]]:
        # The first sheet that has anything: people paste into "Лист2" of a new book.
        # The sheets after it that begin with its first row continue it (an export
        # past Excel's 1,048,576 rows a sheet, smsportal.lib.xlsx_stream): their rows
        # are numbered on from the first sheet's, under its header.
        read["total"] = sum(totals)
        header: list[str] | None = None
        last = 0  # the number of the last row handed out
        try:
            for index, sheet in enumerate(sheets):
                before = sum(totals[:index])
                rows = rows_of(sheet, before)
                if header is None:
                    table.first_sheet = sheet.title
                    for number, cells in _without_title_rows(rows, table):
                        header = header or _without_trailing_blanks(cells)
                        last = number
                        yield number, cells
                    continue
                first = next(rows, None)
                if first is None:
                    continue
                if _header_key(first[1]) != _header_key(header):
                    # Not a continuation: said in the report, never read silently
                    # under the first sheet's header.
                    table.skipped_sheets.append(sheet.title)
                    continue
                # Its header row is not handed out: its first data row follows on.
                base = last - first[0]
                table.continuations.append((last + 1, base, sheet.title))
                for number, cells in rows:
                    last = base + number
                    yield last, cells
        finally:
            workbook.close()

    def position() -> int:
        total = read["total"]
        if total:
            return int(size * read["done"] / total)
        # No sheet states its size (a streamed workbook: ours, smsportal.lib.
        # xlsx_stream): how far into the file the sheet's compressed rows are read.
        try:
            return raw.tell()
        except (OSError, ValueError):  # closed once the reading is done
            return size

    table = Table("xlsx", "", "", size, records(), position, list(hidden))
    return table


def _without_title_rows(
    records: Iterator[tuple[int, list[str]]], table: Table
) -> Iterator[tuple[int, list[str]]]:
    """The records without the title a report puts above its table ("Клиенты на
    01.12.2026"): up to TITLE_ROWS_MAX first rows of one text that is no phone number,
    when the row after them has several cells (the header). Also a row of group
    captions over the header ("Контакт" merged over three columns, "Доп"), when the
    row after it names the phone column and it names none. Counted in the table, so
    the import says it left them out; a file of one column keeps all its rows."""
    held: list[tuple[int, list[str]]] = []
    for record in records:
        filled = [cell for cell in record[1] if cell.strip()]
        if len(held) < TITLE_ROWS_MAX and _maybe_title(filled):
            held.append(record)
            continue
        single_texts = all(len([c for c in r[1] if c.strip()]) == 1 for r in held)
        if held and (
            (single_texts and len(filled) >= 2) or _names_the_phone_column(filled)
        ):
            table.title_rows = len(held)
        else:
            yield from held
        yield record
        yield from records
        return
    yield from held


# "sep=;": the first line Excel writes (and reads) to name a CSV file's delimiter.
_EXCEL_SEPARATOR_LINE = re.compile(r"sep=.?", re.IGNORECASE)


def _maybe_title(filled: list[str]) -> bool:
    """A row that may sit above the header: no phone number in it, nor a phone
    column's name (the header itself names one)."""
    return (
        bool(filled)
        and not any(looks_like_phone(cell) for cell in filled)
        and not _names_the_phone_column(filled)
    )


def _names_the_phone_column(filled: list[str]) -> bool:
    aliases = HEADER_ALIASES["phone"]
    return any(normalize_header(cell) in aliases for cell in filled)


def _header_key(cells: list[str]) -> list[str]:
    """A header as compared across sheets: "Имя " and "имя" are the same column."""
    return [cell.strip().casefold() for cell in _without_trailing_blanks(cells)]


def _without_trailing_blanks(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # As Excel shows (and means) it, to 15 significant digits: the file holds
        # the binary fraction's 17, "59.970000000000006" for =19.99*3, which a
        # message's {balance} would have said.
        value = float(f"{value:.15g}")
        if value.is_integer():
            return str(int(value))
    return str(value)

"""A workbook sheet's rows as values, a formula without a computed value not as empty.

openpyxl reads a formula cell as its cached value (data_only=True) and one without a
value as None, like an empty cell. A file written by a program rather than saved by
Excel holds the formula alone ("=1+1"), and its value would vanish without a word.
"""

import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

# The start of the text of a formula without a value: "\x00=1+1". No workbook cell
# holds a NUL, and the row parser refuses a row with one in an imported column, where
# it names the formula (rows.RowParser._reject_garbled).
UNCOMPUTED = "\x00="


def sheet_rows(sheet: "ReadOnlyWorksheet") -> Iterator[tuple[int, list[object]]]:
    """(row number, cell values) of each row the sheet holds, read in one pass.

    Unlike iter_rows(), rows and columns past the sheet's stated size are read too
    (some programs state a wrong one, "A1:A1"), and rows without cells are skipped.
    """
    # Assumption: openpyxl 3.1's read-only internals (its own _cells_by_row does the
    # same); tests/contacts/test_import.py reads workbooks through them.
    workbook = sheet.parent
    with sheet._get_source() as source:
        parser = _parser_class()(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, values in parser.parse():
            if values:
                yield number, values


@functools.cache
def _parser_class() -> type:
    """Made on first use: importing openpyxl costs every process that reads no
    workbook (the web, a CSV import) about 9 MB, and UNCOMPUTED is read everywhere."""
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_row(self, row) -> tuple[int, list[object]]:
            # The row's values by column, built while its elements are at hand: the
            # parser clears them once the row is parsed.
            number, cells = super().parse_row(row)
            if not cells:
                return number, []
            values: list[object] = [None] * max(cell["column"] for cell in cells)
            for cell, element in zip(cells, row, strict=True):
                value = cell["value"]
                if value is None:
                    formula = element.findtext(FORMULA_TAG)
                    if formula is None:
                        continue
                    value = UNCOMPUTED + formula
                values[cell["column"] - 1] = value
            return number, values

    return Parser

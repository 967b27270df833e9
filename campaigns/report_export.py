"""A campaign's messages out to CSV (streamed) or XLSX (write-only workbook).

Formats and the formula neutraliser are the contact exporter's (contacts.exporting), so
both downloads behave the same in Excel: UTF-8 with a BOM and commas, or Windows-1251
with semicolons and decimal commas; a cell a spreadsheet would run as a formula gets an apostrophe.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Message
from campaigns.report_selectors import message_export_rows
from contacts.exporting import FORMATS, ExportFormat, neutralize
from providers.base import DeliveryStatus, FailureReason

__all__ = ["FORMATS", "ExportFormat", "export_headers", "stream_csv", "write_xlsx"]
BATCH_ROWS = 1000


def export_headers() -> list[str]:
    return [
        _("Phone"), _("Status"), _("Failure reason"), _("Gateway code"),
        _("Gateway text"), _("Operator"), _("Segments"), _("Cost"),
        _("Estimated cost"), _("Gateway id"), _("Submitted"), _("Status changed"),
        _("Delivered"), _("Text"),
    ]  # fmt: skip


def _cells(messages: QuerySet[Message]) -> Iterator[list[object]]:
    statuses = dict(DeliveryStatus.choices)
    reasons = dict(FailureReason.choices)
    for row in message_export_rows(messages=messages):
        phone, status, reason, *rest = row
        yield [
            phone,
            str(statuses.get(status, status)),
            str(reasons.get(reason, reason)) if reason else "",
            *rest,
        ]


def _text(value: object, fmt: ExportFormat) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal):
        # A decimal comma in the ;/1251 variant: Russian Excel reads 3.5 as a date.
        return fmt.number(format(value.normalize(), "f"))
    return neutralize(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def stream_csv(messages: QuerySet[Message], *, fmt: ExportFormat) -> Iterator[bytes]:
    """The CSV file as byte chunks; the BOM (utf-8-sig) only once, at the start."""
    writer = csv.writer(_Echo(), delimiter=fmt.delimiter)
    # cp1251 has no emoji: they become "?" rather than stopping the download.
    yield writer.writerow([neutralize(h) for h in export_headers()]).encode(
        fmt.encoding, errors="replace"
    )
    body_encoding = fmt.encoding.replace("-sig", "")
    batch: list[str] = []
    for row in _cells(messages):
        batch.append(writer.writerow([_text(v, fmt) for v in row]))
        if len(batch) >= BATCH_ROWS:
            yield "".join(batch).encode(body_encoding, errors="replace")
            batch = []
    if batch:
        yield "".join(batch).encode(body_encoding, errors="replace")


def _xlsx_cell(value: object) -> object:
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        # Excel has no time zones: local time, without the offset.
        return timezone.localtime(value).replace(tzinfo=None)
    return neutralize(str(value))


def write_xlsx(messages: QuerySet[Message], *, out: IO[bytes]) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Messages"))
    sheet.append([neutralize(h) for h in export_headers()])
    for row in _cells(messages):
        sheet.append([_xlsx_cell(v) for v in row])
    workbook.save(out)


def xlsx_file(messages: QuerySet[Message]) -> IO[bytes]:
    """The workbook in a temporary file, rewound; the response closes it."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_xlsx(messages, out=out)
    out.seek(0)
    return out

"""A campaign's messages out to CSV or XLSX, both streamed (smsportal.lib.xlsx_stream).

Formats and the formula neutraliser are the contact exporter's (contacts.exporting), so
both downloads behave the same in Excel: UTF-8 with a BOM and commas, or Windows-1251
with semicolons and decimal commas; a cell a spreadsheet would run as a formula gets an apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, tzinfo
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Message
from campaigns.report_selectors import message_export_rows
from contacts.exporting import FORMATS, ExportFormat, neutralize
from providers.base import DeliveryStatus, FailureReason
from smsportal.lib import xlsx_stream

__all__ = [
    "FORMATS", "ExportFormat", "export_headers", "stream_csv", "stream_export",
    "stream_xlsx",
]  # fmt: skip
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


def _text(value: object, fmt: ExportFormat, zone: tzinfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value, zone).isoformat(" ", "seconds")
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
    zone = timezone.get_current_timezone()
    batch: list[str] = []
    for row in _cells(messages):
        batch.append(writer.writerow([_text(v, fmt, zone) for v in row]))
        if len(batch) >= BATCH_ROWS:
            yield "".join(batch).encode(body_encoding, errors="replace")
            batch = []
    if batch:
        yield "".join(batch).encode(body_encoding, errors="replace")


def _xlsx_cell(value: object, zone: tzinfo) -> object:
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return _local(value, zone)  # Excel has no time zones: local, no offset
    return neutralize(str(value))


def _local(moment: datetime, zone: tzinfo) -> datetime:
    # The zone is looked up once per export: timezone.localtime() looks it up in the
    # request's context each time, which was a third of a message's export.
    return moment.astimezone(zone).replace(tzinfo=None)


def stream_xlsx(messages: QuerySet[Message]) -> Iterator[bytes]:
    """The XLSX workbook as byte chunks, written row by row as the rows are read."""
    zone = timezone.get_current_timezone()
    return xlsx_stream.stream_xlsx(
        _("Messages"),
        [neutralize(h) for h in export_headers()],
        ([_xlsx_cell(v, zone) for v in row] for row in _cells(messages)),
    )


def stream_export(messages: QuerySet[Message], *, fmt: ExportFormat) -> Iterator[bytes]:
    """The export in `fmt` as byte chunks, as contacts.exporting.stream_export."""
    if fmt.key == "xlsx":
        return stream_xlsx(messages)
    return stream_csv(messages, fmt=fmt)

"""A campaign's messages out to CSV or XLSX, both streamed.

The writer is the contact exporter's (contacts.exporting.table_export), so every
download behaves the same in Excel: UTF-8 with a BOM and commas, or Windows-1251 with
semicolons and decimal commas; in a CSV, a cell a spreadsheet would run as a formula
gets an apostrophe (a workbook's text cells are never run); times are in the current
time zone, as the report page shows them, and their headers name it.

The estimated cost is written only where the report's spending counts it (a billable
message with no cost from the gateway), so the column adds up to the page's estimate.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from campaigns.models import Message
from campaigns.report_selectors import estimate_counted, message_export_rows
from contacts.exporting import ExportFormat, table_export
from contacts.timezones import zoned_header
from providers.base import DeliveryStatus, FailureReason

COST, ESTIMATED = 7, 8  # positions in the export's row (EXPORT_FIELDS)


def export_headers() -> list[str]:
    return [
        _("Phone"), _("Status"), _("Failure reason"), _("Gateway code"),
        _("Gateway text"), _("Operator"), _("Segments"), _("Cost"),
        _("Estimated cost"), _("Gateway id"),
        *(
            zoned_header(column)
            for column in (
                _("Planned"), _("Submitted"), _("Status changed"), _("Delivered")
            )
        ),
        _("Text"),
    ]  # fmt: skip


def _cells(messages: QuerySet[Message]) -> Iterator[list[object]]:
    statuses = dict(DeliveryStatus.choices)
    reasons = dict(FailureReason.choices)
    for row in message_export_rows(messages=messages):
        cells = list(row)
        status, reason = cells[1], cells[2]
        if not estimate_counted(status=status, cost=cells[COST]):
            cells[ESTIMATED] = None
        cells[1] = str(statuses.get(status, status))
        cells[2] = str(reasons.get(reason, reason)) if reason else ""
        yield cells


def stream_export(messages: QuerySet[Message], *, fmt: ExportFormat) -> Iterator[bytes]:
    """The export in `fmt` as byte chunks, written as the rows are read."""
    return table_export(_("Messages"), export_headers(), _cells(messages), fmt=fmt)

"""A campaign's messages out to CSV or XLSX, both streamed.

The writer is the contact exporter's (contacts.exporting.table_export), so every
download behaves the same in Excel: UTF-8 with a BOM and commas, or Windows-1251 with
semicolons and decimal commas; in a CSV, a cell a spreadsheet would run as a formula
gets an apostrophe (a workbook's text cells are never run); times are the reader's.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from campaigns.models import Message
from campaigns.report_selectors import message_export_rows
from contacts.exporting import ExportFormat, table_export
from providers.base import DeliveryStatus, FailureReason


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


def stream_export(messages: QuerySet[Message], *, fmt: ExportFormat) -> Iterator[bytes]:
    """The export in `fmt` as byte chunks, written as the rows are read."""
    return table_export(_("Messages"), export_headers(), _cells(messages), fmt=fmt)

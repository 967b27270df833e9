"""The inbox out to CSV or XLSX, streamed: replies under the inbox's filters, to read
through in a spreadsheet or hand to whoever answers them."""

from collections.abc import Iterator
from datetime import datetime, tzinfo

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Reply
from contacts.exporting import ExportFormat, csv_chunks, xlsx_chunks


def inbox_headers() -> list[str]:
    """The inbox page's column names, and what it shows as badges."""
    return [
        _("Received"),
        _("From"),
        _("Contact"),
        _("Text"),
        _("Account"),
        _("Answers"),  # the campaign the reply most likely answers
        _("Opt-out"),
        _("Read"),
    ]


def inbox_rows(
    replies: QuerySet[Reply], *, zone: tzinfo, as_text: bool
) -> Iterator[list[object]]:
    """One row per reply, newest first; the time in `zone` (text for CSV, a naive
    datetime for Excel, which has no time zones)."""
    yes, no = _("yes"), _("no")
    values = replies.order_by("-received_at", "-id").values_list(
        "received_at", "phone", "contact__last_name", "contact__first_name",
        "contact__middle_name", "text", "account__name", "campaign__name",
        "is_opt_out", "is_read",
    )  # fmt: skip
    for row in values.iterator(2000):
        received, phone, last, first, middle, text, account, campaign, stop, read = row
        local = received.astimezone(zone).replace(tzinfo=None, microsecond=0)
        when: datetime | str = local.isoformat(" ", "seconds") if as_text else local
        name = " ".join(part for part in (last, first, middle) if part)
        yield [
            when, phone, name, text, account, campaign or "",
            yes if stop else no, yes if read else no,
        ]  # fmt: skip


def stream_inbox_export(
    replies: QuerySet[Reply], *, fmt: ExportFormat
) -> Iterator[bytes]:
    """The export in `fmt` as byte chunks; times in the current time zone."""
    zone = timezone.get_current_timezone()
    if fmt.key == "xlsx":
        rows = inbox_rows(replies, zone=zone, as_text=False)
        return xlsx_chunks(_("Inbox"), inbox_headers(), rows)
    return csv_chunks(
        inbox_headers(), inbox_rows(replies, zone=zone, as_text=True), fmt=fmt
    )

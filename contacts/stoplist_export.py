"""The stop list out to CSV or XLSX, streamed: to hand opt-outs to another system or
keep them on record. The stop-list importer reads the file back (phone and reason; the
other columns it leaves alone)."""

from collections.abc import Iterator
from datetime import datetime, tzinfo

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from contacts.exporting import ExportFormat, csv_chunks, xlsx_chunks
from contacts.models import StopListEntry

COLUMNS = ("phone", "reason", "source", "created_at", "created_by")


def stoplist_headers() -> list[str]:
    """The stop-list page's column names ("Телефон", "Причина" are also what the
    importer recognises)."""
    return [
        capfirst(str(StopListEntry._meta.get_field(name).verbose_name))
        for name in COLUMNS
    ]


def stoplist_rows(
    entries: QuerySet[StopListEntry], *, zone: tzinfo, as_text: bool
) -> Iterator[list[object]]:
    """One row per entry, oldest first; the time in `zone` (text for CSV, a naive
    datetime for Excel, which has no time zones)."""
    sources = dict(StopListEntry.Source.choices)
    values = entries.order_by("id").values_list(
        "phone", "reason", "source", "created_at", "created_by__username"
    )
    for phone, reason, source, created_at, username in values.iterator(2000):
        local = created_at.astimezone(zone).replace(tzinfo=None, microsecond=0)
        added: datetime | str = local.isoformat(" ", "seconds") if as_text else local
        yield [phone, reason, str(sources.get(source, source)), added, username or ""]


def stream_stoplist_export(
    entries: QuerySet[StopListEntry], *, fmt: ExportFormat
) -> Iterator[bytes]:
    """The export in `fmt` as byte chunks; times in the current time zone."""
    zone = timezone.get_current_timezone()
    if fmt.key == "xlsx":
        rows = stoplist_rows(entries, zone=zone, as_text=False)
        return xlsx_chunks(_("Stop list"), stoplist_headers(), rows)
    rows = stoplist_rows(entries, zone=zone, as_text=True)
    return csv_chunks(stoplist_headers(), rows, fmt=fmt)

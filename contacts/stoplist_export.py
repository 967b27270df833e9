"""The stop list out to CSV or XLSX, streamed: to hand opt-outs to another system or
keep them on record. The stop-list importer reads the file back (phone and reason; the
other columns it leaves alone)."""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from contacts.exporting import ExportFormat, table_export
from contacts.models import StopListEntry
from contacts.timezones import zoned_header

COLUMNS = ("phone", "reason", "source", "created_at", "created_by")


def stoplist_headers() -> list[str]:
    """The stop-list page's column names ("Телефон", "Причина" are also what the
    importer recognises); the time column says its zone, as the other exports' do
    («Добавлен (Москва, UTC+03:00)»): the file alone did not say whose clock it was."""
    headers = [
        capfirst(str(StopListEntry._meta.get_field(name).verbose_name))
        for name in COLUMNS
    ]
    at = COLUMNS.index("created_at")
    headers[at] = zoned_header(headers[at])
    return headers


def stoplist_rows(entries: QuerySet[StopListEntry]) -> Iterator[list[object]]:
    """One row per entry, oldest first."""
    sources = dict(StopListEntry.Source.choices)
    values = entries.order_by("id").values_list(
        "phone", "reason", "source", "created_at", "created_by__username"
    )
    for phone, reason, source, created_at, username in values.iterator(2000):
        source_label = str(sources.get(source, source))
        yield [phone, reason, source_label, created_at, username or ""]


def stream_stoplist_export(
    entries: QuerySet[StopListEntry], *, fmt: ExportFormat
) -> Iterator[bytes]:
    """The export in `fmt` as byte chunks; times in the current time zone."""
    return table_export(
        _("Stop list"), stoplist_headers(), stoplist_rows(entries), fmt=fmt
    )

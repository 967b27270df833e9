"""The first rows of an uploaded file and a proposed column mapping, for the wizard."""

import contextlib
from dataclasses import dataclass, field
from itertools import islice

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contacts.importing.fields import auto_mapping, normalize_header
from contacts.importing.runner import fit_mapping, has_header
from contacts.importing.sources import (
    ImportFileError,
    Table,
    garbled_header_error,
    open_table,
)
from contacts.importing.workbook import UNCOMPUTED
from contacts.models import CustomField, ImportJob
from contacts.timezones import unzoned_header
from smsportal.exceptions import ApplicationError
from smsportal.lib.languages import in_every_language

PREVIEW_ROWS = 8


@dataclass
class Preview:
    format: str
    encoding: str
    delimiter: str
    header: bool
    columns: list[str]
    rows: list[list[str]]
    mapping: list[str]
    custom_fields: list[CustomField] = field(default_factory=list)
    title_rows: int = 0  # rows above the header taken for a title (left out)
    # Why the import cannot start as read: the header is garbled (wrong encoding).
    header_problem: str = ""
    # Rows with cells past the header's last name: most often a value holding the
    # delimiter written without quotes ("Клиенты; VIP" in a ;-separated file).
    beyond_header: str = ""
    # An export's columns no import reads (the stop list, the consent on record),
    # named so that their loss is not silent.
    export_only: str = ""
    # Columns named by a label several custom fields share, which no mapping can
    # tell apart: left for a person to map.
    shared_labels: str = ""

    @property
    def width(self) -> int:
        return len(self.columns)

    @property
    def initial(self) -> dict:
        delimiter = "tab" if self.delimiter == "\t" else self.delimiter
        initial = {
            "encoding": self.encoding or "auto",
            "delimiter": delimiter or "auto",
            "header": self.header,
        }
        initial.update({f"col_{i}": field for i, field in enumerate(self.mapping)})
        return initial


@dataclass
class FirstRows:
    """The first records of a file as read, and how it was read."""

    format: str
    encoding: str
    delimiter: str
    numbered: list[tuple[int, list[str]]]
    title_rows: int = 0
    table: Table | None = None  # None: from the stored workbook preview

    def garbled(self, cells: list[str]) -> bool:
        return self.table.garbled(cells) if self.table else False


def first_rows(
    job: ImportJob, *, encoding: str = "auto", delimiter: str = "auto"
) -> FirstRows:
    """The job's first records: a workbook's from its stored preview, read and stored
    on the first call (a workbook has no encoding or delimiter to read it with, so
    one reading serves every setting); a CSV file's read each time (cheap)."""
    stored = job.preview or {}
    if stored.get("format") == "xlsx":
        return FirstRows(
            "xlsx", "", "",
            [(number, cells) for number, cells in stored["records"]],
            title_rows=stored.get("title_rows", 0),
        )  # fmt: skip
    with job.file.open("rb") as raw:
        table = open_table(
            raw, name=job.original_name, encoding=encoding, delimiter=delimiter
        )
        numbered = list(islice(table.records, PREVIEW_ROWS + 1))
    if table.format == "xlsx" and job.pk:
        job.preview = {
            "format": "xlsx",
            "records": [[number, _storable(cells)] for number, cells in numbered],
            "title_rows": table.title_rows,
        }
        ImportJob.objects.filter(pk=job.pk).update(preview=job.preview)
    return FirstRows(
        table.format,
        table.encoding,
        table.delimiter,
        numbered,
        title_rows=table.title_rows,
        table=table,
    )


def _storable(cells: list[str]) -> list[str]:
    """Cells as the preview shows them (a formula without a value as written), without
    the NUL of workbook.UNCOMPUTED, which PostgreSQL's JSON cannot hold."""
    return [
        (cell[1:] if cell.startswith(UNCOMPUTED) else cell).replace("\x00", "")
        for cell in cells
    ]


def preview_store(job: ImportJob) -> None:
    """Read and store a workbook's first rows at upload; a file that cannot be read
    is said so by the column page, which reads it again."""
    with contextlib.suppress(ApplicationError):
        first_rows(job)


def preview_job(
    job: ImportJob,
    *,
    encoding: str = "auto",
    delimiter: str = "auto",
    header: bool | None = None,
) -> Preview:
    """Read the first rows of the job's file; ImportFileError when it cannot be read."""
    custom_fields = list(CustomField.objects.all())
    region = settings.SMSPORTAL_DEFAULT_REGION
    table = first_rows(job, encoding=encoding, delimiter=delimiter)
    numbered = table.numbered
    # A formula without a value shown as written, "=1+1" (workbook.UNCOMPUTED).
    records = [
        [cell[1:] if cell.startswith(UNCOMPUTED) else cell for cell in cells]
        for _number, cells in numbered
    ]
    if not records:
        raise ImportFileError(_("The file has no rows."), where=job.original_name)
    if header is None:
        following = records[1] if len(records) > 1 else None
        header = has_header(records[0], region, following=following)
    if header and len(records) == 1:
        raise ImportFileError(
            _("The file has a header row but no data rows."), where=job.original_name
        )
    header_problem = ""
    if header and table.garbled(records[0]):
        error = garbled_header_error(
            table, name=job.original_name, row=numbered[0][0], chosen=encoding != "auto"
        )
        header_problem = str(error)
    width = max(len(cells) for cells in records)
    headers = records[0] if header else []
    columns = [
        (headers[i].strip() if i < len(headers) else "")
        or _("Column %(number)s") % {"number": i + 1}
        for i in range(width)
    ]
    # A workbook's cells past the header cannot be a value split by its delimiter.
    beyond_header = (
        _beyond_header(records[1:], len(headers), table.delimiter)
        if header and table.format != "xlsx"
        else ""
    )
    export_only = _export_only(headers) if header and job.kind != "stoplist" else ""
    mapping = auto_mapping(headers, kind=job.kind, custom_fields=custom_fields)
    mapping = fit_mapping(mapping, records[1 if header else 0 :], region)[:width]
    rows = [
        cells + [""] * (width - len(cells)) for cells in records[1 if header else 0 :]
    ]
    return Preview(
        format=table.format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        header=header,
        columns=columns,
        rows=rows[:PREVIEW_ROWS],
        mapping=mapping + [""] * (width - len(mapping)),
        custom_fields=custom_fields,
        title_rows=table.title_rows,
        header_problem=header_problem,
        beyond_header=beyond_header,
        export_only=export_only,
        shared_labels=_shared_labels(headers, mapping, custom_fields) if header else "",
    )


def _shared_labels(
    headers: list[str], mapping: list[str], custom_fields: list[CustomField]
) -> str:
    """A note naming the columns left unmapped because several custom fields have
    their name (contacts.importing.fields.auto_mapping)."""
    owners: dict[str, list[str]] = {}
    for custom in custom_fields:
        owners.setdefault(normalize_header(custom.label), []).append(custom.key)
    left = {
        header.strip(): owners[normalize_header(header)]
        for header, field_name in zip(headers, mapping, strict=False)
        if not field_name and len(owners.get(normalize_header(header), ())) > 1
    }
    if not left:
        return ""
    return _(
        "Several custom fields have the name of %(columns)s: choose below which "
        "field each such column goes to."
    ) % {
        "columns": ", ".join(
            f"«{header}» ({', '.join(keys)})" for header, keys in left.items()
        )
    }


def _export_only(headers: list[str]) -> str:
    """A note when the header has columns of an export that no import reads."""
    from contacts.exporting import OPT_IN_OUT_HEADERS

    labels = {
        normalize_header(label)
        for _i, label in in_every_language(dict(enumerate(OPT_IN_OUT_HEADERS)))
    }
    # The consent time's header names the zone it was exported in.
    found = [
        h.strip()
        for h in headers
        if normalize_header(h) in labels
        or normalize_header(unzoned_header(h)) in labels
    ]
    if not found:
        return ""
    return _(
        "Not imported: %(columns)s. An import records consent only as the source "
        "chosen below for new contacts, dated the day of the import; numbers go on "
        "the stop list through its own import."
    ) % {"columns": ", ".join(f"«{h}»" for h in found)}


def _beyond_header(rows: list[list[str]], named: int, delimiter: str) -> str:
    """A warning when some of the first rows have values past the header's columns."""
    past = [row for row in rows if any(cell.strip() for cell in row[named:])]
    if not past or not named:
        return ""
    return ngettext(
        "%(count)s of the first rows has more values than the header has column "
        "names. A value holding the delimiter “%(delimiter)s” must be in quotes "
        '("Клиенты%(delimiter)s VIP"), or its part after the delimiter lands in a '
        "column of its own.",
        "%(count)s of the first rows have more values than the header has column "
        "names. A value holding the delimiter “%(delimiter)s” must be in quotes "
        '("Клиенты%(delimiter)s VIP"), or its part after the delimiter lands in a '
        "column of its own.",
        len(past),
    ) % {"count": len(past), "delimiter": delimiter}

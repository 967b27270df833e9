"""Contacts out to CSV or XLSX (both streamed), in a shape the importer reads back unchanged.

In a CSV, cells that a spreadsheet would run as a formula (starting with = + - @, tab or
CR) get an apostrophe in front; the importer takes it off again. Plain numbers and E.164
phones are left alone: they cannot carry a formula. A workbook needs no such guard: its
text cells are text (inlineStr), which Excel shows and never runs, so they keep the value
as it is, for Excel and every other program alike.

The Windows-1251 variant is for Russian Excel, which reads "3.5" as a date (3 May): its
fractions get a decimal comma, which the importer reads back (smsportal.lib.decimals).
"""

import contextlib
import csv
import itertools
import operator
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import BadRequest
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import audit, audit_filters
from accounts.models import AuditEvent
from contacts.importing.fields import CONTACT_FIELDS
from contacts.importing.groups import EXPORT_SEPARATOR
from contacts.models import ContactGroup, CustomField, GroupMembership, StopListEntry
from contacts.timezones import zoned_header
from smsportal.lib import xlsx_stream
from smsportal.lib.downloads import attachment_disposition

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
BUILT_IN = (
    "phone",
    "last_name",
    "first_name",
    "middle_name",
    "nickname",
    "birthday",
    "email",
    "time_zone",  # imported back as stated, so a zone set by hand survives a round trip
)
# After the built-in fields: the contact's groups, "Клиенты; VIP", which an import
# puts the contact back into (contacts.importing.groups).
GROUPS_COLUMN = len(BUILT_IN)
GROUP_CELLS_KEPT = 10_000  # combinations of groups remembered during one export
BATCH_ROWS = 1000


@dataclass(frozen=True)
class ExportFormat:
    key: str
    extension: str
    content_type: str
    encoding: str = ""
    delimiter: str = ","
    decimal_mark: str = "."
    # Told apart in the downloads folder from the same export in another encoding.
    name_suffix: str = ""

    def filename(self, name: str) -> str:
        return f"{name}{self.name_suffix}.{self.extension}"

    def number(self, text: str) -> str:
        """A number written with "." as this format's decimal mark."""
        return text.replace(".", self.decimal_mark)


FORMATS = {
    "csv": ExportFormat("csv", "csv", "text/csv; charset=utf-8", "utf-8-sig", ","),
    "csv-1251": ExportFormat(
        "csv-1251",
        "csv",
        "text/csv; charset=windows-1251",
        "cp1251",
        ";",
        ",",
        name_suffix="-1251",
    ),
    "xlsx": ExportFormat(
        "xlsx",
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}


def neutralize(value: str) -> str:
    """The cell with an apostrophe in front when a spreadsheet would run it as a formula."""
    if (
        value
        and value.startswith(FORMULA_TRIGGERS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def export_headers(custom_fields: Sequence[CustomField]) -> list[str]:
    on_stop_list, consent_source, consent_at = OPT_IN_OUT_HEADERS
    return (
        [str(CONTACT_FIELDS[name]) for name in (*BUILT_IN, "groups")]
        + [f.label for f in custom_fields]
        # The consent's time is on the current zone's clock, and says so, as every
        # export's times do: bare, a reader took a time in UTC for their own.
        + [str(on_stop_list), str(consent_source), zoned_header(str(consent_at))]
    )


# Last, after the columns an import maps: whether the number opted out, and the
# consent on record. A file handed to another tool must not lose the opt-outs; an
# import leaves these columns alone (the stop list is imported on its own).
OPT_IN_OUT_HEADERS = (
    gettext_lazy("On the stop list"),
    gettext_lazy("Consent source"),
    gettext_lazy("Consent given"),
)


# Every character Windows-1251 has; the others would be written as "?", and a file
# imported back with "update" on would put the "?" over the real letters.
CP1251_CHARACTERS = bytes(range(256)).decode("cp1251", errors="ignore")
NOT_CP1251 = (
    "[^"
    + "".join(
        "\\" + c if c in "\\]^-[" else c
        for c in CP1251_CHARACTERS
        if c != "\x00"  # no text column holds NUL, and a pattern cannot
    )
    + "]"
)
CP1251_CHECKED = ("last_name", "first_name", "middle_name", "nickname", "email")


def cp1251_problem(queryset: QuerySet, custom_fields: Sequence[CustomField]) -> str:
    """Why these contacts cannot go out in Windows-1251 unchanged ("" when they can),
    naming the first contact, field and character it lacks."""
    keys = [f.key for f in custom_fields]
    outside = Q()
    for name in CP1251_CHECKED:
        outside |= Q(**{f"{name}__regex": NOT_CP1251})
    # Assumption: on SQLite (the demo) a JSON value's letters are stored escaped and
    # not found here; PostgreSQL's jsonb reads back as written.
    if keys:
        outside |= Q(attributes_text__regex=NOT_CP1251)
    found = (
        queryset.annotate(attributes_text=Cast("attributes", TextField()))
        .filter(outside)
        .order_by("id")
        .values_list("phone", *CP1251_CHECKED, "attributes")
        .first()
    )
    if found is None:
        return _group_cp1251_problem(queryset)
    phone, *values, attributes = found
    labels = [str(CONTACT_FIELDS[name]) for name in CP1251_CHECKED]
    labels += [f.label for f in custom_fields]
    values += [str((attributes or {}).get(key) or "") for key in keys]
    for label, value in zip(labels, values, strict=True):
        if missing := [c for c in value if c not in CP1251_CHARACTERS]:
            return _(
                "Windows-1251 has no “%(char)s” (%(field)s of %(phone)s, and perhaps "
                "of other contacts): it would be exported as “?”. Export as CSV "
                "(UTF-8) or XLSX, which keep every character."
            ) % {"char": missing[0], "field": label, "phone": phone}
    return ""  # only in a custom field's key no export writes


def _group_cp1251_problem(queryset: QuerySet) -> str:
    """The same for the names in the groups column."""
    name = (
        ContactGroup.objects.filter(
            name__regex=NOT_CP1251, contacts__in=queryset.values("pk")
        )
        .order_by("name")
        .values_list("name", flat=True)
        .first()
    )
    if name is None:
        return ""
    missing = next(c for c in name if c not in CP1251_CHARACTERS)
    return _(
        "Windows-1251 has no “%(char)s” (in the group “%(group)s”): it would be "
        "exported as “?”. Export as CSV (UTF-8) or XLSX, which keep every character."
    ) % {"char": missing, "group": name}


def export_rows(
    queryset: QuerySet, custom_fields: Sequence[CustomField]
) -> Iterator[list]:
    """One list of cell values per contact, read in chunks from a server-side cursor."""
    keys = [f.key for f in custom_fields]
    stopped = StopListEntry.objects.filter(phone=OuterRef("phone"))
    values = (
        queryset.order_by("id")
        .annotate(stop_listed=Exists(stopped))
        .values_list(
            "id", *BUILT_IN, "attributes", "stop_listed", "consent_source", "consent_at"
        )
    )
    yes = _("yes")
    groups_cell = _GroupsCell()
    memberships = _memberships_by_contact(queryset)
    member, group_ids = next(memberships, (None, []))
    for pk, *cells, attributes, stop_listed, consent, consent_at in values.iterator(
        chunk_size=2000
    ):
        # Both in contact order: the contact's groups are the memberships' next ones.
        while member is not None and member < pk:
            member, group_ids = next(memberships, (None, []))
        cells.append(groups_cell(group_ids) if member == pk else "")
        cells += [(attributes or {}).get(key) for key in keys]
        yield [*cells, yes if stop_listed else "", consent, consent_at]


def _memberships_by_contact(queryset: QuerySet) -> Iterator[tuple[int, list[int]]]:
    """(contact id, its group ids) for the contacts of `queryset` that have groups, in
    contact order: read alongside the contacts, one pass over the membership index
    (a subquery per contact cost the export three quarters more)."""
    pairs = (
        GroupMembership.objects.filter(contact_id__in=queryset.values("pk"))
        .order_by("contact_id")
        .values_list("contact_id", "group_id")
        .iterator(chunk_size=5000)
    )
    for contact, rows in itertools.groupby(pairs, key=operator.itemgetter(0)):
        yield contact, [group for _contact, group in rows]


class _GroupsCell:
    """A contact's group ids as the "Groups" cell, "Клиенты; VIP": names in the
    book's order, each combination written once per export."""

    def __init__(self) -> None:
        self.names = dict(ContactGroup.objects.values_list("pk", "name"))
        self.order = {pk: position for position, pk in enumerate(self.names)}
        self.cells: dict[object, str] = {}

    def __call__(self, group_ids: list[int] | None) -> str:
        if not group_ids:
            return ""
        key = tuple(group_ids)
        cell = self.cells.get(key)
        if cell is None:
            known = sorted(
                (pk for pk in group_ids if pk in self.order), key=self.order.__getitem__
            )
            cell = EXPORT_SEPARATOR.join(self.names[pk] for pk in known)
            if len(self.cells) < GROUP_CELLS_KEPT:
                self.cells[key] = cell
        return cell


def _text(value: object, fmt: ExportFormat, zone: tzinfo) -> str:
    if type(value) is str:  # most cells: one test, not five
        return neutralize(value)
    if value is None:
        return ""
    if isinstance(value, date):
        if isinstance(value, datetime):
            return _local(value, zone).isoformat(" ", "seconds")
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        # A decimal comma in the ;/1251 variant: Russian Excel reads 3.5 as a date.
        return fmt.number(format(value.normalize(), "f"))
    if isinstance(value, float):
        return fmt.number(str(value))
    return neutralize(str(value))


def _xlsx_cell(value: object, zone: tzinfo) -> object:
    if type(value) is str:
        return value
    if isinstance(value, datetime):
        return _local(value, zone)  # Excel has no time zones: local, no offset
    if isinstance(value, int | float | Decimal) and _digits(value) > EXCEL_DIGITS:
        # Excel keeps 15 significant digits of a number (and the importer reads a
        # workbook's numbers so): 1234567890.1234567 came back 1234567890.12346.
        # As text it keeps every digit, as CSV does.
        return format(Decimal(repr(value) if isinstance(value, float) else value), "f")
    if value is None or isinstance(value, date | int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


EXCEL_DIGITS = 15


def _digits(value: int | float | Decimal) -> int:
    """Significant digits of a number as written (a float as Python writes it
    shortest), trailing zeros aside."""
    if isinstance(value, bool):
        return 1
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        return 0
    return len(number.normalize().as_tuple().digits)


def _local(moment: datetime, zone: tzinfo) -> datetime:
    """An aware time as the reader's clock shows it, to the second. The zone is
    looked up once per export: timezone.localtime() looks it up in the request's
    context each time, which was a third of a message's export."""
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


class _Echo:
    def write(self, value: str) -> str:
        return value


def table_export(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    fmt: ExportFormat,
) -> Iterator[bytes]:
    """Any table as byte chunks in `fmt`, streamed as the rows are read: a CSV's
    formulas neutralised, aware times in the current time zone (looked up once)."""
    zone = timezone.get_current_timezone()
    if fmt.key == "xlsx":
        return xlsx_stream.stream_xlsx(
            title,
            list(headers),
            ([_xlsx_cell(v, zone) for v in row] for row in rows),
            date_format=excel_date_format(),
            # The day as the dates are, then the time: the stop list's times read
            # "2026-03-01 9:05:00" beside the contacts' "01.03.2026".
            datetime_format=excel_date_format() + " hh:mm",
        )
    return _csv_chunks(headers, rows, fmt=fmt, zone=zone)


# Django's date format characters and Excel's number format codes for them.
_EXCEL_DATE_CODES = {"d": "dd", "j": "d", "m": "mm", "n": "m", "Y": "yyyy", "y": "yy"}


def excel_date_format() -> str:
    """The language's short date as an Excel number format: "d.m.Y" (Russian) is
    "dd.mm.yyyy". ISO for a form made of more than day, month, year and separators."""
    short = get_format("SHORT_DATE_FORMAT")
    if not all(c in _EXCEL_DATE_CODES or c in "./- " for c in short):
        return xlsx_stream.DATE_FORMAT
    return "".join(_EXCEL_DATE_CODES.get(c, c) for c in short)


def _csv_chunks(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    fmt: ExportFormat,
    zone: tzinfo,
) -> Iterator[bytes]:
    writer = csv.writer(_Echo(), delimiter=fmt.delimiter)
    encoding = fmt.encoding
    # cp1251 has no emoji and the like; they become "?" rather than stopping the export.
    yield writer.writerow([neutralize(h) for h in headers]).encode(
        encoding, errors="replace"
    )
    batch: list[str] = []
    for row in rows:
        batch.append(writer.writerow([_text(v, fmt, zone) for v in row]))
        if len(batch) >= BATCH_ROWS:
            yield "".join(batch).encode(encoding.replace("-sig", ""), errors="replace")
            batch = []
    if batch:
        yield "".join(batch).encode(encoding.replace("-sig", ""), errors="replace")


def stream_export(
    queryset: QuerySet, *, fmt: ExportFormat, custom_fields: Sequence[CustomField]
) -> Iterator[bytes]:
    """The contacts in `fmt` as byte chunks (a download streams them as they come)."""
    rows = export_rows(queryset, custom_fields)
    if fmt.key == "xlsx":
        rows = _with_dates(rows, custom_fields)
    return table_export(_("Contacts"), export_headers(custom_fields), rows, fmt=fmt)


def _with_dates(
    rows: Iterator[list], custom_fields: Sequence[CustomField]
) -> Iterator[list]:
    """The rows with the Date fields' values (ISO text in the attributes) as dates: a
    workbook's date cells, which sort and filter as dates. A value that is no date
    stays text."""
    dated = [
        GROUPS_COLUMN + 1 + index
        for index, field in enumerate(custom_fields)
        if field.kind == CustomField.Kind.DATE
    ]
    if not dated:
        yield from rows
        return
    for row in rows:
        for index in dated:
            with contextlib.suppress(TypeError, ValueError):
                row[index] = date.fromisoformat(row[index])
        yield row


def format_from(params: Mapping[str, str]) -> ExportFormat:
    """The format a download's `?format=` asks for (CSV for none); BadRequest (a 400)
    for one there is not, rather than a CSV the caller did not ask for."""
    key = params.get("format") or "csv"
    if key not in FORMATS:
        raise BadRequest(
            _("There is no export format “%(format)s”; the formats are %(known)s.")
            % {"format": key, "known": ", ".join(FORMATS)}
        )
    return FORMATS[key]


def audited_download(
    chunks: Iterator[bytes],
    *,
    name: str,
    fmt: ExportFormat,
    filters: Mapping[str, Any],
    obj: models.Model | None = None,
) -> StreamingHttpResponse:
    """`chunks` as a streamed attachment `name`.`extension`, recorded in the audit log
    first: who took it, of what (`obj`, else the file name), in which format, under
    which filters."""
    filename = fmt.filename(name)
    audit(
        AuditEvent.Action.EXPORTED,
        obj,
        object_repr="" if obj is not None else filename,
        format=fmt.key,
        filters=audit_filters(filters),
    )
    return attachment(chunks, filename=filename, fmt=fmt)


def attachment(
    chunks: Iterator[bytes], *, filename: str, fmt: ExportFormat
) -> StreamingHttpResponse:
    """`chunks` streamed as a download named `filename` (in any language)."""
    response = StreamingHttpResponse(chunks, content_type=fmt.content_type)
    response["Content-Disposition"] = attachment_disposition(filename)
    return response


def export_to_file(
    queryset: QuerySet,
    *,
    fmt: ExportFormat,
    custom_fields: Iterable[CustomField] | None = None,
) -> IO[bytes]:
    """The whole export in a temporary file, rewound; the caller closes it."""
    fields = list(
        custom_fields if custom_fields is not None else CustomField.objects.all()
    )
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller
    for chunk in stream_export(queryset, fmt=fmt, custom_fields=fields):
        out.write(chunk)
    out.seek(0)
    return out

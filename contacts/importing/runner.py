"""One import from start to end: read, check each row, stage, apply, report.

Every data row ends up in exactly one count of the report (created, updated, added to
groups, unchanged, duplicates, invalid, stop-listed), and every row that did not go in is written to the
rejects CSV with its row number and the reason naming the column.
"""

import csv
import gc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import BinaryIO, TextIO

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from contacts.exporting import neutralize
from contacts.importing.fields import auto_mapping
from contacts.importing.groups import known_group_names
from contacts.importing.reasons import Problem, RowReason, reason_cell
from contacts.importing.rejects import DEFAULT_DELIMITER, rejects_header
from contacts.importing.rows import RowParser, RowRejected
from contacts.importing.sources import (
    ImportFileError,
    Table,
    garbled_header_error,
    open_table,
)
from contacts.importing.stages import ApplyPlan, Chunk, apply_rows
from contacts.importing.workbook import UNCOMPUTED
from contacts.models import Contact, CustomField, GroupMembership, StopListEntry
from contacts.numbering import contacts_fill_zones
from contacts.phone import SEPARATORS, normalize_phone_fast
from contacts.statistics import statistics_refresh

CHUNK_ROWS = 10_000
PROGRESS_ROWS = 20_000  # rows read between two progress reports
REPORT_ERRORS = 50
_NUMBER_SEPARATORS = str.maketrans("", "", SEPARATORS)


@dataclass
class ImportOptions:
    kind: str = "contacts"
    encoding: str = "auto"
    delimiter: str = "auto"
    # None: decide from the first row (a header has no valid phone number in it).
    header: bool | None = None
    # One field per column ("" ignores it); None maps by the header names.
    mapping: list[str] | None = None
    group_ids: list[int] = field(default_factory=list)
    update: bool = False
    consent_source: str = ""
    stop_reason: str = ""
    stop_source: str = StopListEntry.Source.IMPORT
    created_by_id: int | None = None
    region: str = ""

    @classmethod
    def from_dict(cls, data: dict) -> "ImportOptions":
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    # In the book already, not updated, but added to a group of the import's.
    added_to_groups: int = 0
    unchanged: int = 0
    duplicates: int = 0
    invalid: int = 0
    stop_listed: int = 0  # new numbers on the stop list: not imported
    # Numbers on the stop list already in the book: updated, added to groups or left
    # alone like any other, and still on the stop list (the page counts both).
    stop_listed_in_book: int = 0
    format: str = ""
    encoding: str = ""
    delimiter: str = ""
    # The first problems, for the report page: {"row", "reason"}, the reason a
    # record (contacts.importing.reasons) worded when it is shown.
    errors: list[dict] = field(default_factory=list)
    # Rows imported without the characters no gateway can carry (see RowParser), and
    # the first of them as {"row", "reason"}.
    cleaned: int = 0
    cleaned_examples: list[dict] = field(default_factory=list)
    # Workbook sheets not imported (hidden, or not under the first sheet's header).
    skipped_sheets: list[str] = field(default_factory=list)
    # Rows above the header taken for the file's title (sources._without_title_rows).
    title_rows: int = 0
    # Groups a "Groups" column named that the book did not have: created.
    groups_created: list[str] = field(default_factory=list)
    # The reasons, here and in the rejects file, are records; reports written before
    # (without this key) hold text, and their rejects file is served as it is.
    reason_records: bool = True

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def rejected(self) -> int:
        return self.duplicates + self.invalid + self.stop_listed


Progress = Callable[[float, int], None]


def run_import(
    raw: BinaryIO,
    *,
    name: str,
    options: ImportOptions,
    rejects: TextIO | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one file; ImportFileError when it cannot be read at all."""
    started = timezone.now()
    table = open_table(
        raw, name=name, encoding=options.encoding, delimiter=options.delimiter
    )
    report = ImportReport(
        format=table.format, encoding=table.encoding, delimiter=table.delimiter
    )
    records = table.records
    first = next(records, None)
    if first is None:
        raise ImportFileError(_("The file has no rows."), where=name)
    custom_fields = list(CustomField.objects.all())
    region = options.region or settings.SMSPORTAL_DEFAULT_REGION
    second = next(records, None)
    header = options.header
    if header is None:
        following = second[1] if second else None
        header = has_header(first[1], region, following=following)
    headers = first[1] if header else None
    if headers is not None and table.garbled(headers):
        # Its columns would be mapped by content alone, the names dropped unseen.
        raise garbled_header_error(
            table, name=name, row=first[0], chosen=options.encoding != "auto"
        )
    # The first data rows, read ahead to guess the phone column; put back below.
    ahead = [record for record in ([second] if header else [first, second]) if record]
    if not ahead:
        raise ImportFileError(
            _("The file has a header row but no data rows."), where=name
        )
    records = _prepend(ahead, records)
    mapping = options.mapping or auto_mapping(
        headers or [], kind=options.kind, custom_fields=custom_fields
    )
    mapping = fit_mapping(mapping, [cells for _row, cells in ahead], region)
    if "phone" not in mapping:
        raise ImportFileError(_("No column is mapped to the phone number."), where=name)
    parser = RowParser(
        kind=options.kind,
        mapping=mapping,
        headers=headers,
        custom_fields=custom_fields,
        region=region,
        group_names=known_group_names() if "groups" in mapping else None,
        cells_may_shift=table.format != "xlsx",
    )
    # The rejects in the file's own delimiter: Russian Excel opens a comma CSV as one
    # column, and the user fixes the rows in the program that wrote the file.
    writer = _rejects_writer(
        rejects, headers or [], delimiter=table.delimiter or DEFAULT_DELIMITER
    )
    stopped: set[str] = set()
    if options.kind == "contacts":
        stopped = set(StopListEntry.objects.values_list("phone", flat=True))
    known = known_phones(options.kind)
    plan = _plan(options, parser)
    chunks = _checked_chunks(
        records, parser, report, writer, stopped, known, table, progress,
        existing_values=bool(plan.update and plan.updatable),
    )  # fmt: skip
    applied = apply_rows(plan, chunks)
    report.created, report.updated = applied.created, applied.updated
    report.added_to_groups, report.unchanged = applied.grouped, applied.unchanged
    report.cleaned, report.cleaned_examples = parser.cleaned, parser.cleaned_examples
    report.skipped_sheets = table.skipped_sheets
    report.title_rows = table.title_rows
    report.groups_created = applied.groups_created
    statistics_refresh(
        tables=(
            [Contact, GroupMembership]
            if options.kind == "contacts"
            else [StopListEntry]
        ),
        changed=applied.created,
    )
    if options.kind == "contacts" and applied.created + applied.updated:
        # Mobiles without a zone get their range's, if the registry is loaded; only
        # this import's rows (a minute's margin for the database's clock).
        contacts_fill_zones(changed_since=started - timedelta(minutes=1))
    return report


def has_header(
    cells: Sequence[str], region: str, *, following: Sequence[str] | None = None
) -> bool:
    """A first row with a valid phone number in it is data, anything else a header.

    A first row with a mistyped number ("12345", "8916123456") is data too when the
    next row has a valid number in that column: taken for a header, it would vanish
    from the import without a word, not even in the rejects.
    """
    if any(_is_phone(cell, region) for cell in cells):
        return False
    if following:
        for index, cell in enumerate(following[: len(cells)]):
            if _is_phone(cell, region) and _looks_like_a_number(cells[index]):
                return False
    return True


def fit_mapping(
    mapping: list[str], rows: Sequence[Sequence[str]], region: str
) -> list[str]:
    """Pad the mapping to the first data row's width; guess the phone column when none
    is named, from the first of `rows` that has a valid number."""
    width = len(rows[0]) if rows else 0
    mapping = list(mapping) + [""] * max(0, width - len(mapping))
    if "phone" in mapping:
        return mapping
    for cells in rows:
        for index, cell in enumerate(cells[: len(mapping)]):
            if not mapping[index] and _is_phone(cell, region):
                mapping[index] = "phone"
                return mapping
    return mapping


def _is_phone(cell: str, region: str) -> bool:
    try:
        normalize_phone_fast(cell.strip(), region=region)
    except ValueError:
        return False
    return True


def _looks_like_a_number(cell: str) -> bool:
    """Digits and the separators people put between them, at least five digits."""
    digits = cell.strip().lstrip("'+").translate(_NUMBER_SEPARATORS)
    return len(digits) >= 5 and digits.isdigit()


def _plan(options: ImportOptions, parser: RowParser) -> ApplyPlan:
    return ApplyPlan(
        kind=options.kind,
        fields=frozenset(parser.staged_fields),
        attributes=tuple((key, kind) for key, kind, _column in parser.attributes),
        update=options.update,
        group_ids=tuple(options.group_ids),
        group_column=parser.groups is not None,
        consent_source=options.consent_source,
        stop_source=options.stop_source,
        stop_reason=options.stop_reason,
        created_by_id=options.created_by_id,
    )


def known_phones(kind: str) -> dict[int, int]:
    """Phones already in the book (or stop list) as int(E.164 digits) -> -id.

    The same dict then remembers the row where the file first had each number (as a
    positive row number), so one structure tells new, existing and duplicate apart.
    """
    model = StopListEntry if kind == "stoplist" else Contact
    if connection.vendor != "postgresql":
        rows = model.objects.values_list("phone", "id").iterator(chunk_size=20_000)
        return {int(phone[1:]): -pk for phone, pk in rows}
    known: dict[int, int] = {}
    # COPY TO STDOUT: a million pairs arrive as text blocks, not a million row tuples.
    sql = f"COPY (SELECT substr(phone, 2), id FROM {model._meta.db_table}) TO STDOUT"
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        tail = b""
        for block in copy:
            lines = (tail + bytes(block)).split(b"\n")
            tail = lines.pop()
            for line in lines:
                phone, pk = line.split(b"\t")
                known[int(phone)] = -int(pk)
    return known


def _checked_chunks(
    records, parser, report, writer, stopped, known, table, progress, *, existing_values
):
    """Chunks of checked rows, CHUNK_ROWS at a time; every other row goes to the report.

    May run in a helper thread (see stages): it touches the database only through
    `progress`, which must be safe there.
    """
    gc_was_enabled = gc.isenabled()
    # Millions of short-lived, acyclic rows: the cycle collector only costs time here.
    gc.disable()
    try:
        chunk = Chunk()
        parse_phone, parse_rest = parser.parse_phone, parser.parse_rest
        parse_groups = parser.parse_groups if parser.groups is not None else None
        for row_no, cells in records:
            report.rows += 1
            if progress and not report.rows % PROGRESS_ROWS:
                # Rows read, not rows taken: a file of rejects moves the bar too.
                progress(table.fraction_read(), report.rows)
            try:
                fitted, phone_values = parse_phone(cells)
                phone = phone_values[0]
                key = int(phone[1:])
                earlier = known.get(key)
                values = None
                if earlier is None or (earlier < 0 and existing_values):
                    values = parse_rest(row_no, fitted, phone_values)
                groups = parse_groups(fitted) if parse_groups else ""
            except RowRejected as exc:
                report.invalid += 1
                _reject(report, writer, table, row_no, cells, exc.problems)
                continue
            if earlier is not None and earlier > 0:
                report.duplicates += 1
                place = table.place_of(earlier)
                reason = _duplicate_reason(parser, place or earlier)
                cell = None if place else _duplicate_cell(parser, earlier)
                _reject(report, writer, table, row_no, cells, [reason], cell=cell)
                continue
            # A contact already in the book is updated like any other (the stop list
            # keeps it from campaigns); only a new one is refused.
            if earlier is None and phone in stopped:
                report.stop_listed += 1
                reason, cell = _stop_reason(parser)
                _reject(report, writer, table, row_no, cells, [reason], cell=cell)
                continue
            if earlier is not None and phone in stopped:
                report.stop_listed_in_book += 1
            known[key] = row_no
            if earlier is None:
                chunk.new.append(values)
            else:
                chunk.existing.append((-earlier, values))
            if parse_groups:
                (chunk.new_groups if earlier is None else chunk.existing_groups).append(
                    groups
                )
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                chunk = Chunk()
        if chunk:
            yield chunk
        if progress:
            progress(1.0, report.rows)
    finally:
        if gc_was_enabled:
            gc.enable()


def _prepend(firsts, records):
    yield from firsts
    yield from records


def _duplicate_reason(parser: RowParser, earlier: int | dict) -> Problem:
    """`earlier`: the row number, or its place on a later sheet (Table.place_of)."""
    if isinstance(earlier, dict):
        msgid = gettext_noop("the same number is already in %(place)s")
        return parser.reason(parser.phone, "duplicate", msgid, place=earlier)
    msgid = gettext_noop("the same number is already in row %(row)s")
    return parser.reason(parser.phone, "duplicate", msgid, row=earlier)


def _duplicate_cell(parser: RowParser, earlier: int) -> str:
    """reason_cell() of a duplicate of row `earlier`, from a template made once per
    file: a file can hold a hundred thousand duplicates, and JSON costs ~10 µs each."""
    template = parser.memo.get(("duplicate cell",))
    if template is None:
        cell = reason_cell({"problems": [_duplicate_reason(parser, 0)]})
        template = parser.memo[("duplicate cell",)] = cell.split('"row":0', 1)
    return f'{template[0]}"row":{earlier}{template[1]}'


def _stop_reason(parser: RowParser) -> tuple[Problem, str]:
    """The problem of a new number on the stop list, and its reason_cell()."""
    known = parser.memo.get(("stop",))
    if known is None:
        reason = parser.reason(
            parser.phone,
            "stop_listed",
            gettext_noop(
                "the number is on the stop list: an import adds no new contact for "
                "it (take it off the stop list first to add it)"
            ),
        )
        known = parser.memo[("stop",)] = (reason, reason_cell({"problems": [reason]}))
    return known


def _reject(
    report: ImportReport,
    writer,
    table: Table,
    row_no: int,
    cells: list[str],
    problems: list[Problem],
    *,
    cell: str | None = None,
) -> None:
    """Count the row out; `cell`: reason_cell() of `problems`, if made already."""
    reason: RowReason = {"problems": problems}
    # A row of a later sheet is numbered on from the first; its own sheet and row
    # say where it is.
    place = table.place_of(row_no)
    if place is not None:
        reason["place"] = place
        cell = None
    if len(report.errors) < REPORT_ERRORS:
        report.errors.append({"row": row_no, "reason": reason})
    if writer is not None:
        # A record, worded when the file is downloaded (rejects.rejects_lines).
        cell = cell or reason_cell(reason)
        writer.writerow([row_no, cell, *(_rejected_cell(c) for c in cells)])


def _rejected_cell(cell: str) -> str:
    """The cell as the rejects file holds it: a formula without a value as written."""
    if cell.startswith(UNCOMPUTED):
        cell = cell[1:]
    return neutralize(cell)


def _rejects_writer(
    rejects: TextIO | None, headers: Sequence[str], *, delimiter: str = ","
):
    if rejects is None:
        return None
    writer = csv.writer(rejects, delimiter=delimiter)
    writer.writerow([*rejects_header(), *(neutralize(h) for h in headers)])
    return writer

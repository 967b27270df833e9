"""What import_contacts and import_stoplist share: options, running, printing."""

import contextlib
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from django.core.management.base import CommandError

from contacts.importing.reasons import reason_text
from contacts.importing.rejects import DEFAULT_DELIMITER, rejects_lines
from contacts.importing.runner import ImportOptions, ImportReport, run_import
from contacts.importing.sources import ENCODING_CHOICES
from smsportal.exceptions import ApplicationError

DELIMITERS = {"auto": "auto", ",": ",", ";": ";", "tab": "\t"}


def add_reader_arguments(parser) -> None:
    parser.add_argument("path", help="CSV or XLSX file")
    parser.add_argument(
        "--encoding", default="auto", choices=list(ENCODING_CHOICES),
        help="of a CSV file (default: auto, told apart from the bytes)",
    )  # fmt: skip
    parser.add_argument(
        "--delimiter", default="auto", choices=list(DELIMITERS),
        help="of a CSV file: ',', ';' (quote it in a shell) or tab "
        "(default: auto, from the header)",
    )  # fmt: skip
    parser.add_argument(
        "--rejects", metavar="OUT.csv", help="write the rows not imported here"
    )


def source_file(path: str) -> Path:
    """The file to import; CommandError (exit 1) when there is none, before anything
    is changed for it."""
    source = Path(path)
    if not source.is_file():
        raise CommandError(f"{path}: no such file")
    return source


def run(
    stdout, *, path: str, options: ImportOptions, rejects: str | None
) -> ImportReport:
    """Import the file and print the report; CommandError (exit 1) if it cannot be read."""
    source = source_file(path)
    with contextlib.ExitStack() as stack:
        stored = None
        if rejects:
            # The reasons are records (contacts.importing.reasons): worded below.
            stored = stack.enter_context(
                tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
            )
        try:
            with source.open("rb") as raw:
                report = run_import(
                    raw, name=source.name, options=options, rejects=stored
                )
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        if rejects:
            _write_rejects(stored, rejects, delimiter=report.delimiter)
    print_report(stdout, report, kind=options.kind)
    if rejects and report.rejected:
        stdout.write(f"Rows not imported: {rejects}")
    return report


def _write_rejects(stored: TextIO, path: str, *, delimiter: str) -> None:
    stored.seek(0)
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        for piece in rejects_lines(stored, delimiter=delimiter or DEFAULT_DELIMITER):
            out.write(piece)


def print_report(stdout, report: ImportReport, *, kind: str) -> None:
    delimiter = {"\t": "tab"}.get(report.delimiter, report.delimiter)
    read = (
        report.format
        if report.format == "xlsx"
        else f"{report.encoding}, '{delimiter}'"
    )
    stdout.write(f"Read as {read}")
    lines = [("rows", report.rows), ("created", report.created)]
    if kind == "contacts":
        lines.append(("updated", report.updated))
        # Contacts already in the book; the created ones join the groups too.
        lines.append(("in book, to groups", report.added_to_groups))
    lines += [
        ("unchanged", report.unchanged),
        ("duplicates in file", report.duplicates),
        ("invalid", report.invalid),
    ]
    if kind == "contacts":
        lines.append(("stop-listed, new", report.stop_listed))
        lines.append(("stop-listed, in book", report.stop_listed_in_book))
    for label, value in lines:
        stdout.write(f"  {label:20s} {value}")
    if report.groups_created:
        stdout.write(f"  new groups: {', '.join(report.groups_created)}")
    for error in report.errors[:10]:
        stdout.write(f"  row {error['row']}: {reason_text(error['reason'])}")
    if len(report.errors) > 10 or report.rejected > len(report.errors):
        stdout.write(f"  ... {report.rejected} rows not imported in all")
    if report.cleaned:
        stdout.write(f"  {report.cleaned} rows imported without control characters:")
        for note in report.cleaned_examples[:10]:
            stdout.write(f"  row {note['row']}: {reason_text(note['reason'])}")
    sys.stdout.flush()

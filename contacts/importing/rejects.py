"""The rejected rows' file as the user downloads it: in the uploaded file's encoding.

The user fixes the rows in the program that wrote the file and uploads them again, so
they go back as they came: Windows-1251 stays Windows-1251, UTF-16 stays UTF-16. UTF-8
always gets a BOM, without which Excel shows UTF-8 as mojibake; a workbook (no encoding
of its own) gets UTF-8 with a BOM. The delimiter is the file's own (runner.py), ";" for
a workbook, the one Russian Excel splits on.

Its header's first two cells and the reasons are ours: they are stored as records
(contacts.importing.reasons) and worded as the file is downloaded, in the language of
whoever downloads it. A file stored before that (its report has no "reason_records")
goes out as it was stored.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO, TextIO

from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.audit import audit
from accounts.models import AuditEvent
from contacts.importing.reasons import cell_reason_text
from smsportal.lib.downloads import attachment_disposition, file_name_part
from smsportal.shared_files import stored_file_missing

if TYPE_CHECKING:
    from contacts.models import ImportJob

DEFAULT_DELIMITER = ";"
_ENCODINGS = {"": "utf-8-sig", "utf-8": "utf-8-sig", "utf-8-sig": "utf-8-sig"}
# Python's codec names as HTTP charsets.
_CHARSETS = {"utf-8-sig": "utf-8", "cp1251": "windows-1251", "cp866": "ibm866"}
_CHUNK_CHARS = 1 << 16
_CHUNK_ROWS = 2000


def rejects_encoding(file_encoding: str) -> str:
    """The codec the rejects are written in, for the encoding the upload was read in."""
    return _ENCODINGS.get(file_encoding, file_encoding)


def rejects_charset(file_encoding: str) -> str:
    encoding = rejects_encoding(file_encoding)
    return _CHARSETS.get(encoding, encoding)


def rejects_transcode(text: TextIO, out: BinaryIO, *, file_encoding: str) -> None:
    """Copy the rejects written as text into out, encoded as rejects_encoding() says."""
    # An incremental encoder writes a BOM (utf-8-sig, utf-16) once, at the start.
    encoder = codecs.getincrementalencoder(rejects_encoding(file_encoding))("replace")
    while chunk := text.read(_CHUNK_CHARS):
        # Rejected cells came from the file and are encodable; only a reason could
        # hold a character the file's encoding lacks: "?" rather than no file.
        out.write(encoder.encode(chunk))
    out.write(encoder.encode("", final=True))


def rejects_header() -> list[str]:
    """The first two cells of the header, in the active language."""
    # Not "Reason": a corrected file goes back in as it is, and in a stop list import
    # that header would map onto the entries' reason in place of the file's own.
    return [_("Row"), pgettext("rejected rows", "Error")]


def rejects_lines(stored: TextIO, *, delimiter: str) -> Iterator[str]:
    """The stored rejects (as text) with the header and the reasons worded in the
    active language, as CSV text in pieces."""
    reader = csv.reader(stored, delimiter=delimiter)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    for number, row in enumerate(reader):
        if number == 0:
            row[:2] = rejects_header()
        elif len(row) > 1:
            row[1] = cell_reason_text(row[1])
        writer.writerow(row)
        if number % _CHUNK_ROWS == _CHUNK_ROWS - 1:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    if out.tell():
        yield out.getvalue()


def rejects_missing(job: "ImportJob") -> bool:
    """The worker that ran the import wrote the file on a disk this machine lacks."""
    return stored_file_missing(
        storage=job.rejects.storage,
        name=job.rejects.name,
        what=f"rejected rows of import {job.pk}",
    )


def rejects_response(job: "ImportJob") -> FileResponse | StreamingHttpResponse:
    """The job's rejected rows as a download (the page's link and the API's), in the
    language of the request; recorded in the audit log as an export, since the rows
    hold people's numbers and names as much as an export of the book does."""
    stem = file_name_part(job.original_name.rsplit(".", 1)[0])
    name = pgettext("file name", "rejected-%(name)s") % {"name": stem} + ".csv"
    audit(AuditEvent.Action.EXPORTED, job, object_repr=name)
    file_encoding = job.report.get("encoding", "")
    content_type = f"text/csv; charset={rejects_charset(file_encoding)}"
    if not job.report.get("reason_records"):
        # Written before reasons were records: its words are what there is.
        response = FileResponse(job.rejects.open("rb"), content_type=content_type)
    else:
        response = StreamingHttpResponse(
            _worded(job, file_encoding), content_type=content_type
        )
    response["Content-Disposition"] = attachment_disposition(name)
    return response


def _worded(job: "ImportJob", file_encoding: str) -> Iterator[bytes]:
    encoding = rejects_encoding(file_encoding)
    delimiter = job.report.get("delimiter") or DEFAULT_DELIMITER
    # An incremental encoder writes a BOM (utf-8-sig, utf-16) once, at the start.
    encoder = codecs.getincrementalencoder(encoding)("replace")
    with (
        job.rejects.open("rb") as raw,
        io.TextIOWrapper(raw, encoding=encoding, newline="") as stored,
    ):
        for piece in rejects_lines(stored, delimiter=delimiter):
            # A reason in the reader's language may hold a character the file's
            # encoding lacks: "?" rather than no file.
            yield encoder.encode(piece)
    yield encoder.encode("", final=True)

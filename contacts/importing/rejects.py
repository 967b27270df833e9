"""The rejected rows' file as the user downloads it: in the uploaded file's encoding.

The user fixes the rows in the program that wrote the file and uploads them again, so
they go back as they came: Windows-1251 stays Windows-1251, UTF-16 stays UTF-16. UTF-8
always gets a BOM, without which Excel shows UTF-8 as mojibake; a workbook (no encoding
of its own) gets UTF-8 with a BOM. The delimiter is the file's own (runner.py), ";" for
a workbook, the one Russian Excel splits on.
"""

import codecs
from typing import TYPE_CHECKING, BinaryIO, TextIO

from django.http import FileResponse

if TYPE_CHECKING:
    from contacts.models import ImportJob

DEFAULT_DELIMITER = ";"
_ENCODINGS = {"": "utf-8-sig", "utf-8": "utf-8-sig", "utf-8-sig": "utf-8-sig"}
# Python's codec names as HTTP charsets.
_CHARSETS = {"utf-8-sig": "utf-8", "cp1251": "windows-1251"}
_CHUNK_CHARS = 1 << 16


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


def rejects_response(job: "ImportJob") -> FileResponse:
    """The job's rejected rows as a download (the page's link and the API's)."""
    name = f"rejected-{job.original_name.rsplit('.', 1)[0]}.csv"
    charset = rejects_charset(job.report.get("encoding", ""))
    return FileResponse(
        job.rejects.open("rb"),
        as_attachment=True,
        filename=name,
        content_type=f"text/csv; charset={charset}",
    )

"""Uploads past the import limit stop being stored as they arrive.

Django writes an upload whole to a temporary file before any view sees it, so a limit
checked by the view (contacts.services.import_job_create) came after the disk had
taken every byte: anyone who may import could fill it. This handler, first in
FILE_UPLOAD_HANDLERS, stops a file at the limit; the rest of the body is read and
dropped, and the page (or the API) says why the file is missing.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from contacts.importing.sources import max_import_bytes


class UploadSizeLimit(FileUploadHandler):
    """Passes each chunk on until a file goes past max_import_bytes()."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        limit = max_import_bytes()
        if start + len(raw_data) > limit:
            self.request.upload_refused = (self.file_name or "", limit)
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) makes the file


def upload_refusal(request: HttpRequest) -> str | None:
    """Why an upload of this request was not stored, in words; None if none was."""
    refused = getattr(request, "upload_refused", None)
    if refused is None:
        return None
    name, limit = refused
    return _(
        "%(file)s is larger than %(limit)s, the largest file that can be uploaded. "
        "Split it into smaller files."
    ) % {"file": name or _("The file"), "limit": filesizeformat(limit)}


def refused_upload_shown(request: HttpRequest, form, field: str) -> bool:
    """Put the refusal on the form's `field` (instead of "this field is required",
    which is all the form itself can see); whether there was one."""
    why = upload_refusal(request)
    if why is None:
        return False
    form.is_valid()
    form.errors[field] = form.error_class([why])
    return True

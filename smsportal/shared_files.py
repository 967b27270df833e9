"""Files a web process stores and a worker reads (uploads), or the other way round
(rejected rows): both need the same MEDIA_ROOT.

FileSystemStorage keeps them on the local disk, so a worker on another machine finds
nothing unless MEDIA_ROOT is storage the machines share (README, "Production"). These
say so, with the machine's name, instead of an internal error.
"""

from __future__ import annotations

import logging
import socket

from django.conf import settings
from django.core.files.storage import Storage
from django.utils.translation import gettext as _

logger = logging.getLogger("smsportal.shared_files")


def this_host() -> str:
    return socket.gethostname()


def stored_file_missing(*, storage: Storage, name: str, what: str) -> bool:
    """True, and logged with where it was looked for, when a stored file is not in
    this machine's MEDIA_ROOT."""
    if storage.exists(name):
        return False
    logger.error(
        "%s %s is not in MEDIA_ROOT %s on host %s: MEDIA_ROOT must be shared by the "
        "web and worker machines",
        what,
        name,
        settings.MEDIA_ROOT,
        this_host(),
    )
    return True


def upload_unreachable_message(*, file_name: str) -> str:
    """Why a worker could not read an upload, and where to fix it."""
    return _(
        "The uploaded file %(file)s is not reachable from the worker on host "
        "%(host)s: uploads are kept in MEDIA_ROOT, and a worker on another machine "
        "needs MEDIA_ROOT on storage shared with the web server (README, "
        "“Production”). Ask your administrator, then upload the file again."
    ) % {"file": file_name, "host": this_host()}


def upload_missing_here_message(*, file_name: str) -> str:
    """Why a web server could not read an upload another one stored (several web
    machines, MEDIA_ROOT not shared), and where to fix it."""
    return _(
        "The uploaded file %(file)s is not on host %(host)s: uploads are kept in "
        "MEDIA_ROOT, and several web servers or workers need MEDIA_ROOT on storage "
        "they share (README, “Production”). Ask your administrator, then upload the "
        "file again."
    ) % {"file": file_name, "host": this_host()}


def rejects_unreachable_message() -> str:
    """Why the rejected rows cannot be downloaded from this machine."""
    return _(
        "The file of rejected rows is not on host %(host)s: the worker that ran the "
        "import kept it in its own MEDIA_ROOT. MEDIA_ROOT must be storage shared by "
        "the web server and the workers (README, “Production”); ask your "
        "administrator."
    ) % {"host": this_host()}

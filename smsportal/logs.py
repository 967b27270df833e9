"""Logging pieces named in settings.LOGGING and smsportal.celery.

Log lines carry their UTC offset: Django and Celery log in TIME_ZONE (Django sets the
process's TZ to it) and gunicorn's master in the machine's zone, so lines of one
moment from several processes must say which clock they read.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from django.core.exceptions import PermissionDenied

# A callback URL's path segment after /callbacks/ is the account's secret token.
_CALLBACK_TOKEN = re.compile(r"(/callbacks/)[^/\s?#\"']+")
MASK = "…"


def offset_time(record: logging.LogRecord, datefmt: str | None = None) -> str:
    """2026-05-04 12:00:00.123+0300: the local time with its offset from UTC."""
    moment = datetime.fromtimestamp(record.created).astimezone()
    if datefmt:
        return moment.strftime(datefmt)
    stamp = moment.strftime("%Y-%m-%d %H:%M:%S")
    return f"{stamp}.{int(record.msecs):03d}{moment.strftime('%z')}"


class OffsetFormatter(logging.Formatter):
    """The project's formatter: asctime with the UTC offset."""

    def formatTime(  # noqa: N802 (logging's name)
        self, record: logging.LogRecord, datefmt: str | None = None
    ) -> str:
        return offset_time(record, datefmt)


def mask_callback_tokens(text: str) -> str:
    return _CALLBACK_TOKEN.sub(rf"\g<1>{MASK}", text)


class CallbackTokenFilter(logging.Filter):
    """Masks the token in a callback URL's path: django.request logs every 4xx and
    5xx with its path, and a token in the log is a key to the account's callbacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed record is logging's own to report
        masked = mask_callback_tokens(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


class PermissionDeniedFilter(logging.Filter):
    """A 403 from PermissionDenied is a role doing what it may not: one line, not a
    traceback at WARNING for an everyday refusal."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if exc_info and isinstance(exc_info[1], PermissionDenied):
            record.exc_info, record.exc_text = None, None
        return True


def celery_formatters_with_offset(logger: logging.Logger, **kwargs: object) -> None:
    """Celery's own formatters (worker and task lines) with the UTC offset in asctime.

    Celery builds them itself, with its colours and task fields, so their time alone
    is replaced rather than the formatters.
    """
    for handler in logger.handlers:
        if handler.formatter is not None:
            handler.formatter.formatTime = offset_time  # type: ignore[method-assign]

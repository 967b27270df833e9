"""What every long-running process (web, worker, beat) refuses to start with.

One function for all three: a worker on another machine left on the development key
(or another SECRET_KEY than the web server's) read no credentials and failed every
campaign start, while the web said all was well.
"""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from smsportal.lib.crypto import field_key_problems

logger = logging.getLogger("smsportal.keys")


def start_refusal() -> str | None:
    """Why this process must not start with these settings, or None."""
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        return (
            "SECRET_KEY is not set: production (DEBUG off) must not run on the public "
            "development key. Set SECRET_KEY to a long random value, the same on every "
            "machine running web, worker and beat (README, Production, Keys)."
        )
    if problems := field_key_problems(settings.SMSPORTAL_FIELD_KEY):
        return (
            "SMSPORTAL_FIELD_KEY is not usable: " + "; ".join(problems) + ". "
            "`manage.py field_key` prints a new key (README, Production, Keys)."
        )
    return None


def refuse_unsafe_start() -> None:
    """Raise ImproperlyConfigured when start_refusal has a reason."""
    if (reason := start_refusal()) is not None:
        raise ImproperlyConfigured(reason)


def key_warnings_log() -> int:
    """Log the stored-secrets check (smsportal.checks) at start: gunicorn and Celery
    run no system checks, and a key changed under the credentials was otherwise
    found one account at a time. Returns how many it logged."""
    from django.db import connections

    from smsportal.checks import stored_values_check

    try:
        found = stored_values_check()
    finally:
        # Not handed on: gunicorn --preload forks its workers after this.
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:
                connection.close()
    for message in found:
        logger.warning("%s: %s %s", message.id, message.msg, message.hint)
    return len(found)

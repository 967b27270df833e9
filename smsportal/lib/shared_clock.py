"""The clock every machine of a deployment shares: the database server's.

Heartbeats written with each machine's own clock and judged with another's took a
worker whose clock ran 30 s behind for dead at every beat tick (a second pump started
beside each of its own) and, a minute behind, the pages said no worker ran. The
embedded setup (SQLite) is one machine: its own clock is the shared one.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone


def database_now() -> datetime:
    """The database server's time now (its statement's start on PostgreSQL)."""
    if connection.vendor != "postgresql":
        return timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        return cursor.fetchone()[0]

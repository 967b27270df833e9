"""Django's SQLite backend with a LIKE that ignores case beyond ASCII.

SQLite's own LIKE folds only A-Z: in the embedded default a search for «орлов» missed
«Орлов», in contact, inbox and admin searches alike (Django's icontains is LIKE on
SQLite). Registering like() replaces it for every statement of the connection; it
folds case as Python does, so Cyrillic, Greek and the rest match as on PostgreSQL's
UPPER ... LIKE UPPER. Only the embedded default uses this backend: a production
database is PostgreSQL, and the slower per-row Python call does not matter at a demo's
size.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.db.backends.sqlite3 import base


@lru_cache(maxsize=512)
def _like_pattern(pattern: str, escape: str | None) -> re.Pattern[str]:
    """A LIKE pattern (% any run, _ one character, `escape` quoting the next) as a
    case-insensitive regular expression for fullmatch."""
    parts = []
    chars = iter(pattern)
    for char in chars:
        if escape is not None and char == escape:
            parts.append(re.escape(next(chars, "")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def sqlite_like(
    pattern: object, value: object, escape: str | None = None
) -> bool | None:
    """SQLite's like(X, Y[, Z]): whether Y LIKE X [ESCAPE Z]; NULL with a NULL."""
    if pattern is None or value is None:
        return None
    return _like_pattern(str(pattern), escape).fullmatch(str(value)) is not None


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.create_function("like", 2, sqlite_like, deterministic=True)
        connection.create_function("like", 3, sqlite_like, deterministic=True)
        # Write-ahead log: pages read while the worker writes. With the rollback
        # journal a large import's write took the whole file (its cache spilling to
        # disk), and every page read beside it failed with "database is locked".
        # Kept in the file; asking again on each connection costs nothing (an
        # in-memory database stays "memory").
        connection.execute("PRAGMA journal_mode = WAL")
        return connection

"""Small helpers for set-based SQL that works on PostgreSQL and on SQLite."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection


def placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def unnest_table(
    rows: Sequence[Sequence[object]], casts: Sequence[str]
) -> tuple[str, list]:
    """`unnest(%s::int[], %s::text[], ...)`: rows as one array parameter per column.

    One placeholder per column keeps the statement text constant and short, so the
    driver's query cache works and a batch of any size costs the same to send.
    """
    sql = "unnest(" + ", ".join(f"%s::{cast}[]" for cast in casts) + ")"
    if not rows:
        return sql, [[] for _ in casts]
    return sql, [list(column) for column in zip(*rows, strict=True)]

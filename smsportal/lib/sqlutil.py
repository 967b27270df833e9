"""Small helpers for set-based SQL that works on PostgreSQL and on SQLite."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection


def placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def values_table(
    rows: Sequence[Sequence[object]], casts: Sequence[str]
) -> tuple[str, list]:
    """`(VALUES (%s::int, %s::text), ...)` for PostgreSQL, with flattened params."""
    row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    sql = "(VALUES " + ", ".join([row_sql] * len(rows)) + ")"
    params = [value for row in rows for value in row]
    return sql, params

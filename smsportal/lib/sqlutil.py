"""Small helpers for set-based SQL that works on PostgreSQL and on SQLite."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import connection
from django.utils.dateparse import parse_datetime


def placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def aware_utc(value: datetime | str | None) -> datetime | None:
    """A datetime read by raw SQL, aware: SQLite hands them back naive (UTC, as
    Django stores them) or as text; PostgreSQL's are aware already."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def rows_table(
    rows: Sequence[Sequence[object]], casts: Sequence[str]
) -> tuple[str, list]:
    """Rows as a derived table for `FROM ... AS v(a, b, ...)`.

    The rows travel as one JSON array of arrays: the driver would spend about 15 µs
    a row turning Python lists into PostgreSQL arrays (a third of applying a status
    report), while json.dumps is C. A column that holds one value in every row goes
    once, as a scalar parameter: a batch of status reports mostly shares its status,
    code, text and operator, and the server parsed and cast each of them once a row
    (decoding a million reports cost it 1.5 s of CPU; 0.3-0.75 s so). A single row is
    all scalars, as a callback's report.
    """
    if not rows:
        raise ValueError("rows_table needs at least one row")
    columns = list(zip(*rows, strict=True))
    varying = [
        i for i, column in enumerate(columns) if column.count(column[0]) != len(rows)
    ]
    if len(rows) > 1 and not varying:
        varying = [0]  # every row alike: still one output row per row
    if len(varying) == 1:  # a flat array, one value a row
        data: list = list(columns[varying[0]])
        source = "jsonb_array_elements_text(%s::jsonb) AS e(value)"
        picked = {varying[0]: "e.value"}
    else:
        data = list(zip(*(columns[i] for i in varying), strict=True))
        source = "jsonb_array_elements(%s::jsonb) AS e"
        picked = {i: f"(e ->> {at})" for at, i in enumerate(varying)}
    selected, params = [], []
    for index, cast in enumerate(casts):
        if index in picked:
            selected.append(f"{picked[index]}::{cast}")
        else:
            selected.append(f"%s::{cast}")
            params.append(columns[index][0])
    if not varying:
        return f"(SELECT {', '.join(selected)})", params
    params.append(json.dumps(data, default=_json_value, ensure_ascii=False))
    return f"(SELECT {', '.join(selected)} FROM {source})", params


def _json_value(value: object) -> str:
    """Datetimes, dates and decimals as the text PostgreSQL casts back exactly."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot send {type(value).__name__} in a table parameter")

"""smsportal.lib.sqlutil.rows_table: rows as a derived table, shared values sent once."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from django.db import connection

from smsportal.lib.sqlutil import rows_table

pytestmark = pytest.mark.django_db

CASTS = ("text", "text", "timestamptz", "numeric")
AT = datetime(2026, 12, 6, 10, 30, 15, 123456, tzinfo=UTC)


def read_back(rows, casts=CASTS):
    sql, params = rows_table(rows, casts)
    names = ", ".join(f"c{i}" for i in range(len(casts)))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {sql} AS v({names})", params)
        return [tuple(row) for row in cursor.fetchall()]


def test_values_every_row_shares_are_sent_once_not_once_a_row():
    rows = [(f"g{i}", "delivered", AT, None) for i in range(3)]
    sql, params = rows_table(rows, CASTS)
    # The status, the time and the missing cost go as scalars, the ids as a list.
    assert params[:3] == ["delivered", AT, None]
    assert json.loads(params[-1]) == ["g0", "g1", "g2"]
    assert read_back(rows) == rows


@pytest.mark.parametrize(
    "rows",
    [
        [("g1", "delivered", AT, Decimal("2.5000")), ("g2", "read", None, None)],
        [("g1", "sent", AT, None)],  # one row: all scalars
        [("g1", "sent", AT, None)] * 3,  # rows alike are still so many rows
        [("g1", "x", AT, Decimal("1.0000")), ("g2", "x", AT, Decimal("2.0000"))],
    ],
)
def test_the_table_holds_the_rows_as_they_were(rows):
    assert read_back(rows) == rows


def test_no_rows_is_refused():
    with pytest.raises(ValueError, match="at least one row"):
        rows_table([], CASTS)

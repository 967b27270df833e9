"""The planner's statistics of the contact book, refreshed after a large change.

PostgreSQL's estimates of a table (the book's size "about N", the plans of group
exports and searches) come from ANALYZE, which autovacuum runs only minutes after a big
change: after a 500,000-row import the book read "about 100,001", and a million-member
group, estimated at one row, took an export 18 s to start instead of 7.
"""

from __future__ import annotations

from django.db import connection, models

# A change of this many rows, or this share of the table, analyses it; one smaller
# than the floor never does (not even a query: a table that small plans well anyway,
# and the book counts itself exactly below contacts.selectors.EXACT_COUNT_LIMIT).
ANALYZE_ROWS = 50_000
ANALYZE_SHARE = 0.1
ANALYZE_FLOOR = 1_000


def statistics_refresh(*, tables: list[type[models.Model]], changed: int) -> bool:
    """ANALYZE `tables` when `changed` rows are many for the first of them (see
    ANALYZE_ROWS); True when it ran. PostgreSQL only."""
    if changed < max(ANALYZE_FLOOR, 1) or connection.vendor != "postgresql":
        return False
    names = [model._meta.db_table for model in tables]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [names[0]],
        )
        row = cursor.fetchone()
        # The table as last analysed, before this change (never analysed: -1).
        before = max(int(row[0]) if row else -1, 0)
        if changed < ANALYZE_ROWS and changed <= ANALYZE_SHARE * before:
            return False
        for name in names:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")
    return True

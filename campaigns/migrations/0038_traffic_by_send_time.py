"""The dashboard's traffic is dated by when a message goes out, not by its hand-over.

A gateway that schedules per recipient (Webcom's time_send) takes a sending
campaign's messages up to a week ahead of their time (campaigns.dispatch.
SCHEDULE_AHEAD): launched in the evening, a campaign hands over at once the
recipients quiet hours defer to the next morning, and a campaign spread over two
days its second day. Dated by hand-over, the chart showed them sent the day before
they went. HourlyTraffic is now keyed by the hour a message goes out: its hand-over,
or its planned time when that is later (campaigns.models.went_out). Sent at once, a
message's planned time lies before its hand-over, so its hour is unchanged.

PostgreSQL: 0035's trigger functions with that hour. SQLite (the embedded demo): 0005's
row triggers with that hour, which campaigns.apps now re-creates from here. The
rollup is rebuilt from the messages in the same transaction, with the message table
locked against writers until it commits (one scan of it).
"""

import importlib

from django.db import migrations

TALLIES = importlib.import_module("campaigns.migrations.0032_report_tallies")
HELD = importlib.import_module("campaigns.migrations.0035_held_counts")
OLD_TRAFFIC = importlib.import_module("campaigns.migrations.0005_hourly_traffic")
TABLE, TRAFFIC, EPOCH = TALLIES.TABLE, TALLIES.TRAFFIC, TALLIES.EPOCH
FAILED, MINUTE = TALLIES.FAILED, TALLIES.MINUTE
COST, ESTIMATED, UNPRICED = TALLIES.COST, TALLIES.ESTIMATED, TALLIES.UNPRICED

# The hour a handed-over message goes out (NULL until it is handed over); GREATEST
# passes over a NULL planned time.
HOUR = (
    "CASE WHEN submitted_at IS NOT NULL"
    f" THEN date_bin('1 hour', greatest(submitted_at, planned_at), {EPOCH}) END"
)


def _grouped(rows: str, sign: str) -> str:
    """0035's grouping with the hour a message goes out."""
    return f"""SELECT campaign_id, status, {HOUR} AS hour, operator, reason,
             vendor_code, CASE WHEN {FAILED} THEN vendor_text END AS vendor_text,
             {MINUTE} AS minute, {HELD.HELD_MINUTE} AS held_minute,
             {sign}count(*) AS n, {sign}coalesce(sum(segments), 0) AS s,
             {sign}{COST} AS cost, {sign}{ESTIMATED} AS estimated,
             {sign}{UNPRICED} AS unpriced
      FROM {rows} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"""


FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION campaigns_tally_insert() RETURNS trigger AS $$
BEGIN{HELD._tally(_grouped("new_rows", ""))}
  RETURN NULL;
END $$ LANGUAGE plpgsql {TALLIES.PLANNING};

CREATE OR REPLACE FUNCTION campaigns_tally_update() RETURNS trigger AS $$
BEGIN{HELD._tally(_grouped("old_rows", "-") + " UNION ALL " + _grouped("new_rows", ""))}
  RETURN NULL;
END $$ LANGUAGE plpgsql {TALLIES.PLANNING};

CREATE OR REPLACE FUNCTION campaigns_tally_delete() RETURNS trigger AS $$
BEGIN{HELD._tally(_grouped("old_rows", "-"))}
  RETURN NULL;
END $$ LANGUAGE plpgsql {TALLIES.PLANNING};
"""


def _rebuild(hour: str) -> str:
    return f"""
DELETE FROM {TRAFFIC};
INSERT INTO {TRAFFIC} (hour, status, count, is_squashed)
SELECT {hour}, status, count(*), true
FROM {TABLE} WHERE submitted_at IS NOT NULL GROUP BY 1, 2;
"""


# Django keeps SQLite datetimes as UTC text of one format, which compare as times.
def _sqlite_hour(row: str) -> str:
    return (
        f"strftime('%Y-%m-%d %H:00:00', max({row}.submitted_at,"
        f" coalesce({row}.planned_at, {row}.submitted_at)))"
    )


_COLS = "(hour, status, count, is_squashed)"
_OLD_HOUR, _NEW_HOUR = _sqlite_hour("OLD"), _sqlite_hour("NEW")
SQLITE = [
    f"""CREATE TRIGGER campaigns_traffic_insert AFTER INSERT ON {TABLE}
    WHEN NEW.submitted_at IS NOT NULL BEGIN
      INSERT INTO {TRAFFIC} {_COLS} VALUES ({_NEW_HOUR}, NEW.status, 1, 0);
    END""",
    f"""CREATE TRIGGER campaigns_traffic_update
    AFTER UPDATE OF status, submitted_at, planned_at ON {TABLE}
    WHEN NEW.status IS NOT OLD.status OR {_NEW_HOUR} IS NOT {_OLD_HOUR} BEGIN
      INSERT INTO {TRAFFIC} {_COLS}
      SELECT {_OLD_HOUR}, OLD.status, -1, 0 WHERE OLD.submitted_at IS NOT NULL;
      INSERT INTO {TRAFFIC} {_COLS}
      SELECT {_NEW_HOUR}, NEW.status, 1, 0 WHERE NEW.submitted_at IS NOT NULL;
    END""",
    f"""CREATE TRIGGER campaigns_traffic_delete AFTER DELETE ON {TABLE}
    WHEN OLD.submitted_at IS NOT NULL BEGIN
      INSERT INTO {TRAFFIC} {_COLS} VALUES ({_OLD_HOUR}, OLD.status, -1, 0);
    END""",
]
SQLITE_DROP = OLD_TRAFFIC.SQLITE_DROP
_SQLITE_CLEAR = f"DELETE FROM {TRAFFIC}"
_SQLITE_FILL = f"""INSERT INTO {TRAFFIC} {_COLS}
    SELECT {_sqlite_hour(TABLE)}, status, count(*), 1
    FROM {TABLE} WHERE submitted_at IS NOT NULL GROUP BY 1, 2"""


def _run(schema_editor, postgres: list[str], sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # Writers wait from here to the commit: none slips between the functions and
        # the rebuild (replacing a function alone locks nothing).
        schema_editor.execute(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
        for statement in postgres:
            schema_editor.execute(statement)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement)


def create(apps, schema_editor) -> None:
    _run(
        schema_editor,
        [FUNCTIONS, _rebuild(HOUR)],
        [*SQLITE_DROP, *SQLITE, _SQLITE_CLEAR, _SQLITE_FILL],
    )


def restore(apps, schema_editor) -> None:
    """Back to dating by hand-over: 0035's functions, 0005's SQLite triggers."""
    _run(
        schema_editor,
        [HELD.FUNCTIONS, _rebuild(TALLIES.HOUR)],
        [*SQLITE_DROP, *OLD_TRAFFIC.SQLITE, _SQLITE_CLEAR,
         OLD_TRAFFIC.SQLITE_BACKFILL],
    )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0037_held_minute_index_held_only")]

    operations = [migrations.RunPython(create, restore)]

"""One statement trigger per event keeps both tallies (PostgreSQL only).

0002's counts and 0005's hourly traffic each had their own trigger, so every statement
on the message table read its transition tables twice: for a million-row expansion, two
passes over a tuplestore spilled to disk; for a status batch, a tenth of its time. One
function now reads each transition table once, grouping by campaign, status and hour,
and writes both tallies from that. SQLite's row-level triggers are unchanged.
"""

import importlib

from django.db import migrations

TABLE = "campaigns_message"
COUNTS = "campaigns_campaignstatuscount"
TRAFFIC = "campaigns_hourlytraffic"
HOUR = "date_bin('1 hour', submitted_at, timestamptz '2000-01-01 00:00+00')"


def _tally(delta: str) -> str:
    """Write both tallies from `delta(campaign_id, status, hour, n, s)`: the counts of
    the campaign's messages (and their segments), the traffic of submitted ones."""
    return f"""
  WITH delta AS MATERIALIZED ({delta}),
  counted AS (
      INSERT INTO {COUNTS} (campaign_id, status, count, segments, is_squashed)
      SELECT campaign_id, status, sum(n), sum(s), false FROM delta
      WHERE campaign_id IS NOT NULL GROUP BY campaign_id, status
      HAVING sum(n) <> 0 OR sum(s) <> 0)
  INSERT INTO {TRAFFIC} (hour, status, count, is_squashed)
  SELECT hour, status, sum(n), false FROM delta
  WHERE hour IS NOT NULL GROUP BY hour, status HAVING sum(n) <> 0;"""


def _grouped(rows: str, sign: str) -> str:
    return f"""SELECT campaign_id, status, {HOUR} AS hour,
             {sign}count(*) AS n, {sign}coalesce(sum(segments), 0) AS s
      FROM {rows} GROUP BY 1, 2, 3"""


POSTGRES = f"""
DROP TRIGGER IF EXISTS campaigns_count_insert ON {TABLE};
DROP TRIGGER IF EXISTS campaigns_count_update ON {TABLE};
DROP TRIGGER IF EXISTS campaigns_count_delete ON {TABLE};
DROP TRIGGER IF EXISTS campaigns_traffic_insert ON {TABLE};
DROP TRIGGER IF EXISTS campaigns_traffic_update ON {TABLE};
DROP TRIGGER IF EXISTS campaigns_traffic_delete ON {TABLE};
DROP FUNCTION IF EXISTS campaigns_count_insert();
DROP FUNCTION IF EXISTS campaigns_count_update();
DROP FUNCTION IF EXISTS campaigns_count_delete();
DROP FUNCTION IF EXISTS campaigns_traffic_insert();
DROP FUNCTION IF EXISTS campaigns_traffic_update();
DROP FUNCTION IF EXISTS campaigns_traffic_delete();

CREATE FUNCTION campaigns_tally_insert() RETURNS trigger AS $$
BEGIN{_tally(_grouped("new_rows", ""))}
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION campaigns_tally_update() RETURNS trigger AS $$
BEGIN{_tally(_grouped("old_rows", "-") + " UNION ALL " + _grouped("new_rows", ""))}
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION campaigns_tally_delete() RETURNS trigger AS $$
BEGIN{_tally(_grouped("old_rows", "-"))}
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER campaigns_tally_insert AFTER INSERT ON {TABLE}
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION campaigns_tally_insert();
CREATE TRIGGER campaigns_tally_update AFTER UPDATE ON {TABLE}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION campaigns_tally_update();
CREATE TRIGGER campaigns_tally_delete AFTER DELETE ON {TABLE}
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION campaigns_tally_delete();
"""

POSTGRES_DROP = f"""
DROP TRIGGER IF EXISTS campaigns_tally_insert ON {TABLE};
DROP TRIGGER IF EXISTS campaigns_tally_update ON {TABLE};
DROP TRIGGER IF EXISTS campaigns_tally_delete ON {TABLE};
DROP FUNCTION IF EXISTS campaigns_tally_insert();
DROP FUNCTION IF EXISTS campaigns_tally_update();
DROP FUNCTION IF EXISTS campaigns_tally_delete();
"""


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES)


def restore(apps, schema_editor) -> None:
    """Back to 0002's and 0005's triggers (without 0005's backfill: the tallies
    kept counting all along)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    counts = importlib.import_module("campaigns.migrations.0002_count_triggers")
    traffic = importlib.import_module("campaigns.migrations.0005_hourly_traffic")
    schema_editor.execute(POSTGRES_DROP)
    schema_editor.execute(counts.POSTGRES)
    # The backfill is the one statement of 0005 at the start of a line.
    schema_editor.execute(traffic.POSTGRES.rsplit("\nINSERT INTO", 1)[0])


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0009_message_reason_invalid_text")]

    operations = [migrations.RunPython(create, restore)]

"""Triggers that keep CampaignStatusCount in step with the message table.

PostgreSQL: statement-level triggers with transition tables (one INSERT per statement,
however many messages it touched). SQLite (the embedded demo): row-level triggers.
"""

from django.db import migrations

TABLE = "campaigns_message"
COUNTS = "campaigns_campaignstatuscount"

POSTGRES = f"""
CREATE OR REPLACE FUNCTION campaigns_count_insert() RETURNS trigger AS $$
BEGIN
  INSERT INTO {COUNTS} (campaign_id, status, count, segments, is_squashed)
  SELECT campaign_id, status, count(*), coalesce(sum(segments), 0), false
  FROM new_rows WHERE campaign_id IS NOT NULL GROUP BY campaign_id, status;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION campaigns_count_update() RETURNS trigger AS $$
BEGIN
  INSERT INTO {COUNTS} (campaign_id, status, count, segments, is_squashed)
  SELECT campaign_id, status, sum(n), sum(s), false FROM (
      SELECT campaign_id, status, -count(*) AS n, -coalesce(sum(segments), 0) AS s
      FROM old_rows GROUP BY campaign_id, status
      UNION ALL
      SELECT campaign_id, status, count(*), coalesce(sum(segments), 0)
      FROM new_rows GROUP BY campaign_id, status
  ) AS delta
  WHERE campaign_id IS NOT NULL
  GROUP BY campaign_id, status
  HAVING sum(n) <> 0 OR sum(s) <> 0;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION campaigns_count_delete() RETURNS trigger AS $$
BEGIN
  INSERT INTO {COUNTS} (campaign_id, status, count, segments, is_squashed)
  SELECT campaign_id, status, -count(*), -coalesce(sum(segments), 0), false
  FROM old_rows WHERE campaign_id IS NOT NULL GROUP BY campaign_id, status;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER campaigns_count_insert AFTER INSERT ON {TABLE}
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION campaigns_count_insert();
CREATE TRIGGER campaigns_count_update AFTER UPDATE ON {TABLE}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION campaigns_count_update();
CREATE TRIGGER campaigns_count_delete AFTER DELETE ON {TABLE}
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION campaigns_count_delete();
"""

POSTGRES_DROP = f"""
DROP TRIGGER IF EXISTS campaigns_count_insert ON {TABLE};
DROP TRIGGER IF EXISTS campaigns_count_update ON {TABLE};
DROP TRIGGER IF EXISTS campaigns_count_delete ON {TABLE};
DROP FUNCTION IF EXISTS campaigns_count_insert();
DROP FUNCTION IF EXISTS campaigns_count_update();
DROP FUNCTION IF EXISTS campaigns_count_delete();
"""

_COLS = "(campaign_id, status, count, segments, is_squashed)"
SQLITE = [
    f"""CREATE TRIGGER campaigns_count_insert AFTER INSERT ON {TABLE}
    WHEN NEW.campaign_id IS NOT NULL BEGIN
      INSERT INTO {COUNTS} {_COLS} VALUES (NEW.campaign_id, NEW.status, 1, NEW.segments, 0);
    END""",
    f"""CREATE TRIGGER campaigns_count_update AFTER UPDATE OF status, segments ON {TABLE}
    WHEN NEW.campaign_id IS NOT NULL
      AND (NEW.status <> OLD.status OR NEW.segments <> OLD.segments) BEGIN
      INSERT INTO {COUNTS} {_COLS} VALUES (OLD.campaign_id, OLD.status, -1, -OLD.segments, 0);
      INSERT INTO {COUNTS} {_COLS} VALUES (NEW.campaign_id, NEW.status, 1, NEW.segments, 0);
    END""",
    f"""CREATE TRIGGER campaigns_count_delete AFTER DELETE ON {TABLE}
    WHEN OLD.campaign_id IS NOT NULL BEGIN
      INSERT INTO {COUNTS} {_COLS} VALUES (OLD.campaign_id, OLD.status, -1, -OLD.segments, 0);
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS campaigns_count_insert",
    "DROP TRIGGER IF EXISTS campaigns_count_update",
    "DROP TRIGGER IF EXISTS campaigns_count_delete",
]


def _run(schema_editor, postgres, sqlite) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"count triggers for {vendor}")


def create(apps, schema_editor):
    _run(schema_editor, POSTGRES, SQLITE)


def drop(apps, schema_editor):
    _run(schema_editor, POSTGRES_DROP, SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]

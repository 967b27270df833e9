"""HourlyTraffic: messages per UTC hour of submission and status, kept by triggers.

The dashboard's 30-day chart read every message submitted in the window (seconds at ten
million rows); it now sums at most a few thousand rows of this table. The triggers
follow 0002's pattern: statement level with transition tables on PostgreSQL (one INSERT
of deltas per statement), row level on SQLite (the embedded demo; campaigns.apps
re-creates them after every migrate, as SQLite drops them when it rebuilds the table).
Existing messages are counted in the same transaction that creates the triggers: the
trigger's lock on the message table keeps writers out until both are in place.
"""

from django.db import migrations, models

TABLE = "campaigns_message"
TRAFFIC = "campaigns_hourlytraffic"
_COLS = "(hour, status, count, is_squashed)"
# The UTC hour of submission: date_bin is plain arithmetic, while date_trunc with a
# time zone looks the zone up per row (four times the cost in a status batch's trigger).
HOUR = "date_bin('1 hour', submitted_at, timestamptz '2000-01-01 00:00+00')"

POSTGRES = f"""
CREATE OR REPLACE FUNCTION campaigns_traffic_insert() RETURNS trigger AS $$
BEGIN
  INSERT INTO {TRAFFIC} {_COLS}
  SELECT {HOUR}, status, count(*), false
  FROM new_rows WHERE submitted_at IS NOT NULL GROUP BY 1, 2;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION campaigns_traffic_update() RETURNS trigger AS $$
BEGIN
  INSERT INTO {TRAFFIC} {_COLS}
  SELECT hour, status, sum(n), false FROM (
      SELECT {HOUR} AS hour, status, -count(*) AS n
      FROM old_rows WHERE submitted_at IS NOT NULL GROUP BY 1, 2
      UNION ALL
      SELECT {HOUR}, status, count(*)
      FROM new_rows WHERE submitted_at IS NOT NULL GROUP BY 1, 2
  ) AS delta
  GROUP BY hour, status
  HAVING sum(n) <> 0;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION campaigns_traffic_delete() RETURNS trigger AS $$
BEGIN
  INSERT INTO {TRAFFIC} {_COLS}
  SELECT {HOUR}, status, -count(*), false
  FROM old_rows WHERE submitted_at IS NOT NULL GROUP BY 1, 2;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER campaigns_traffic_insert AFTER INSERT ON {TABLE}
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION campaigns_traffic_insert();
CREATE TRIGGER campaigns_traffic_update AFTER UPDATE ON {TABLE}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION campaigns_traffic_update();
CREATE TRIGGER campaigns_traffic_delete AFTER DELETE ON {TABLE}
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION campaigns_traffic_delete();

INSERT INTO {TRAFFIC} {_COLS}
SELECT {HOUR}, status, count(*), true
FROM {TABLE} WHERE submitted_at IS NOT NULL GROUP BY 1, 2;
"""

POSTGRES_DROP = f"""
DROP TRIGGER IF EXISTS campaigns_traffic_insert ON {TABLE};
DROP TRIGGER IF EXISTS campaigns_traffic_update ON {TABLE};
DROP TRIGGER IF EXISTS campaigns_traffic_delete ON {TABLE};
DROP FUNCTION IF EXISTS campaigns_traffic_insert();
DROP FUNCTION IF EXISTS campaigns_traffic_update();
DROP FUNCTION IF EXISTS campaigns_traffic_delete();
"""

# Django keeps SQLite datetimes as UTC text ("2026-11-22 05:44:00.123456").
_OLD_HOUR = "strftime('%Y-%m-%d %H:00:00', OLD.submitted_at)"
_NEW_HOUR = "strftime('%Y-%m-%d %H:00:00', NEW.submitted_at)"
SQLITE = [
    f"""CREATE TRIGGER campaigns_traffic_insert AFTER INSERT ON {TABLE}
    WHEN NEW.submitted_at IS NOT NULL BEGIN
      INSERT INTO {TRAFFIC} {_COLS} VALUES ({_NEW_HOUR}, NEW.status, 1, 0);
    END""",
    f"""CREATE TRIGGER campaigns_traffic_update
    AFTER UPDATE OF status, submitted_at ON {TABLE}
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
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS campaigns_traffic_insert",
    "DROP TRIGGER IF EXISTS campaigns_traffic_update",
    "DROP TRIGGER IF EXISTS campaigns_traffic_delete",
]
SQLITE_BACKFILL = f"""
INSERT INTO {TRAFFIC} {_COLS}
SELECT strftime('%Y-%m-%d %H:00:00', submitted_at), status, count(*), 1
FROM {TABLE} WHERE submitted_at IS NOT NULL GROUP BY 1, 2
"""


def create(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES)
    elif vendor == "sqlite":
        for statement in (*SQLITE, SQLITE_BACKFILL):
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"traffic triggers for {vendor}")


def drop(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0004_message_indexes")]

    operations = [
        migrations.CreateModel(
            name="HourlyTraffic",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("hour", models.DateTimeField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("queued", "Queued"),
                            ("sent", "Sent"),
                            ("delivered", "Delivered"),
                            ("read", "Read"),
                            ("undelivered", "Undelivered"),
                            ("rejected", "Rejected"),
                            ("failed", "Failed"),
                            ("cancelled", "Cancelled"),
                            ("unknown", "Unknown"),
                        ],
                        max_length=12,
                    ),
                ),
                ("count", models.BigIntegerField(default=0)),
                ("is_squashed", models.BooleanField(default=False)),
            ],
            options={
                "indexes": [
                    models.Index(fields=["hour", "status"], name="traffic_hour_status")
                ],
            },
        ),
        migrations.RunPython(create, drop),
    ]

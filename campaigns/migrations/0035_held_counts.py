"""Messages held at the gateway per (campaign, planned minute), kept by the message
table's triggers (PostgreSQL only).

The campaign list and the detail page say how many of a completed campaign's
messages the gateway holds for a later time: handed over (a gateway id), queued or
sent, planned after now. Counting them read the messages: a spread campaign handed
over whole holds all of its million for hours, a second for the list's first view.
0032's trigger functions now also tally them, from the same grouping of each
statement's transition tables, by the UTC minute of their planned time; the pages sum
the minutes after the current one and count the rest of the current minute through
0034's index.

The rows are tallied in the transaction that replaces the functions, with the
message table locked against writers until it commits (one scan of it).
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

TALLIES = importlib.import_module("campaigns.migrations.0032_report_tallies")
INDEXED = importlib.import_module("campaigns.migrations.0034_message_handed_over_index")
TABLE, COUNTS, TRAFFIC = TALLIES.TABLE, TALLIES.COUNTS, TALLIES.TRAFFIC
OPERATORS, FAILURES = TALLIES.OPERATORS, TALLIES.FAILURES
DELIVERIES, EPOCH, HOUR = TALLIES.DELIVERIES, TALLIES.EPOCH, TALLIES.HOUR
DELIVERED, FAILED, MINUTE = TALLIES.DELIVERED, TALLIES.FAILED, TALLIES.MINUTE
COST, ESTIMATED, UNPRICED = TALLIES.COST, TALLIES.ESTIMATED, TALLIES.UNPRICED
HELD_TABLE = "campaigns_campaignheldcount"
# As campaigns.held_tally.HELD_AT_GATEWAY with handed_over_held()'s gateway id.
HELD = "status IN ('queued', 'sent') AND gateway_message_id <> ''"
# The minute a statement runs in (its transaction's start).
NOW_MINUTE = "date_bin('1 minute', now(), timestamptz '2000-01-01 00:00+00')"
# The held messages' planned minute, as 0034's index has it; NULL for every message
# not held: an expansion's pending rows add no group. Nor do minutes already past:
# the pages read only minutes after the current one, so a minute is kept while it is
# ahead and left once it has passed (counts_squash deletes what stays in it). Most
# status reports come for messages whose time has passed: they add no group to the
# grouping every tally shares (a million reports on held messages cost the applier
# about 4 % more server CPU otherwise).
HELD_MINUTE = (
    f"CASE WHEN {HELD} AND {INDEXED.MINUTE} >= {NOW_MINUTE} THEN {INDEXED.MINUTE} END"
)


def _grouped(rows: str, sign: str) -> str:
    """0032's grouping with the held messages' planned minute in the key."""
    return f"""SELECT campaign_id, status, {HOUR} AS hour, operator, reason,
             vendor_code, CASE WHEN {FAILED} THEN vendor_text END AS vendor_text,
             {MINUTE} AS minute, {HELD_MINUTE} AS held_minute,
             {sign}count(*) AS n, {sign}coalesce(sum(segments), 0) AS s,
             {sign}{COST} AS cost, {sign}{ESTIMATED} AS estimated,
             {sign}{UNPRICED} AS unpriced
      FROM {rows} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"""


def _tally(delta: str) -> str:
    """0032's tallies and the held messages' from `delta`."""
    return f"""
  WITH delta AS MATERIALIZED ({delta}),
  counted AS (
      INSERT INTO {COUNTS} (campaign_id, status, count, segments, is_squashed)
      SELECT campaign_id, status, sum(n), sum(s), false FROM delta
      WHERE campaign_id IS NOT NULL GROUP BY campaign_id, status
      HAVING sum(n) <> 0 OR sum(s) <> 0),
  operators AS (
      INSERT INTO {OPERATORS}
          (campaign_id, status, operator, count, cost, estimated, unpriced, is_squashed)
      SELECT campaign_id, status, operator, sum(n), sum(cost), sum(estimated),
             sum(unpriced), false
      FROM delta WHERE campaign_id IS NOT NULL GROUP BY campaign_id, status, operator
      HAVING sum(n) <> 0 OR sum(cost) <> 0 OR sum(estimated) <> 0
          OR sum(unpriced) <> 0),
  failures AS (
      INSERT INTO {FAILURES} (campaign_id, status, reason, vendor_code, vendor_text,
                              count, is_squashed)
      SELECT campaign_id, status, reason, vendor_code, vendor_text, sum(n), false
      FROM delta WHERE campaign_id IS NOT NULL AND {FAILED}
      GROUP BY campaign_id, status, reason, vendor_code, vendor_text
      HAVING sum(n) <> 0),
  deliveries AS (
      INSERT INTO {DELIVERIES} (campaign_id, minute, count, is_squashed)
      SELECT campaign_id, minute, sum(n), false
      FROM delta WHERE campaign_id IS NOT NULL AND {DELIVERED} AND minute IS NOT NULL
      GROUP BY campaign_id, minute HAVING sum(n) <> 0),
  held AS (
      INSERT INTO {HELD_TABLE} (campaign_id, minute, count, is_squashed)
      SELECT campaign_id, held_minute, sum(n), false
      FROM delta WHERE campaign_id IS NOT NULL AND held_minute IS NOT NULL
      GROUP BY campaign_id, held_minute HAVING sum(n) <> 0)
  INSERT INTO {TRAFFIC} (hour, status, count, is_squashed)
  SELECT hour, status, sum(n), false FROM delta
  WHERE hour IS NOT NULL GROUP BY hour, status HAVING sum(n) <> 0;"""


FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION campaigns_tally_insert() RETURNS trigger AS $$
BEGIN{_tally(_grouped("new_rows", ""))}
  RETURN NULL;
END $$ LANGUAGE plpgsql {TALLIES.PLANNING};

CREATE OR REPLACE FUNCTION campaigns_tally_update() RETURNS trigger AS $$
BEGIN{_tally(_grouped("old_rows", "-") + " UNION ALL " + _grouped("new_rows", ""))}
  RETURN NULL;
END $$ LANGUAGE plpgsql {TALLIES.PLANNING};

CREATE OR REPLACE FUNCTION campaigns_tally_delete() RETURNS trigger AS $$
BEGIN{_tally(_grouped("old_rows", "-"))}
  RETURN NULL;
END $$ LANGUAGE plpgsql {TALLIES.PLANNING};
"""

BACKFILL = f"""
INSERT INTO {HELD_TABLE} (campaign_id, minute, count, is_squashed)
SELECT campaign_id, {INDEXED.MINUTE}, count(*), true
FROM {TABLE} WHERE campaign_id IS NOT NULL AND {HELD}
  AND {INDEXED.MINUTE} >= {NOW_MINUTE}
GROUP BY 1, 2;
"""


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # Writers wait from here to the commit: none slips between the functions and the
    # backfill (replacing a function alone locks nothing).
    schema_editor.execute(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
    schema_editor.execute(FUNCTIONS)
    schema_editor.execute(BACKFILL)


def restore(apps, schema_editor) -> None:
    """Back to 0032's functions (the tally's table goes with the model)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TALLIES.FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0034_message_handed_over_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="CampaignHeldCount",
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
                ("minute", models.DateTimeField()),
                ("count", models.BigIntegerField(default=0)),
                ("is_squashed", models.BooleanField(default=False)),
                (
                    "campaign",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        to="campaigns.campaign",
                    ),
                ),
            ],
            options={
                "verbose_name": "campaign held count",
                "verbose_name_plural": "campaign held counts",
                "indexes": [
                    models.Index(
                        fields=["campaign", "minute"], name="held_count_campaign"
                    )
                ],
            },
        ),
        migrations.RunPython(create, restore),
    ]

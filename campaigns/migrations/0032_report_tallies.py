"""The report's breakdowns kept by the message table's triggers (PostgreSQL only).

A campaign's report read its messages three times for its spending and operators, its
failure reasons and its delivery chart: about a second at a million messages with the
table in memory, several from disk, on every first view. 0010's trigger functions now
also keep, from the same grouping of each statement's transition tables, the messages
and money per (campaign, status, operator), the failures per (campaign, status, reason,
gateway code and text), and the deliveries per (campaign, UTC minute); the report sums
a few rows of each. SQLite gets no triggers for them: the demo's reports scan.

Existing messages are tallied in the transaction that replaces the functions, with the
message table locked against writers until it commits (one scan per tally: about
10 s for ten million messages).
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

TABLE = "campaigns_message"
COUNTS = "campaigns_campaignstatuscount"
TRAFFIC = "campaigns_hourlytraffic"
OPERATORS = "campaigns_campaignoperatorcount"
FAILURES = "campaigns_campaignfailurecount"
DELIVERIES = "campaigns_campaigndeliverycount"
EPOCH = "timestamptz '2000-01-01 00:00+00'"
HOUR = f"date_bin('1 hour', submitted_at, {EPOCH})"
DELIVERED = "status IN ('delivered', 'read')"
FAILED = "status IN ('undelivered', 'rejected', 'failed')"
# The delivery chart's minute (the tally of deliveries takes the delivered and read).
MINUTE = f"date_bin('1 minute', delivered_at, {EPOCH})"
# What a message adds to the money: its reported cost, else its estimate, else it
# is one without a price.
COST = "coalesce(sum(cost), 0)"
ESTIMATED = "coalesce(sum(estimated_cost) FILTER (WHERE cost IS NULL), 0)"
UNPRICED = "count(*) FILTER (WHERE cost IS NULL AND estimated_cost IS NULL)"


def _grouped(rows: str, sign: str) -> str:
    """One grouping of a transition table fine enough for every tally. Each column
    costs every row of a status batch its hashing, so the key holds the values as
    they are where they have few values anyway (the reason, the gateway's code, the
    delivery minute: NULL until delivered), and only the gateway's text, which may
    differ per message, is kept for failures alone, which the report lists by it."""
    return f"""SELECT campaign_id, status, {HOUR} AS hour, operator, reason,
             vendor_code, CASE WHEN {FAILED} THEN vendor_text END AS vendor_text,
             {MINUTE} AS minute,
             {sign}count(*) AS n, {sign}coalesce(sum(segments), 0) AS s,
             {sign}{COST} AS cost, {sign}{ESTIMATED} AS estimated,
             {sign}{UNPRICED} AS unpriced
      FROM {rows} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"""


def _tally(delta: str) -> str:
    """Write every tally from `delta`: each keeps only the groups that moved."""
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
      GROUP BY campaign_id, minute HAVING sum(n) <> 0)
  INSERT INTO {TRAFFIC} (hour, status, count, is_squashed)
  SELECT hour, status, sum(n), false FROM delta
  WHERE hour IS NOT NULL GROUP BY hour, status HAVING sum(n) <> 0;"""


# The planner has no statistics on transition tables and takes a tenth of their rows
# for distinct groups. With this grouping's wide key it then sorted a million-row
# expansion's rows on disk (a 43 MB external merge) to find the one group there is,
# and costed the statement high enough to compile it with LLVM first (half a second
# of CPU, as much again as the grouping itself). Hashing is right for a handful of
# groups, and spills to disk if ever there are more than memory holds.
PLANNING = "SET enable_sort = off SET jit = off"

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION campaigns_tally_insert() RETURNS trigger AS $$
BEGIN{_tally(_grouped("new_rows", ""))}
  RETURN NULL;
END $$ LANGUAGE plpgsql {PLANNING};

CREATE OR REPLACE FUNCTION campaigns_tally_update() RETURNS trigger AS $$
BEGIN{_tally(_grouped("old_rows", "-") + " UNION ALL " + _grouped("new_rows", ""))}
  RETURN NULL;
END $$ LANGUAGE plpgsql {PLANNING};

CREATE OR REPLACE FUNCTION campaigns_tally_delete() RETURNS trigger AS $$
BEGIN{_tally(_grouped("old_rows", "-"))}
  RETURN NULL;
END $$ LANGUAGE plpgsql {PLANNING};
"""

BACKFILL = f"""
INSERT INTO {OPERATORS}
    (campaign_id, status, operator, count, cost, estimated, unpriced, is_squashed)
SELECT campaign_id, status, operator, count(*), {COST}, {ESTIMATED}, {UNPRICED}, true
FROM {TABLE} WHERE campaign_id IS NOT NULL GROUP BY campaign_id, status, operator;

INSERT INTO {FAILURES}
    (campaign_id, status, reason, vendor_code, vendor_text, count, is_squashed)
SELECT campaign_id, status, reason, vendor_code, vendor_text, count(*), true
FROM {TABLE} WHERE campaign_id IS NOT NULL AND {FAILED}
GROUP BY campaign_id, status, reason, vendor_code, vendor_text;

INSERT INTO {DELIVERIES} (campaign_id, minute, count, is_squashed)
SELECT campaign_id, {MINUTE}, count(*), true
FROM {TABLE}
WHERE campaign_id IS NOT NULL AND {DELIVERED} AND delivered_at IS NOT NULL
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
    """Back to 0010's functions (the tallies' tables go with the models)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    tallies = importlib.import_module(
        "campaigns.migrations.0010_message_tally_triggers"
    )
    schema_editor.execute(tallies.POSTGRES_DROP)
    schema_editor.execute(tallies.POSTGRES)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0031_message_login_generation"),
    ]

    operations = [
        migrations.CreateModel(
            name="CampaignDeliveryCount",
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
                "verbose_name": "campaign delivery count",
                "verbose_name_plural": "campaign delivery counts",
                "indexes": [
                    models.Index(
                        fields=["campaign", "minute"], name="delivery_count_campaign"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="CampaignFailureCount",
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
                ("reason", models.CharField(blank=True, max_length=24)),
                ("vendor_code", models.CharField(blank=True, max_length=64)),
                ("vendor_text", models.TextField(blank=True)),
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
                "verbose_name": "campaign failure count",
                "verbose_name_plural": "campaign failure counts",
                "indexes": [
                    models.Index(
                        fields=["campaign", "status"], name="failure_count_campaign"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="CampaignOperatorCount",
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
                ("operator", models.CharField(blank=True, max_length=100)),
                ("count", models.BigIntegerField(default=0)),
                (
                    "cost",
                    models.DecimalField(decimal_places=4, default=0, max_digits=24),
                ),
                (
                    "estimated",
                    models.DecimalField(decimal_places=4, default=0, max_digits=24),
                ),
                ("unpriced", models.BigIntegerField(default=0)),
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
                "verbose_name": "campaign operator count",
                "verbose_name_plural": "campaign operator counts",
                "indexes": [
                    models.Index(
                        fields=["campaign", "status"], name="operator_count_campaign"
                    )
                ],
            },
        ),
        migrations.RunPython(create, restore),
    ]

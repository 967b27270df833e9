"""Messages claimed and not answered per (campaign, claim minute), kept by the
message table's triggers (PostgreSQL only).

A campaign's page lists its messages in doubt: claimed minutes ago, no answer
recorded (campaigns.selectors.campaign_in_doubt_shown). Finding them read every
pending message of the campaign (claimed_at is in no index, and must stay out of
them: the claim's update would then never be heap-only): 0.4-1.3 s at a million,
on every view of a sending campaign's page. 0039's trigger functions now also
tally them, from the same grouping of each statement's transition tables, by the UTC
minute of their claim: a claim adds its batch to its minute, the record (or a
release) takes it out. The page asks for messages in doubt only when the minutes
before its cutoff hold any, and then for as many as they hold, so the walk of the
pending index stops at the last of them.

The rows are tallied in the transaction that replaces the functions, with the
message table locked against writers until it commits (one scan of its pending
messages).
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

TALLIES = importlib.import_module("campaigns.migrations.0032_report_tallies")
PRICED = importlib.import_module(
    "campaigns.migrations.0039_operator_count_gateway_priced"
)
TABLE, EPOCH = TALLIES.TABLE, TALLIES.EPOCH
CLAIMS_TABLE = "campaigns_campaignclaimcount"
# Claimed and not answered: campaigns.reconcile.messages_in_doubt without its age
# (`status`, not the generated `is_pending`, as the other tallies read it).
UNANSWERED = "status = 'pending' AND claimed_at IS NOT NULL AND submitted_at IS NULL"
CLAIM_MINUTE = (
    f"CASE WHEN {UNANSWERED} THEN date_bin('1 minute', claimed_at, {EPOCH}) END"
)
_GROUP_BY = "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
_HELD_MINUTE = " AS held_minute,"
_CLAIMS = f"""
  claims AS (
      INSERT INTO {CLAIMS_TABLE} (campaign_id, minute, count, is_squashed)
      SELECT campaign_id, claim_minute, sum(n), false
      FROM delta WHERE campaign_id IS NOT NULL AND claim_minute IS NOT NULL
      GROUP BY campaign_id, claim_minute HAVING sum(n) <> 0),"""
_HELD_CTE = "\n  held AS ("


def _grouped(rows: str, sign: str) -> str:
    """0039's grouping with the unanswered claims' minute in the key (NULL for every
    other message: a status report adds no group)."""
    grouped = PRICED._grouped(rows, sign)
    if grouped.count(_HELD_MINUTE) != 1 or grouped.count(_GROUP_BY) != 1:
        raise RuntimeError("0039's grouping is not what 0049 expects")
    grouped = grouped.replace(
        _HELD_MINUTE, f"{_HELD_MINUTE} {CLAIM_MINUTE} AS claim_minute,"
    )
    return grouped.replace(_GROUP_BY, f"{_GROUP_BY}, 10")


def _tally(delta: str) -> str:
    """0039's tallies and the unanswered claims'."""
    tally = PRICED._tally(delta)
    if tally.count(_HELD_CTE) != 1:
        raise RuntimeError("0039's held tally is not where 0049 expects it")
    return tally.replace(_HELD_CTE, _CLAIMS + _HELD_CTE)


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
INSERT INTO {CLAIMS_TABLE} (campaign_id, minute, count, is_squashed)
SELECT campaign_id, date_bin('1 minute', claimed_at, {EPOCH}), count(*), true
FROM {TABLE} WHERE campaign_id IS NOT NULL AND is_pending
  AND claimed_at IS NOT NULL AND submitted_at IS NULL
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
    """Back to 0039's functions (the tally's table goes with the model)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PRICED.FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0048_campaign_audience_groups")]

    operations = [
        migrations.CreateModel(
            name="CampaignClaimCount",
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
                "verbose_name": "campaign claim count",
                "verbose_name_plural": "campaign claim counts",
                "indexes": [
                    models.Index(
                        fields=["campaign", "minute"], name="claim_count_campaign"
                    )
                ],
            },
        ),
        migrations.RunPython(create, restore),
    ]

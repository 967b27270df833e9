"""The operator tally counts the messages whose cost the gateway reported.

The report said «Cost reported by the gateway: 0.00» for a campaign whose gateway had
reported no price yet, while its messages table showed "—" for each message. A sum
cannot tell "nothing reported" from "reported 0.00" (a gateway that does not charge
for some messages); a count of the priced messages can. PostgreSQL: 0038's trigger
functions with that count in the operator tally, and the existing messages' counts
added in the same transaction, the message table locked against writers until it
commits (one scan of its priced messages). SQLite scans for its reports.
"""

import importlib

from django.db import migrations, models

TALLIES = importlib.import_module("campaigns.migrations.0032_report_tallies")
HELD = importlib.import_module("campaigns.migrations.0035_held_counts")
TRAFFIC = importlib.import_module("campaigns.migrations.0038_traffic_by_send_time")
TABLE, OPERATORS = TALLIES.TABLE, TALLIES.OPERATORS

# 0035's operator tally, as its _tally writes it, and the same with the count.
_OPERATORS = f"""  operators AS (
      INSERT INTO {OPERATORS}
          (campaign_id, status, operator, count, cost, estimated, unpriced, is_squashed)
      SELECT campaign_id, status, operator, sum(n), sum(cost), sum(estimated),
             sum(unpriced), false
      FROM delta WHERE campaign_id IS NOT NULL GROUP BY campaign_id, status, operator
      HAVING sum(n) <> 0 OR sum(cost) <> 0 OR sum(estimated) <> 0
          OR sum(unpriced) <> 0),"""
_OPERATORS_PRICED = f"""  operators AS (
      INSERT INTO {OPERATORS}
          (campaign_id, status, operator, count, cost, estimated, unpriced,
           gateway_priced, is_squashed)
      SELECT campaign_id, status, operator, sum(n), sum(cost), sum(estimated),
             sum(unpriced), sum(priced), false
      FROM delta WHERE campaign_id IS NOT NULL GROUP BY campaign_id, status, operator
      HAVING sum(n) <> 0 OR sum(cost) <> 0 OR sum(estimated) <> 0
          OR sum(unpriced) <> 0 OR sum(priced) <> 0),"""


def _grouped(rows: str, sign: str) -> str:
    """0038's grouping with the count of messages the gateway priced."""
    grouped = TRAFFIC._grouped(rows, sign)
    if grouped.count(" AS unpriced") != 1:
        raise RuntimeError("0038's grouping is not what 0039 expects")
    return grouped.replace(" AS unpriced", f" AS unpriced, {sign}count(cost) AS priced")


def _tally(delta: str) -> str:
    """0035's tallies with the operator tally's count of priced messages."""
    tally = HELD._tally(delta)
    if tally.count(_OPERATORS) != 1:
        raise RuntimeError("0035's operator tally is not where 0039 expects it")
    return tally.replace(_OPERATORS, _OPERATORS_PRICED)


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

# Delta rows of their own (counts_squash folds them into the others).
BACKFILL = f"""
INSERT INTO {OPERATORS} (campaign_id, status, operator, count, cost, estimated,
                         unpriced, gateway_priced, is_squashed)
SELECT campaign_id, status, operator, 0, 0, 0, 0, count(*), false
FROM {TABLE} WHERE campaign_id IS NOT NULL AND cost IS NOT NULL
GROUP BY campaign_id, status, operator;
"""


def _run(schema_editor, statements: list[str]) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # Writers wait from here to the commit: none slips between the functions and the
    # backfill (replacing a function alone locks nothing).
    schema_editor.execute(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
    for statement in statements:
        schema_editor.execute(statement)


def create(apps, schema_editor) -> None:
    _run(schema_editor, [FUNCTIONS, BACKFILL])


def restore(apps, schema_editor) -> None:
    """0038's functions; the column goes with the field."""
    _run(schema_editor, [TRAFFIC.FUNCTIONS])


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0038_traffic_by_send_time")]

    operations = [
        migrations.AddField(
            model_name="campaignoperatorcount",
            name="gateway_priced",
            field=models.BigIntegerField(default=0, db_default=0),
        ),
        migrations.RunPython(create, restore),
    ]

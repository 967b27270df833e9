"""The index of 0034 keeps only messages handed over for a later time.

It held every message with a gateway id: each one the pump records wrote an entry
into it, a quarter of the record's database CPU (bench_dispatch: 14.6 ms a batch of
500 with it, 11 ms without, on the same data), for messages sent at once that no
query of it ever looks for. Its queries (campaigns.held_tally) ask for messages
planned after now, and a message recorded at its submission time for sending now was
planned before that; the condition below keeps out exactly those. A message with a
gateway id and no submission time (none is written so; data loaded by hand) stays in.

Built CONCURRENTLY under another name before the old one goes, so the campaign list
keeps an index throughout; nothing else waits.
"""

from django.db import migrations

# The tally's minute (campaigns 0035, campaigns.held_tally.HELD_MINUTE_SQL).
MINUTE = "date_bin('1 minute', planned_at, timestamptz '2000-01-01 00:00+00')"
# campaigns.held_tally.HELD_LATER_SQL, word for word: the planner uses a partial index
# only for a query that repeats its condition.
HELD_LATER = "(submitted_at IS NULL OR submitted_at < planned_at)"
COLUMNS = f"(({MINUTE}), campaign_id, planned_at)"
HANDED_OVER = "gateway_message_id <> '' AND campaign_id IS NOT NULL"


def index_sql(name: str, condition: str) -> str:
    return (
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
        f"ON campaigns_message {COLUMNS} WHERE {condition}"
    )


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        index_sql("message_held_later", f"{HANDED_OVER} AND {HELD_LATER}")
    )
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS message_held_minute")


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(index_sql("message_held_minute", HANDED_OVER))
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS message_held_later")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ("campaigns", "0036_message_reason_campaign_cancelled"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

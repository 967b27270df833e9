"""An index for what a campaign leaves held at the gateway for a later time.

The campaign list and the detail page count a completed campaign's messages handed
over (a gateway id), queued or sent, planned after now (campaigns.held_tally).
Through the (campaign, phone) index that read every message of the campaign: 0.5 to
1.9 s for the list's first view with a million-message campaign among three million
messages. The tally of 0035 answers for the minutes after the current one; this
index holds the handed-over messages by (UTC minute of the planned time, campaign,
planned time), the tally's key, so the rest of the current minute and the last
message's exact time in its minute are a range of one minute's messages.

The minute leads so that only those queries use the index: a query by campaign and
time without the minute (withdrawing a STOP's held messages by number) finds no range
of it and keeps the (campaign, phone) index. No `status` in it, so a report (queued,
sent, delivered) stays a heap-only update; the gateway id and the planned time are
written before any report, by updates that write every index already (the pending
index's column changes with them). In SQL, not the model's Meta: SQLite has no
date_bin(), and the demo counts the messages.

Built CONCURRENTLY on PostgreSQL, so sending and reports go on while it builds.
"""

from django.db import migrations

# The tally's minute (campaigns 0035, campaigns.held_tally.HELD_MINUTE_SQL).
MINUTE = "date_bin('1 minute', planned_at, timestamptz '2000-01-01 00:00+00')"
CREATE = f"""
    CREATE INDEX CONCURRENTLY IF NOT EXISTS message_held_minute
    ON campaigns_message (({MINUTE}), campaign_id, planned_at)
    WHERE gateway_message_id <> '' AND campaign_id IS NOT NULL
"""
DROP = "DROP INDEX CONCURRENTLY IF EXISTS message_held_minute"


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ("campaigns", "0033_withdrawn_cost_nothing"),
    ]

    operations = [migrations.RunPython(create, drop)]

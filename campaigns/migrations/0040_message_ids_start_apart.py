"""A new installation numbers its messages from a random point, not from 1.

A message's id is our reference at the gateway, and the gateways keep it per account
for ever: Webcom's `client_id_sms` ("if SMS with this number has already been sent
from this account earlier, then it will not be sent again, but the number of the
previously sent SMS will be returned", seed 004), WEBSMS's `packet_id`, SMSC's `id`.
A second installation on the same account (a database built again, staging beside
production) numbering from 1 again would have its messages skipped at Webcom as sent
long ago, without a word, and recorded as queued.

Started at a random point between 10^9 and 10^12, two installations' numbers meet
only if their starts fall closer than the messages either ever sends: for 10^8
messages each, about once in 5,000 pairs, against every time from 1. The ids stay
within what each gateway carries as a number (18 digits; JavaScript's 2^53).

Only a table that has never held a message is changed: an installation that has
sent keeps its numbering (its references are at the gateways already).
"""

import secrets

from django.db import migrations

TABLE = "campaigns_message"
LOWEST, HIGHEST = 10**9, 10**12


def random_start() -> int:
    return LOWEST + secrets.randbelow(HIGHEST - LOWEST)


def start_apart(apps, schema_editor, start: int | None = None) -> None:
    """Move the message id sequence of a table never written to `start` (random)."""
    connection = schema_editor.connection
    start = start if start is not None else random_start()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
            sequence = cursor.fetchone()[0]
            cursor.execute(f"SELECT is_called FROM {sequence}")
            used = cursor.fetchone()[0]
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {TABLE})")
            if used or cursor.fetchone()[0]:
                return
            cursor.execute("SELECT setval(%s, %s, false)", [sequence, start])
        elif connection.vendor == "sqlite":
            # AUTOINCREMENT: the next id is one past the table's row here, if any.
            # A later migration that remakes the table (SQLite's way to alter one)
            # drops the row while the table is empty: a fresh demo database's start
            # would go back to 1. PostgreSQL's sequence survives alterations.
            # Its row says 0 after a remake of the table that copied no rows.
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [TABLE])
            row = cursor.fetchone()
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {TABLE})")
            if (row and row[0]) or cursor.fetchone()[0]:
                return
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [TABLE])
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                [TABLE, start - 1],
            )


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0039_operator_count_gateway_priced")]

    operations = [migrations.RunPython(start_apart, migrations.RunPython.noop)]

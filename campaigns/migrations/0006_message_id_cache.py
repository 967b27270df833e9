"""Message ids come from the sequence in blocks of 1,000 per connection (PostgreSQL).

The parts of a split expansion insert at the same time; with ids handed out one by one
they would all append to the same last page of the primary key and of the pending
index and take turns at its lock (about a tenth of the expansion's time). Ids stay
unique; they are no longer in insertion order across connections, and a connection
that closes leaves a gap.
"""

from django.db import migrations


def set_cache(apps, schema_editor, cache: int) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE campaigns_message ALTER COLUMN id SET CACHE {int(cache)}"
    )


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0005_hourly_traffic")]

    operations = [
        migrations.RunPython(
            lambda apps, editor: set_cache(apps, editor, 1000),
            lambda apps, editor: set_cache(apps, editor, 1),
        )
    ]

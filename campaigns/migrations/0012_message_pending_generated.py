"""Status reports become heap-only updates: the pending index's condition moves to a
generated column, and the message table keeps free space on its pages.

PostgreSQL writes an updated row into every index unless no indexed column changed
and the new version fits on the old one's page (a heap-only tuple). The pending
index's condition named `status`, so each report (queued to sent to delivered) wrote
three index entries, most of a status batch's time. `is_pending` changes only when a
message leaves pending, and the fill factor leaves room on each page for the version
a report writes. The column is added with a rewrite of the table (a lock for as long
as that takes: about a minute for ten million messages).
"""

from django.db import migrations, models

# Half of each page is left free when messages are inserted: a message is rewritten
# three times in its life (claimed, submitted, reported), so the room is used, and
# a table filled to the brim would grow by the same pages once updated anyway.
FILLFACTOR = 50


def set_fillfactor(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE campaigns_message SET (fillfactor = {FILLFACTOR})"
        )


def reset_fillfactor(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE campaigns_message RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0011_message_phone_through_campaign")]

    operations = [
        # First, so that the rewrite adding the column leaves the room on the pages
        # of the messages already there, those waiting for their reports included.
        migrations.RunPython(set_fillfactor, reset_fillfactor),
        migrations.RemoveIndex(model_name="message", name="message_pending"),
        migrations.AddField(
            model_name="message",
            name="is_pending",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Q(("status", "pending")),
                output_field=models.BooleanField(),
            ),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                condition=models.Q(("is_pending", True)),
                fields=["campaign", "planned_at", "id"],
                name="message_pending",
            ),
        ),
    ]

"""A trigram index for the contact book's word search (contacts.search).

`%word%` can use no B-tree: without this, every search read the whole table. The
expression is, character for character, what Django writes for contains_text(
contact_search_text(), word) on PostgreSQL; tests/contacts/test_search.py checks the
planner uses it. PostgreSQL only (pg_trgm ships with it, and is a trusted extension:
a database owner may create it); the embedded SQLite demo searches without it.
Built CONCURRENTLY so a large book stays writable while it builds.
"""

from django.db import migrations

SEARCH_EXPRESSION = (
    "UPPER(REPLACE(REPLACE((last_name || ' ' || first_name || ' ' || middle_name"
    " || ' ' || nickname || ' ' || email), 'ё', 'е'), 'Ё', 'Е')::text)"
)


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that other databases skip."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ("contacts", "0008_group_name_without_separator"),
    ]

    operations = [
        PostgresOnlySQL(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop
        ),
        PostgresOnlySQL(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS contact_search_trgm"
            f" ON contacts_contact USING gin ({SEARCH_EXPRESSION} gin_trgm_ops)",
            reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS contact_search_trgm",
        ),
        # Statistics on the new expression at once: without them the planner took
        # a common word ("иван") for a rare one and read a quarter of a million
        # rows for the first page (750 ms, not 2 ms), until autovacuum came by.
        PostgresOnlySQL("ANALYZE contacts_contact", reverse_sql=migrations.RunSQL.noop),
    ]

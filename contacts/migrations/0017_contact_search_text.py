"""The contact book's searched text as a column the database writes with the row.

A word matching few contacts or none was looked for in every contact's last, first
and middle name, nickname and e-mail joined, «ё» folded to «е» and upper-cased, all
of it done again for each row at each search: 0.8 to 1.0 s at a million contacts for
the list's page and as much for its count, most of it the upper-casing. The column
holds that text (contacts.search.contact_search_folded); a search compares the word
with it (about 0.3 s for the same book). Writing it costs an import the expression
once per row, about 2 s a million rows; a trigram index, 38 s (contacts/search.py).

Adding the column rewrites the table (a lock for as long as that takes: about 10 s
for a million contacts). The statistics of 0016 on the expression go: the planner
has the column's own from the ANALYZE here.
"""

import django.db.models.functions.text
from django.db import migrations, models

import contacts.search


def analyze(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS contact_search_text")
        # Gathered now, not at autovacuum's next visit of a big book.
        schema_editor.execute("ANALYZE contacts_contact")


def restore_statistics(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        statistics = __import__(
            "contacts.migrations.0016_contact_search_statistics", fromlist=["create"]
        )
        statistics.create(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0016_contact_search_statistics"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Upper(
                    django.db.models.functions.text.Replace(
                        django.db.models.functions.text.Replace(
                            contacts.search._JoinedWithSpaces(
                                models.F("last_name"),
                                models.F("first_name"),
                                models.F("middle_name"),
                                models.F("nickname"),
                                models.F("email"),
                            ),
                            models.Value("ё"),
                            models.Value("е"),
                            output_field=models.TextField(),
                        ),
                        models.Value("Ё"),
                        models.Value("Е"),
                        output_field=models.TextField(),
                    )
                ),
                output_field=models.TextField(),
                verbose_name="search text",
            ),
        ),
        migrations.RunPython(analyze, restore_statistics),
    ]

from django.db import migrations

# The contact book's word search (contacts.search.contact_search_text, folded and
# upper-cased by smsportal.text_search.contains_text): without statistics on that
# expression the planner guessed a match in 10,000 contacts for any word, so a common
# one (a first name a quarter of the book has) was read by a parallel scan of the
# whole book and a sort, about 1 s, rather than down the primary key until the page
# was full, under 1 ms. Statistics cost an import nothing but its ANALYZE's sample;
# the trigram index that served every word cost a million-row import 38 s
# (contacts/search.py). The expression is the SQL the search writes, as it must be
# for the planner to match it.
STATISTICS = """
    CREATE STATISTICS IF NOT EXISTS contact_search_text
    ON (UPPER(REPLACE(REPLACE(("last_name" || ' ' || "first_name" || ' '
        || "middle_name" || ' ' || "nickname" || ' ' || "email"), 'ё', 'е'), 'Ё', 'Е')))
    FROM contacts_contact
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(STATISTICS)
        # Gathered now, not at autovacuum's next visit of a big book.
        schema_editor.execute("ANALYZE contacts_contact")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS contact_search_text")


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0015_contact_birthday_statistics"),
    ]

    operations = [migrations.RunPython(create, drop)]

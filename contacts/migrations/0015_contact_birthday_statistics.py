from django.db import migrations

# The day's birthdays (contacts.filters.birthdays_on): the greetings look for new ones
# every minute, and without statistics on the month and day the planner guessed 8
# contacts for 100,000 and probed them one by one. Statistics, not an index: an index
# on them cost a million-row import 2 s of the server's CPU and 16 MB of its peak
# (bench/bench_import.py), and a day's birthdays are a few thousand rows of a million,
# read in one scan. The expressions are those Django writes for birthday__month/__day.
STATISTICS = """
    CREATE STATISTICS IF NOT EXISTS contact_birthday_month_day
    ON (EXTRACT(MONTH FROM birthday)), (EXTRACT(DAY FROM birthday))
    FROM contacts_contact
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(STATISTICS)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS contact_birthday_month_day")


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0014_edit_versions"),
    ]

    operations = [migrations.RunPython(create, drop)]

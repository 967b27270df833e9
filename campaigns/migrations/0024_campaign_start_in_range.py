"""Starts saved before the composer limited them (31.12.9999 in a zone west of UTC
was stored as 10000-01-01, which no page or API answer could read back; in a zone
east of it, it could not be shown in that zone): moved to 01.01.9999 UTC, which
every zone can show. Such a draft still cannot be launched (services._check_start):
its page asks for a start within a year."""

from datetime import UTC, datetime

from django.db import migrations

LAST_START = datetime(9999, 1, 1, tzinfo=UTC)


def bring_starts_into_range(apps, schema_editor) -> None:
    # An UPDATE with no read: the rows out of range cannot be loaded.
    Campaign = apps.get_model("campaigns", "Campaign")
    Campaign.objects.filter(start_at__gt=LAST_START).update(start_at=LAST_START)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0023_failure_reason_contact_removed"),
    ]

    operations = [
        migrations.RunPython(bring_starts_into_range, migrations.RunPython.noop),
    ]

"""Contacts zoned by libphonenumber where its data is wrong (contacts.phone): Kaliningrad's
landlines as Bucharest, Saratov's as Moscow, Kazakhstan's mobiles with no zone."""

from django.db import migrations
from django.db.models import Q


def fix_zones(apps, schema_editor):
    Contact = apps.get_model("contacts", "Contact")
    Contact.objects.filter(
        phone__startswith="+7401", time_zone="Europe/Bucharest"
    ).update(time_zone="Europe/Kaliningrad")
    Contact.objects.filter(phone__startswith="+7845", time_zone="Europe/Moscow").update(
        time_zone="Europe/Saratov"
    )
    # Kazakhstan's numbers are +7 6xx and +7 7xx, Russia has neither.
    Contact.objects.filter(
        Q(phone__startswith="+76") | Q(phone__startswith="+77"),
        time_zone="",
    ).update(time_zone="Asia/Almaty")


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0018_stoplist_entries_plural"),
    ]

    operations = [migrations.RunPython(fix_zones, migrations.RunPython.noop)]

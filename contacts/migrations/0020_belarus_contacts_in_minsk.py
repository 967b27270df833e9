"""Belarus contacts zoned by libphonenumber as Moscow (the same offset, UTC+3, but
named «Москва» on the pages): Minsk, as contacts.phone now gives them."""

from django.db import migrations


def belarus_in_minsk(apps, schema_editor):
    Contact = apps.get_model("contacts", "Contact")
    Contact.objects.filter(phone__startswith="+375", time_zone="Europe/Moscow").update(
        time_zone="Europe/Minsk"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0019_contact_zones_libphonenumber_got_wrong"),
    ]

    operations = [migrations.RunPython(belarus_in_minsk, migrations.RunPython.noop)]

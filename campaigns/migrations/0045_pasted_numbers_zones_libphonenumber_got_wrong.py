"""contacts 0019's counterpart for pasted numbers: a campaign that keeps quiet hours
stores each pasted number's zone on its message (campaigns.expansion), read again
when the message falls due late (campaigns.quiet_hours). The messages still waiting
in a campaign expanded before the upgrade kept libphonenumber's wrong zone
(Kaliningrad's landlines as Bucharest, Saratov's as Moscow) or, for Kazakhstan's
mobiles, the campaign's; they get the zone the number gives now (contacts.phone).
Messages already gone are left as they went. One pass over the waiting messages
(message_pending's rows); their planned times stay as they were planned.
"""

from django.db import migrations

FORWARD = """
    UPDATE campaigns_message SET time_zone = CASE
        WHEN phone LIKE '+7401%' THEN 'Europe/Kaliningrad'
        WHEN phone LIKE '+7845%' THEN 'Europe/Saratov'
        ELSE 'Asia/Almaty' END
    WHERE is_pending AND contact_id IS NULL AND time_zone <> ''
      AND (phone LIKE '+7401%' OR phone LIKE '+7845%'
           OR phone LIKE '+76%' OR phone LIKE '+77%')
"""


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0044_stoplist_sync_state_in_database"),
        ("contacts", "0019_contact_zones_libphonenumber_got_wrong"),
    ]

    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]

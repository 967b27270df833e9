"""Messages sent in a gateway's test mode before this release kept the price its
answer quoted, so a report's «Spent» counted money the account never paid (the record
now stores 0, campaigns.sending._charged). The update trigger moves the report tallies
(campaigns 0032) with it, as in 0033.
"""

from django.db import migrations

FORWARD = """
    UPDATE campaigns_message SET cost = 0
    WHERE status = 'cancelled' AND reason = 'test_mode' AND cost <> 0
"""


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0041_campaign_launch_estimate")]

    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]

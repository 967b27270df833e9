"""Messages withdrawn at the gateway before this release kept their cost, so a report's
«Spent» counted money the gateway gave back (campaigns.withdrawal now sets it to 0).

A cancelled message with a gateway id was handed over and then withdrawn (or deleted
at the gateway, WEBSMS state 9): refunded. The update trigger moves the report
tallies (campaigns 0032) with it.
"""

from django.db import migrations

FORWARD = """
    UPDATE campaigns_message SET cost = 0
    WHERE status = 'cancelled' AND gateway_message_id <> '' AND cost <> 0
"""


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0032_report_tallies")]

    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]

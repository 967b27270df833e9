"""A greeting's campaign says itself that its audience is the numbers it claimed
(GreetedBirthday), not its greeting link: deleting the greeting cleared the link, and
a draft launched by hand then went to every birthday of its groups again. Campaigns
of greetings deleted before keep their ledger rows, which name them.
"""

from django.db import migrations, models

FORWARD = """
    UPDATE campaigns_campaign SET claimed_audience = TRUE
    WHERE greeting_id IS NOT NULL OR EXISTS (
        SELECT 1 FROM campaigns_greetedbirthday g
        WHERE g.campaign_id = campaigns_campaign.id
    )
"""


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0042_test_mode_cost_nothing")]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="claimed_audience",
            field=models.BooleanField(
                default=False,
                editable=False,
                verbose_name="audience claimed by a greeting",
            ),
        ),
        migrations.RunSQL(FORWARD, migrations.RunSQL.noop),
    ]

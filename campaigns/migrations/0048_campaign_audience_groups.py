"""A campaign keeps the names of its groups as launched (Campaign.audience_groups):
a finished campaign's groups may be deleted, and its page then said nothing of whom
it was sent to or left out, and its copy silently lost the exclusion. Campaigns
launched before keep the groups they still have; those deleted already are lost.
"""

from django.db import migrations, models


def groups_keep(apps, schema_editor) -> None:
    Campaign = apps.get_model("campaigns", "Campaign")
    launched = (
        Campaign.objects.exclude(state="draft")
        .prefetch_related("include_groups", "exclude_groups")
        .only("id")
    )
    changed = []
    for campaign in launched.iterator(chunk_size=2000):
        campaign.audience_groups = {
            key: sorted(
                ([g.pk, g.name] for g in getattr(campaign, field).all()),
                key=lambda row: row[1],
            )
            for field, key in (("include_groups", "include"),
                               ("exclude_groups", "exclude"))
        }  # fmt: skip
        changed.append(campaign)
    Campaign.objects.bulk_update(changed, ["audience_groups"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0047_campaign_replan_due")]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="audience_groups",
            field=models.JSONField(
                blank=True,
                default=dict,
                editable=False,
                verbose_name="groups when launched",
            ),
        ),
        migrations.RunPython(groups_keep, migrations.RunPython.noop),
    ]

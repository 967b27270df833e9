"""The stop-list sync's snapshot (the gateway's list as of the last sync) moves from
the cache to a table: a Redis restarted lost it, and the next sync pulled every number
taken off our stop list back from the gateway. The snapshots in the cache now are
carried over, so the first sync after the upgrade still tells a removal here from an
addition there; with the cache down or empty there is nothing to carry.
"""

import logging

import django.db.models.deletion
from django.db import migrations, models

logger = logging.getLogger("campaigns.migrations")


def snapshots_carry_over(apps, schema_editor):
    from django.core.cache import cache

    ProviderAccount = apps.get_model("providers", "ProviderAccount")
    StopListSyncState = apps.get_model("campaigns", "StopListSyncState")
    ids = list(ProviderAccount.objects.values_list("pk", flat=True))
    try:
        found = cache.get_many([f"stoplist-sync:{pk}" for pk in ids])
    except Exception:  # noqa: BLE001 - a cache down: the first sync starts afresh
        logger.warning("stop list sync snapshots not carried over: cache unavailable")
        return
    StopListSyncState.objects.bulk_create(
        StopListSyncState(
            account_id=int(key.rsplit(":", 1)[1]),
            phones=list(raw.get("phones", [])),
            last=dict(raw.get("last", {})),
        )
        for key, raw in found.items()
        if isinstance(raw, dict)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0043_campaign_claimed_audience"),
        ("providers", "0010_retiredlogin_incoming_cursor"),
    ]

    operations = [
        migrations.CreateModel(
            name="StopListSyncState",
            fields=[
                (
                    "account",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="providers.provideraccount",
                    ),
                ),
                (
                    "phones",
                    models.JSONField(
                        default=list, verbose_name="numbers on the gateway's list"
                    ),
                ),
                ("last", models.JSONField(default=dict, verbose_name="last sync")),
            ],
            options={
                "verbose_name": "stop list sync state",
                "verbose_name_plural": "stop list sync states",
            },
        ),
        migrations.RunPython(snapshots_carry_over, migrations.RunPython.noop),
    ]

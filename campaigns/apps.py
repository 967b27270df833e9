from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        post_migrate.connect(_sqlite_count_triggers, sender=self)


def _sqlite_count_triggers(using: str = "default", **kwargs: object) -> None:
    """SQLite drops a table's triggers whenever a migration rebuilds the table: make
    sure the count triggers exist after every migrate (PostgreSQL keeps them)."""
    from importlib import import_module

    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    triggers = import_module("campaigns.migrations.0002_count_triggers")
    with connection.cursor() as cursor:
        for statement in (*triggers.SQLITE_DROP, *triggers.SQLITE):
            cursor.execute(statement)

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# Migrations whose SQLite triggers live on the message table, with the table each
# fills; of two for one table, the later one applied holds its triggers now.
SQLITE_TRIGGER_MIGRATIONS = (
    ("campaigns.migrations.0002_count_triggers", "campaigns_campaignstatuscount"),
    ("campaigns.migrations.0005_hourly_traffic", "campaigns_hourlytraffic"),
    ("campaigns.migrations.0038_traffic_by_send_time", "campaigns_hourlytraffic"),
)


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from campaigns.contact_follow import (
            waiting_messages_follow_new_number,
            waiting_messages_of_deleted_contacts,
            waiting_pasted_numbers_follow_new_ranges,
        )
        from campaigns.logins import login_in_use, retired_logins_open
        from campaigns.placeholder_users import custom_field_users
        from campaigns.selectors import group_users
        from contacts.contact_changes import contact_changes_register
        from contacts.custom_field_users import custom_field_users_register
        from contacts.numbering import numbering_reload_register
        from contacts.services import group_users_register
        from contacts.stop_listed import stop_listed_register
        from providers.logins import (
            login_in_use_register,
            retired_logins_in_use_register,
        )

        post_migrate.connect(_sqlite_message_triggers, sender=self)
        group_users_register(group_users)
        custom_field_users_register(custom_field_users)
        stop_listed_register(_withdraw_held_later)
        login_in_use_register(login_in_use)
        retired_logins_in_use_register(retired_logins_open)
        contact_changes_register(
            leaving=waiting_messages_of_deleted_contacts,
            renumbered=waiting_messages_follow_new_number,
        )
        numbering_reload_register(waiting_pasted_numbers_follow_new_ranges)


# Numbers per withdrawal task: a whole book put on the stop list (a bulk action, an
# import) went as one task message of a million numbers through the broker.
WITHDRAW_CHUNK = 10_000


def _withdraw_held_later(phones: list[str]) -> None:
    """Numbers went on the stop list (a STOP reply, the stop list page, an import):
    what a gateway holds for them for later is withdrawn, by tasks, as it asks the
    gateways over HTTP."""
    from campaigns.tasks import withdraw_for_opt_outs

    for start in range(0, len(phones), WITHDRAW_CHUNK):
        withdraw_for_opt_outs.delay(phones[start : start + WITHDRAW_CHUNK])


def _sqlite_message_triggers(using: str = "default", **kwargs: object) -> None:
    """SQLite drops a table's triggers whenever a migration rebuilds the table: make
    sure the count and traffic triggers exist after every migrate (PostgreSQL keeps
    them). A trigger whose table is not there yet (migrated backwards) is left out."""
    from importlib import import_module

    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    tables = set(connection.introspection.table_names())
    applied = MigrationRecorder(connection).applied_migrations()
    current = {}  # table: the last applied migration with triggers for it
    for module, table in SQLITE_TRIGGER_MIGRATIONS:
        if ("campaigns", module.rsplit(".", 1)[1]) in applied:
            current[table] = module
    with connection.cursor() as cursor:
        for table, module in current.items():
            triggers = import_module(module)
            statements = [*triggers.SQLITE_DROP]
            if table in tables:
                statements += triggers.SQLITE
            for statement in statements:
                cursor.execute(statement)

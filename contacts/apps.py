from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Contact books")

    def ready(self) -> None:
        from contacts import checks  # noqa: F401 - registers the system checks
        from contacts.bulk_jobs import group_bulk_users
        from contacts.job_files import job_files_signals_connect
        from contacts.services import group_import_users, group_users_register

        group_users_register(group_bulk_users)
        group_users_register(group_import_users)
        job_files_signals_connect()

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Users and access")

    def ready(self) -> None:
        from accounts.roles import roles_sync_permissions

        post_migrate.connect(
            roles_sync_permissions, dispatch_uid="roles_sync_permissions"
        )
        # Signal receivers: logins and audited model changes.
        from accounts import audit, audit_signals  # noqa: F401

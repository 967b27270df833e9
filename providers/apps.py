from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = _("Providers")

    def ready(self) -> None:
        # The checks of the keys encrypting the accounts' credentials (smsportal has
        # no app of its own to register them).
        from smsportal import checks  # noqa: F401

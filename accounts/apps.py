from django.apps import AppConfig, apps
from django.db import models
from django.db.models.signals import post_migrate
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Users and access")

    def ready(self) -> None:
        from accounts.roles import roles_sync_permissions

        post_migrate.connect(
            roles_sync_permissions, dispatch_uid="roles_sync_permissions"
        )
        # Signal receivers: logins, audited model changes, a deactivated user's
        # tokens revoked.
        from accounts import audit, audit_signals, deactivation  # noqa: F401

        through_names_translate()


def through_names_translate() -> None:
    """Name every auto-created many-to-many table in the reader's language.

    Django words them once, when the model class is made ("%(from)s-%(to)s
    relationship" % names): in the language active at start-up, Russian here, so
    the English admin's delete page said "Связи user-group: 1". Lazy, with the
    models' own names, they read "User-group relationships" or "Связи
    пользователь-группа".
    """
    for model in apps.get_models(include_auto_created=True):
        if model._meta.auto_created:
            _name_through(model)


def _name_through(through: type[models.Model]) -> None:
    ends = [field.related_model for field in through._meta.fields if field.is_relation]
    if len(ends) != 2:
        return

    # Django's own msgids, which its catalogue translates.
    def words(msgid: str) -> str:
        names = {"from": ends[0]._meta.verbose_name, "to": ends[1]._meta.verbose_name}
        return gettext(msgid) % names

    through._meta.verbose_name = lazy(words, str)("%(from)s-%(to)s relationship")
    through._meta.verbose_name_plural = lazy(words, str)(
        "%(from)s-%(to)s relationships"
    )

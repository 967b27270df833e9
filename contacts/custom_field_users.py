"""What still uses a custom field's key as a placeholder ({city}), named for the user.

Deleted, the field leaves those texts naming nothing: a draft no longer launches, a
template no longer saves, a greeting's day fails, and a scheduled campaign could not
start (campaigns.plan_problems). contacts knows none of them: campaigns registers a
check, as for groups (contacts.services.group_users_register).
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from contacts.models import CustomField
from smsportal.lib.hooks import Hooks

CustomFieldUsers = Callable[[CustomField], list[str]]
_checks: Hooks[CustomFieldUsers] = Hooks()
custom_field_users_register = _checks.register


def custom_field_in_use(field: CustomField) -> list[str]:
    """What still uses the field's placeholder, named for the user (none: deletable)."""
    return [user for check in _checks for user in check(field)]


def custom_field_in_use_message(field: CustomField, users: list[str]) -> str:
    return _(
        "The custom field “%(label)s” is still used as the placeholder {%(key)s} by "
        "%(users)s: take the placeholder out of their text (or let the campaigns "
        "finish) before deleting the field."
    ) % {"label": field.label, "key": field.key, "users": ", ".join(users)}

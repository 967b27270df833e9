"""Admin list filters in the query string that would read a secret one character
at a time.

Django's changelist takes any lookup on a model's own fields from the URL
(?callback_token__startswith=ab): one row for a right prefix, none for a wrong one,
and a gateway's callback token came back in some 1,300 requests to a Viewer who is
never shown it. Secret or hidden fields are refused as filters for everyone (a
400): whoever may see them does so on the change page, and no list filter of ours
uses them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest

# Fields no admin filters by, whichever model's admin the lookup starts from:
# reached through a relation (?user__password__startswith=) as well as directly.
SECRET_FIELDS: dict[str, frozenset[str]] = {
    "auth.User": frozenset({"password"}),
    "accounts.ApiToken": frozenset({"digest"}),
    # The login is kept from readers on purpose (ProviderAccountAdmin); the password
    # and token are stored encrypted and the callback token (and SMSC's signing
    # secret) authenticates gateways.
    "providers.ProviderAccount": frozenset(
        {"login", "password", "token", "callback_token", "callback_secret"}
    ),
}


def secret_field_in(model: type[models.Model], lookup: str) -> str | None:
    """The secret field a lookup path reads ("user__password__startswith" ->
    "auth.User.password"), or None."""
    for part in lookup.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None  # a transform or a lookup ("startswith"): the path ends
        if part in SECRET_FIELDS.get(model._meta.label, ()):
            return f"{model._meta.label}.{part}"
        if not field.is_relation or field.related_model is None:
            return None
        model = field.related_model
    return None


class SecretLookupsRefused:
    """A ModelAdmin mixin: no filtering by a secret field (SECRET_FIELDS) from the
    query string, whichever model's admin it is and whoever asks."""

    model: type[models.Model]

    def lookup_allowed(
        self, lookup: str, value: Any, request: HttpRequest | None = None
    ) -> bool:
        if secret_field_in(self.model, lookup) is not None:
            return False
        return super().lookup_allowed(lookup, value, request)  # type: ignore[misc]

"""The audit log: one call, `audit(action, obj, **details)`, from services and signals.

The acting user and address come from the request being served (AuditMiddleware puts
them in a context variable); work done by Celery tasks is recorded without a user.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.apps import apps
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.db import models
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from accounts.models import AuditEvent
from smsportal.client_address import client_address
from smsportal.lib.textcheck import without_nul

logger = logging.getLogger("accounts.audit")

_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "audit_request", default=None
)
SECRET_FIELDS = frozenset({"password", "token", "secret", "api_key", "digest"})


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def current_actor() -> Any:
    """The signed-in user of the request being served; None in a task or a shell."""
    request = _request.get()
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def _client_ip(request: HttpRequest | None) -> str | None:
    return client_address(request) if request is not None else None


# The detail naming the API token an action was done through. Not "token": that
# key is a secret's and never stored; this one holds the token's id and name only.
API_TOKEN_DETAIL = "api_token"


def _api_token_detail(request: HttpRequest | None) -> dict[str, Any] | None:
    """The token the request authenticated with (smsportal.api.BearerToken sets it);
    None for a page, a session's API call or a task."""
    token = getattr(request, "api_token", None)
    return {"id": token.pk, "name": token.name} if token is not None else None


def audit(
    action: str,
    obj: models.Model | None = None,
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    object_repr: str = "",
    model: type[models.Model] | None = None,
    **details: Any,
) -> AuditEvent:
    """Record one event; secrets in details are never stored. `model` names the kind
    of record an event about many of them (a bulk delete) concerns, where no `obj` is.
    An action done through the API names its token in the details (API_TOKEN_DETAIL)."""
    request = request or _request.get()
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    clean = {k: v for k, v in details.items() if k.lower() not in SECRET_FIELDS}
    if (channel := _api_token_detail(request)) is not None:
        clean.setdefault(API_TOKEN_DETAIL, channel)
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        action=action,
        object_type=(obj or model)._meta.label if (obj or model) is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        details=clean,
        ip=_client_ip(request),
    )


# Query-string keys that say how a list is shown, not which records it holds.
_NOT_FILTERS = frozenset({"format", "page", "per_page", "sort", "cursor", "limit"})


# Filters that take a record's id: the log keeps its name beside the id, as it was
# when the file was taken (a group may be renamed or deleted since).
_ID_FILTERS = {"group": "contacts.ContactGroup", "account": "providers.ProviderAccount"}


def audit_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    """The filters a download was taken under, as the log keeps them: set ones only,
    ids named ("Клиенты (#5)"), each value cut to 200 characters and without NUL
    (jsonb cannot hold it)."""
    kept: dict[str, Any] = {}
    for key in params:
        if key in _NOT_FILTERS:
            continue
        values = params.getlist(key) if hasattr(params, "getlist") else [params[key]]
        values = [without_nul(str(v))[:200] for v in values if v not in ("", None)]
        if key in _ID_FILTERS:
            values = named_ids(_ID_FILTERS[key], values)
        if values:
            kept[without_nul(str(key))[:60]] = values[0] if len(values) == 1 else values
    return kept


def named_ids(model_label: str, ids: list[str]) -> list[str]:
    """ "Name (#id)" for each id of an existing record; anything else as it is."""
    model = apps.get_model(model_label)
    known = [int(v) for v in ids if v.isdigit() and len(v) < 19]
    names = dict(model.objects.filter(pk__in=known).values_list("pk", "name"))
    return [
        f"{names[int(v)]} (#{v})"[:200] if v.isdigit() and int(v) in names else v
        for v in ids
    ]


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    audit(AuditEvent.Action.LOGIN, user, actor=user, request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit(AuditEvent.Action.LOGOUT, user, actor=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    audit(
        AuditEvent.Action.LOGIN_FAILED,
        request=request,
        object_repr=str(credentials.get("username", ""))[:150],
    )

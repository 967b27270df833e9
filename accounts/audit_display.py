"""How the audit log reads: object types and details in the reader's language.

Events store what code knows (a model label, field names, detail keys); the page turns
them into words: "Рассылка" for campaigns.Campaign, "текст, начало" for the fields a
change touched, "Получатели: 3" for a launch.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import django_filters

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.choices import flatten_choices
from django.utils.formats import number_format
from django.utils.module_loading import import_string
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.audit_signals import AUDITED
from accounts.roles import role_label
from providers.money import currency_sign

# What `audit(..., **details)` callers pass, by key; an unknown key shows as it is.
DETAIL_LABELS = {
    "fields": gettext_lazy("Changed fields"),
    "recipients": gettext_lazy("Recipients"),
    "estimated_cost": gettext_lazy("Estimated cost"),
    "start_at": gettext_lazy("Start"),
    "withdrawn": gettext_lazy("Withdrawn before sending"),
    "at_gateway": gettext_lazy("Withdrawn at the gateway"),
    "phones": gettext_lazy("Numbers"),
    "format": gettext_lazy("Format"),
    "filters": gettext_lazy("Filters"),
    "kind": gettext_lazy("Import of"),
    "groups": gettext_lazy("Into groups"),
    "update": gettext_lazy("Update existing contacts"),
    "account": gettext_lazy("Account"),
    "state": gettext_lazy("State"),
    "count": gettext_lazy("How many"),
    "roles_added": gettext_lazy("Roles given"),
    "roles_removed": gettext_lazy("Roles taken away"),
    "source": gettext_lazy("Sent from"),
    "because": gettext_lazy("Why"),
    "api_token": gettext_lazy("Through API token"),
    # An API token's, as it was made.
    "scope": gettext_lazy("Access"),
    "expires_at": gettext_lazy("Expires"),
    # A launch's: the version of the campaign that was launched.
    "version": gettext_lazy("Campaign version"),
    # A paused campaign's new sender name, and how many unsent messages took it.
    "sender": gettext_lazy("Sender name"),
    "messages": gettext_lazy("Unsent messages given it"),
    # Why a launch was undone (services.campaign_launch).
    "reason": gettext_lazy("Why"),
    # An import run again after it failed.
    "retry": gettext_lazy("Run again"),
}
# Stored as [before, after]: shown "Запланирована → Черновик", each by its label.
CHANGE_DETAILS = frozenset({"state", "sender"})
# Role (Django group) names, shown as the pages name roles.
ROLE_DETAILS = frozenset({"roles_added", "roles_removed"})

# Values stored as a gateway's or the code's word, by object type and detail key:
# how the pages word them ("moderation" is "На модерации" on the account page). By
# dotted path, as EXPORT_FILTER_SETS: the apps that own them import the log.
VALUE_READERS: dict[tuple[str, str], str] = {
    ("providers.SenderName", "state"): "providers.sender_states.sender_state_label",
}


# Values stored as codes, by detail key: the words the pages use for them.
VALUE_LABELS = {
    # Where a one-off message was sent from (campaigns.one_off).
    "source": {
        "inbox": gettext_lazy("an answer in the inbox"),
        "contact": gettext_lazy("a contact's page"),
        "api": gettext_lazy("the API"),
    },
    "because": {"user_deactivated": gettext_lazy("Its user was deactivated")},
    "reason": {"task queue unavailable": gettext_lazy("the task queue did not answer")},
    "format": {
        "csv": gettext_lazy("CSV (UTF-8, commas)"),
        "csv-1251": gettext_lazy("CSV (Windows-1251, semicolons)"),
        "xlsx": gettext_lazy("Excel (.xlsx)"),
    },
}
# Details that are amounts, stored as text ("7.00"): shown as the reader writes them.
NUMBER_DETAILS = frozenset({"estimated_cost"})
# Kept as ISO text in UTC (jsonb has no time type); shown in the reader's zone.
TIME_DETAILS = frozenset({"start_at", "expires_at"})


# The query-string keys of the filters an export records, by the page's own labels.
FILTER_LABELS = {
    "q": gettext_lazy("Search"),
    "group": gettext_lazy("Group"),
    "account": gettext_lazy("Provider account"),
    "stopped": gettext_lazy("On the stop list"),
    "birthday": pgettext_lazy("contact filter", "Birthday"),
    "created_min": gettext_lazy("Created from"),
    "created_max": gettext_lazy("Created until"),
    "status": gettext_lazy("Status"),
    "state": gettext_lazy("State"),
    "phone": gettext_lazy("Phone"),
    "selected": gettext_lazy("Selected"),
}

# The filter sets of the pages whose exports the log records: a filter's values are
# read by the choices its page offers, not by a copy of them kept here.
EXPORT_FILTER_SETS = (
    "contacts.filters.ContactFilterSet",
    "campaigns.report_filters.MessageFilterSet",
    "campaigns.report_filters.ReplyFilterSet",
)


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


# Django's groups are what the pages call roles (accounts.roles): named «Группа»,
# they read as the contact groups, listed twice in the filter.
OBJECT_TYPE_NAMES = {"auth.Group": gettext_lazy("Role")}


def object_type_label(label: str) -> str:
    """ "Рассылка" for "campaigns.Campaign"; the label itself for a model gone since."""
    if label in OBJECT_TYPE_NAMES:
        return str(OBJECT_TYPE_NAMES[label])
    model = _model(label)
    return capfirst(model._meta.verbose_name) if model else label


def object_type_choices() -> list[tuple[str, str]]:
    """The types the log records events of, by name; two of one name (models of two
    apps) each with its app's name, so the filter tells them apart."""
    labels = {
        *AUDITED,
        settings.AUTH_USER_MODEL,
        "contacts.ImportJob",
        "accounts.ApiToken",
        "providers.SenderName",
    }
    named = [(lb, object_type_label(lb)) for lb in labels]
    seen = Counter(name for _lb, name in named)
    choices = [
        (lb, f"{name} ({_app_name(lb)})" if seen[name] > 1 else name)
        for lb, name in named
    ]
    return sorted(choices, key=lambda c: c[1])


def _app_name(label: str) -> str:
    try:
        return str(apps.get_app_config(label.split(".", 1)[0]).verbose_name)
    except LookupError:
        return label


def _field_names(model: type[models.Model] | None, names: list[str]) -> str:
    words = []
    for name in names:
        try:
            field = model._meta.get_field(name.removesuffix("_id")) if model else None
        except FieldDoesNotExist:
            field = None
        words.append(str(field.verbose_name) if field is not None else name)
    return ", ".join(words)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "—"
    return str(value)


def _number(value: Any) -> str:
    """ "7,00" in Russian for a stored "7.00"; "—" for no amount ("None")."""
    try:
        return number_format(Decimal(str(value)), use_l10n=True)
    except InvalidOperation:
        return "—"


def _moment(value: Any) -> str:
    """ "07.12.2026 12:00" in Moscow for a stored "2026-12-07T09:00:00+00:00"."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT")


def _choice(model: type[models.Model] | None, key: str, value: Any) -> str | None:
    """The label of `value` when `key` names a field of the object with choices, such
    as an import's kind: "Стоп-лист" for "stoplist"."""
    if not isinstance(value, str | int):
        return None
    try:
        field = model._meta.get_field(key) if model else None
    except FieldDoesNotExist:
        return None
    # A reverse relation (a campaign's "messages") has no choices at all: reading
    # them failed the whole log page once a paused campaign's sender was changed.
    labels = dict(field.flatchoices) if getattr(field, "choices", None) else {}
    return str(labels[value]) if value in labels else None


@cache
def _export_filters() -> dict[str, list[Any]]:
    """The export pages' filters by query-string key (filter sets loaded on first
    use: the apps that own them import the log, not the other way round)."""
    found: dict[str, list[Any]] = {}
    for path in EXPORT_FILTER_SETS:
        for name, flt in import_string(path).base_filters.items():
            found.setdefault(name, []).append(flt)
    return found


def _filter_word(key: str, value: Any) -> str | None:
    """One stored filter value as its filter's page words it: "да" for a yes/no
    filter's "true", "в ближайшие 7 дней" for the birthday filter's "week"; None
    when no export filter of that key knows the value."""
    for flt in _export_filters().get(key, []):
        if isinstance(flt, django_filters.BooleanFilter):
            answer = flt.field.to_python(value)
            if answer is not None:
                return _value(answer)
        # A record's filter (a group, an account) is stored by its name already.
        elif (choices := flt.extra.get("choices")) is not None:
            labels = dict(flatten_choices(choices() if callable(choices) else choices))
            if value in labels:
                return str(labels[value])
    return None


def _filter_value(key: str, value: Any) -> str:
    values = value if isinstance(value, list) else [value]
    return ", ".join(_filter_word(key, v) or _value(v) for v in values) or "—"


def detail_lines(object_type: str, details: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs of an event's details; unset values left out."""
    model = _model(object_type)
    lines = []
    for key, value in (details or {}).items():
        if value is None or value == [] or value == {}:
            continue
        if key == "fields" and isinstance(value, list):
            text = _field_names(model, value)
        elif key == "filters" and isinstance(value, dict):
            # In the order the pages show their filters, whatever the URL's order.
            order = list(FILTER_LABELS)
            ranked = sorted(
                value.items(),
                key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order),
            )
            text = "; ".join(
                f"{FILTER_LABELS.get(k, k)}: {_filter_value(k, v)}" for k, v in ranked
            )
        elif key == "currency":
            continue  # said with the amount
        elif key in NUMBER_DETAILS:
            text = _number(value)
            if details.get("currency") and text != "—":
                text = f"{text} {currency_sign(details['currency'])}"
        elif key in TIME_DETAILS:
            text = _moment(value)
        elif key == "api_token" and isinstance(value, dict):
            # Its name as it was then (a token may be renamed or revoked since).
            text = f"{value.get('name', '')} (#{value.get('id', '?')})"
        elif key in CHANGE_DETAILS and isinstance(value, list) and len(value) == 2:
            text = " → ".join(_choice(model, key, v) or _value(v) for v in value)
        elif key in ROLE_DETAILS and isinstance(value, list):
            text = ", ".join(role_label(str(name)) for name in value)
        elif (object_type, key) in VALUE_READERS and isinstance(value, str):
            text = import_string(VALUE_READERS[object_type, key])(value)
        elif str(value) in VALUE_LABELS.get(key, {}):
            text = str(VALUE_LABELS[key][str(value)])
        else:
            text = _choice(model, key, value) or _value(value)
        lines.append((str(DETAIL_LABELS.get(key, key)), text))
    return lines

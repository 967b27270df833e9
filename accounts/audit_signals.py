"""Model changes that are audited wherever they happen (pages, admin, API, shell)."""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import post_delete, post_save, pre_save

from accounts.audit import audit
from accounts.models import AuditEvent

# app_label.Model -> fields whose change is worth recording (names only, no values).
AUDITED = {
    "providers.ProviderAccount": (
        "name", "kind", "dialect", "base_url", "login", "password", "token",
        "test_mode", "default_sender", "rate_limit", "tariff", "balance_alert",
        "is_active",
    ),
    "campaigns.Campaign": (
        "name", "account_id", "sender", "channel", "text", "start_at", "extra_numbers",
        "respect_quiet_hours", "window_start", "window_end", "validity_hours",
        "translit", "spread_hours",
    ),
    "contacts.StopListEntry": ("phone", "reason"),
    # Groups decide who campaigns reach; templates and greetings what they say. Not
    # contacts: a signal per row would cost a million-row delete its fast path.
    "contacts.ContactGroup": ("name", "description"),
    "campaigns.MessageTemplate": ("name", "text"),
    "campaigns.BirthdayGreeting": (
        "name", "is_active", "account_id", "sender", "text", "to_whole_book",
        "send_time", "time_zone",
    ),
}  # fmt: skip
_BEFORE = "_audit_before"


def _fields(sender) -> tuple[str, ...] | None:
    return AUDITED.get(sender._meta.label)


def _remember(sender, instance, **kwargs) -> None:
    fields = _fields(sender)
    if not fields or instance.pk is None:
        return
    old = sender._default_manager.filter(pk=instance.pk).values(*fields).first()
    setattr(instance, _BEFORE, old)


def _saved(sender, instance, created, **kwargs) -> None:
    fields = _fields(sender)
    if not fields:
        return
    if created:
        action = (
            AuditEvent.Action.STOP_LISTED
            if sender._meta.label == "contacts.StopListEntry"
            else AuditEvent.Action.CREATED
        )
        audit(action, instance)
        return
    before = getattr(instance, _BEFORE, None) or {}
    changed = [f for f in fields if f in before and before[f] != getattr(instance, f)]
    if changed:
        audit(AuditEvent.Action.CHANGED, instance, fields=changed)


def _deleted(sender, instance, **kwargs) -> None:
    if not _fields(sender):
        return
    action = (
        AuditEvent.Action.UNSTOP_LISTED
        if sender._meta.label == "contacts.StopListEntry"
        else AuditEvent.Action.DELETED
    )
    audit(action, instance)


for label in AUDITED:
    model = apps.get_model(label)
    pre_save.connect(_remember, sender=model, dispatch_uid=f"audit-pre-{label}")
    post_save.connect(_saved, sender=model, dispatch_uid=f"audit-save-{label}")
    post_delete.connect(_deleted, sender=model, dispatch_uid=f"audit-del-{label}")

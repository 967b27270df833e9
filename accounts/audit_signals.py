"""Model changes that are audited wherever they happen (pages, admin, API, shell)."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from accounts.audit import audit
from accounts.models import AuditEvent

# app_label.Model -> fields whose change is worth recording (names only, no values).
AUDITED = {
    # The callback secret too: cleared, the gateway's signature is checked no more.
    "providers.ProviderAccount": (
        "name", "kind", "dialect", "base_url", "login", "password", "token",
        "callback_secret", "test_mode", "default_sender", "rate_limit", "tariff",
        "balance_alert", "is_active",
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
    # Who may do what: people and the roles (Django groups) they hold. Not the
    # password (its own event) nor last_login (every login).
    "auth.User": (
        "username", "first_name", "last_name", "email", "is_active", "is_staff",
        "is_superuser",
    ),
    "auth.Group": ("name",),
    # Placeholders in texts name a field by its key.
    "contacts.CustomField": ("key", "label", "kind"),
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
    if sender._meta.label == settings.AUTH_USER_MODEL:
        _forget_deleted_actor(instance)


def _forget_deleted_actor(user) -> None:
    # A user who deleted themselves acted in this very deletion (and in the cascade's
    # token events): the events keep their name, not a key to a row that is gone.
    AuditEvent.objects.filter(actor_id=user.pk).update(actor=None)


def _token_deleted(sender, instance, **kwargs) -> None:
    """A token deleted (in the admin, or with its user) stops working as a revoked
    one does: logged like api_token_revoke when it was still active."""
    action = (
        AuditEvent.Action.REVOKED
        if instance.revoked_at is None
        else AuditEvent.Action.DELETED
    )
    audit(action, instance, object_repr=instance.name)


_CLEARED = "_audit_roles_cleared"


def _roles_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """A user's roles given or taken away, by the user's form or the role's."""
    if action == "pre_clear":
        related = instance.user_set.all() if reverse else instance.groups.all()
        setattr(instance, _CLEARED, list(related))
        return
    if action == "post_clear":
        related = getattr(instance, _CLEARED, [])
    elif action in ("post_add", "post_remove") and pk_set:
        related = list(model._default_manager.filter(pk__in=pk_set))
    else:
        return
    key = "roles_added" if action == "post_add" else "roles_removed"
    pairs = (
        [(user, instance) for user in related]
        if reverse
        else [(instance, group) for group in related]
    )
    roles: dict = {}
    for user, group in pairs:
        roles.setdefault(user, []).append(group.name)
    for user, names in roles.items():
        audit(AuditEvent.Action.CHANGED, user, **{key: sorted(names)})


for label in AUDITED:
    model = apps.get_model(label)
    pre_save.connect(_remember, sender=model, dispatch_uid=f"audit-pre-{label}")
    post_save.connect(_saved, sender=model, dispatch_uid=f"audit-save-{label}")
    post_delete.connect(_deleted, sender=model, dispatch_uid=f"audit-del-{label}")

post_delete.connect(
    _token_deleted,
    sender=apps.get_model("accounts.ApiToken"),
    dispatch_uid="audit-token",
)
m2m_changed.connect(
    _roles_changed,
    sender=apps.get_model(settings.AUTH_USER_MODEL).groups.through,
    dispatch_uid="audit-roles",
)

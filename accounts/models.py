import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

TOKEN_PREFIX = "sp_"
# How long a new token may live, in days, as the profile page offers it (None: until
# revoked). The common choices of other services' tokens (GitHub, GitLab).
TOKEN_LIFETIMES_DAYS = (30, 90, 365)
# What a read-only token may do: read. HEAD and OPTIONS change nothing either.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def unrevoked(self) -> "ApiTokenQuerySet":
        """Not revoked, of an active user: expired ones included, for the API to
        say so rather than call them unknown."""
        return self.filter(revoked_at__isnull=True, user__is_active=True)

    def active(self) -> "ApiTokenQuerySet":
        """What the API takes: unrevoked and not expired."""
        return self.unrevoked().filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        )


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 digest is stored.

    It acts as its user, within its scope (read only, or whatever the user's role
    allows) until it expires or is revoked. Tokens made before scopes and expiry
    existed read and write and never expire: what they did then.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        READ_WRITE = "read_write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    # First characters of the token, shown so the user can tell tokens apart.
    hint = models.CharField(_("hint"), max_length=16, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    scope = models.CharField(
        _("access"), max_length=10, choices=Scope.choices, default=Scope.READ_WRITE
    )
    # None: never expires (until revoked).
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_active(self) -> bool:
        """Neither revoked nor expired: the API takes it."""
        return self.revoked_at is None and not self.is_expired()

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (
            now or timezone.now()
        )

    def allows(self, method: str) -> bool:
        """Whether this token may make a request of this HTTP method."""
        return self.scope == self.Scope.READ_WRITE or method.upper() in READ_METHODS

    @staticmethod
    def expiry(days: int | None, now: datetime | None = None) -> datetime | None:
        """When a token made now to live `days` days expires (None: never)."""
        return None if days is None else (now or timezone.now()) + timedelta(days=days)

    @staticmethod
    def generate() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)


class AuditEvent(models.Model):
    """Who did what, when: append-only (no edit in pages, admin or API)."""

    class Action(models.TextChoices):
        # Nouns in Russian ("Создание", "Запуск"): one action column speaks of
        # campaigns, contacts and accounts alike, so no participle agrees with all.
        LOGIN = "login", pgettext_lazy("audit action", "Logged in")
        LOGIN_FAILED = "login_failed", pgettext_lazy("audit action", "Failed login")
        # The first of an address in a throttle window (accounts.api_token_failures).
        API_TOKEN_FAILED = (
            "api_token_failed",
            pgettext_lazy("audit action", "Invalid API token"),
        )
        LOGOUT = "logout", pgettext_lazy("audit action", "Logged out")
        CREATED = "created", pgettext_lazy("audit action", "Created")
        CHANGED = "changed", pgettext_lazy("audit action", "Changed")
        DELETED = "deleted", pgettext_lazy("audit action", "Deleted")
        LAUNCHED = "launched", pgettext_lazy("audit action", "Launched")
        PAUSED = "paused", pgettext_lazy("audit action", "Paused")
        RESUMED = "resumed", pgettext_lazy("audit action", "Resumed")
        CANCELLED = "cancelled", pgettext_lazy("audit action", "Cancelled")
        TEST_SENT = "test_sent", pgettext_lazy("audit action", "Test sent")
        # A one-off message: an inbox answer, from a contact's page, by the API.
        SENT = "sent", pgettext_lazy("audit action", "Sending")
        IMPORTED = "imported", pgettext_lazy("audit action", "Imported")
        EXPORTED = "exported", pgettext_lazy("audit action", "Exported")
        STOP_LISTED = (
            "stop_listed",
            pgettext_lazy("audit action", "Added to the stop list"),
        )
        UNSTOP_LISTED = (
            "unstop_listed",
            pgettext_lazy("audit action", "Removed from the stop list"),
        )
        PASSWORD_CHANGED = (
            "password_changed",
            pgettext_lazy("audit action", "Password change"),
        )
        REVOKED = "revoked", pgettext_lazy("audit action", "Revocation")
        # A sender name asked of the gateway: its moderation follows there.
        REQUESTED = "requested", pgettext_lazy("audit action", "Request")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # Kept as text too: the record outlives the user.
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        default_permissions = ("view",)

    def __str__(self) -> str:
        action = self.get_action_display()
        # In the reader's zone, as the log's table shows it: not UTC.
        at = timezone.localtime(self.at) if timezone.is_aware(self.at) else self.at
        # No actor (a system task, an anonymous failed login): no empty name.
        actor = f" {self.actor_name}" if self.actor_name else ""
        return f"{at:%Y-%m-%d %H:%M}{actor}: {action} {self.object_repr}".rstrip()

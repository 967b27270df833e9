import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from providers.base import AccountConfig
from providers.error_text import error_text
from providers.exceptions import CredentialsUnreadable
from providers.registry import KIND_CHOICES, gateway_class
from smsportal.fields import EncryptedTextField, unreadable


def new_callback_token() -> str:
    return secrets.token_urlsafe(24)


class ProviderAccount(models.Model):
    """Credentials and settings for one account at one gateway."""

    # Not Django's default, which pastes the label in uninflected ("с таким Название").
    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        error_messages={"unique": _("An account with this name already exists.")},
    )
    kind = models.CharField(_("gateway"), max_length=20, choices=KIND_CHOICES)
    dialect = models.CharField(
        _("protocol dialect"),
        max_length=20,
        blank=True,
        help_text=_("For gateways with several APIs (Webcom: XML, JSON, HTTP GET)."),
    )
    base_url = models.URLField(
        _("API base URL"),
        max_length=300,
        help_text=_("Request paths are appended to it; leave the vendor's host."),
    )
    login = models.CharField(_("login"), max_length=150, blank=True)
    # Raised by every change of the login (providers.logins): each message is stamped
    # with the generation whose credentials sent it, so the messages a gateway still
    # holds under an old login are asked about and withdrawn with that login.
    login_generation = models.PositiveIntegerField(default=0, editable=False)
    password = EncryptedTextField(_("password"), blank=True)
    token = EncryptedTextField(_("API token"), blank=True)
    # The secret a gateway signs its callbacks with, where the user sets one in the
    # gateway's cabinet (SMSC); blank: callbacks are not checked for a signature.
    callback_secret = EncryptedTextField(_("callback signing secret"), blank=True)
    test_mode = models.BooleanField(
        _("test mode"),
        default=False,
        help_text=_("Gateways with a test mode accept messages without sending them."),
    )
    default_sender = models.CharField(_("default sender"), max_length=15, blank=True)
    rate_limit = models.PositiveIntegerField(
        _("send rate limit"),
        default=0,
        help_text=_("Messages per second across all workers; 0 means no limit."),
    )
    tariff = models.DecimalField(
        _("price per segment"),
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Used for cost estimates where the gateway gives none."),
    )
    callback_token = models.CharField(
        max_length=64, unique=True, default=new_callback_token, editable=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    balance = models.DecimalField(
        _("balance"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    balance_currency = models.CharField(_("balance currency"), max_length=8, blank=True)
    balance_checked_at = models.DateTimeField(
        _("balance read at"), null=True, blank=True
    )
    balance_alert = models.DecimalField(
        _("warn below balance"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Every page warns when the balance read from the gateway falls below "
            "this, in the balance's own unit (roubles, or messages where the gateway "
            "counts them). Empty: never."
        ),
    )
    # The text in the language of whoever met the error (for search and the log);
    # pages show last_error_message, put together from the record in the reader's.
    last_error = models.TextField(_("last error"), blank=True)
    last_error_record = models.JSONField(
        _("last error record"), default=dict, blank=True, editable=False
    )
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    # Where the next fetch of incoming messages goes on: the gateway's position after
    # the last reply a fetch stored (SMSC: its last message id). Only fetches move it:
    # a pushed reply may be newer than a backlog not fetched yet.
    incoming_cursor = models.CharField(
        _("incoming messages read up to"), max_length=64, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("provider account")
        verbose_name_plural = _("provider accounts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def balance_low(self) -> bool:
        """The last balance read is below the level the user asked to be warned at."""
        return (
            self.balance is not None
            and self.balance_alert is not None
            and self.balance < self.balance_alert
        )

    @property
    def last_error_message(self) -> str:
        """The last error in the reader's language; the stored text for an error
        recorded without a record (before there were records)."""
        if self.last_error_record:
            return error_text(self.last_error_record)
        return self.last_error

    @property
    def gateway_class(self):
        return gateway_class(self.kind)

    @property
    def callback_url(self) -> str:
        base = settings.SMSPORTAL_CALLBACK_BASE_URL.rstrip("/")
        return f"{base}/callbacks/{self.callback_token}/status/"

    @property
    def incoming_url(self) -> str:
        base = settings.SMSPORTAL_CALLBACK_BASE_URL.rstrip("/")
        return f"{base}/callbacks/{self.callback_token}/incoming/"

    @property
    def credentials_unreadable(self) -> bool:
        """A stored secret the current key cannot decrypt (smsportal.fields)."""
        return any(
            unreadable(value)
            for value in (self.password, self.token, self.callback_secret)
        )

    def config(self) -> AccountConfig:
        """What the gateway needs, detached from the database; CredentialsUnreadable
        when the current key cannot read its secrets."""
        if self.credentials_unreadable:
            raise CredentialsUnreadable(self.name)
        return AccountConfig(
            kind=self.kind,
            base_url=self.base_url,
            login=self.login,
            password=self.password,
            token=self.token,
            callback_secret=self.callback_secret,
            dialect=self.dialect,
            test_mode=self.test_mode,
            default_sender=self.default_sender,
            callback_url=self.callback_url,
            incoming_url=self.incoming_url,
            tariff=Decimal(self.tariff) if self.tariff is not None else None,
            options=dict(self.options or {}),
        )


class RetiredLogin(models.Model):
    """The credentials an account signed in with before its login changed, kept while
    the gateway still holds messages sent under them: their statuses are asked for,
    and they are withdrawn or reconciled, and their replies fetched, with these
    (providers.logins). Deleted, secrets and all, once none of those messages is
    open and the replies' days passed."""

    account = models.ForeignKey(
        ProviderAccount,
        on_delete=models.CASCADE,
        related_name="retired_logins",
        verbose_name=_("account"),
    )
    generation = models.PositiveIntegerField()
    login = models.CharField(_("login"), max_length=150, blank=True)
    password = EncryptedTextField(_("password"), blank=True)
    token = EncryptedTextField(_("API token"), blank=True)
    retired_at = models.DateTimeField(_("replaced"), default=timezone.now)
    # Where the next fetch of replies under this login goes on (as the account's
    # own incoming_cursor was for it while it was current): the gateway keeps the
    # replies to this login's messages in its cabinet (campaigns.inbox).
    incoming_cursor = models.CharField(
        _("incoming messages read up to"), max_length=64, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("replaced login")
        verbose_name_plural = _("replaced logins")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "generation"], name="retiredlogin_once"
            )
        ]

    def __str__(self) -> str:
        return self.login


class SenderName(models.Model):
    """A sender name of an account, as the gateway reports it."""

    account = models.ForeignKey(
        ProviderAccount,
        on_delete=models.CASCADE,
        related_name="sender_names",
        verbose_name=_("account"),
    )
    name = models.CharField(_("sender name"), max_length=20)
    state = models.CharField(_("state at the gateway"), max_length=100, blank=True)
    usable = models.BooleanField(_("usable"), default=False)
    operators = models.TextField(_("operators"), blank=True)
    comment = models.TextField(_("comment"), blank=True)
    synced_at = models.DateTimeField(_("synced"), null=True, blank=True)

    class Meta:
        verbose_name = _("sender name")
        verbose_name_plural = _("sender names")
        ordering = ["account", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"],
                name="sendername_unique_per_account",
                violation_error_message=_("This account already has this sender name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class RemovedSenderName(models.Model):
    """A sender name a person removed from an account, until the gateway lists it or
    it is recorded again: campaigns that still hold it are refused and flagged by
    name, where an unknown name could otherwise pass as one never synced."""

    account = models.ForeignKey(
        ProviderAccount,
        on_delete=models.CASCADE,
        related_name="removed_sender_names",
        verbose_name=_("account"),
    )
    name = models.CharField(_("sender name"), max_length=20)
    removed_at = models.DateTimeField(_("removed"), default=timezone.now)

    class Meta:
        verbose_name = _("removed sender name")
        verbose_name_plural = _("removed sender names")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"], name="removedsendername_unique_per_account"
            )
        ]

    def __str__(self) -> str:
        return self.name

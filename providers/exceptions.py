"""Gateway errors, typed by what the caller must do.

GatewayError                      .kind, .message, .vendor_code, .raw (redacted), .status,
                                  .reason (a code for our own layer's words)
├── GatewayUnavailable            timeouts, connection errors, 5xx, 429 -> retry later
│   └── RateLimited               .retry_after seconds
├── GatewayRefused                the whole request is wrong; retrying won't help
│   ├── AuthenticationFailed      -> disable the account, tell the user
│   ├── InsufficientBalance       -> pause the campaign, tell the user
│   ├── SenderNotAllowed
│   └── WithdrawalRefused         held messages it will not withdraw: being sent
├── GatewayProtocolError          a response we could not parse -> log raw body, retry once
├── PartlySent                    a one-request-per-message batch stopped part way:
│                                 .results of those sent, .cause for the next one
├── NotSupported                  capability missing for this gateway
└── CallbackRejected              a callback that is not authentic -> HTTP 400
    └── CallbackForged            its signature does not match -> HTTP 403
GatewayConfigurationError         missing/invalid account settings
└── CredentialsUnreadable         stored credentials the current key cannot decrypt
"""

from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.utils.translation import gettext_lazy as _

# What to do about credentials the key cannot read; the deploy check says it too.
UNREADABLE_CREDENTIALS_FIX = _(
    "the credentials cannot be read with the current key (SECRET_KEY or "
    "SMSPORTAL_FIELD_KEY changed). Set SMSPORTAL_FIELD_KEY to the key of the old "
    "SECRET_KEY (manage.py field_key --from-secret-key OLD_SECRET_KEY prints it) and "
    "restart, or enter the account's password and token again."
)


class GatewayError(Exception):
    """Base of every error a gateway raises; keeps the vendor's answer, redacted."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        vendor_code: str = "",
        raw: str = "",
        status: int | None = None,
        reason: str = "",
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message  # technical, for the log: the reader gets `reason`
        # What our own layer met, as a code worded in the reader's language
        # (providers.error_text.READER_REASONS); "" when `message` is the gateway's.
        self.reason = reason
        self.vendor_code = vendor_code
        self.raw = raw[:2000]
        self.status = status

    def __str__(self) -> str:
        parts = [f"[{self.kind}]", self.message]
        if self.vendor_code:
            parts.append(f"(code {self.vendor_code})")
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.raw:
            parts.append(f"body: {self.raw[:200]!r}")
        return " ".join(parts)


class GatewayUnavailable(GatewayError):
    """The gateway could not be reached or answered 5xx/429: retry later.

    `outcome_unknown` is True when the request may have reached the gateway (a read
    timeout or a dropped connection after sending): a send must then be reconciled,
    not repeated.
    """

    def __init__(self, *args: object, outcome_unknown: bool = False, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.outcome_unknown = outcome_unknown


class RateLimited(GatewayUnavailable):
    """The gateway asked us to slow down; retry after `retry_after` seconds."""

    def __init__(self, *args: object, retry_after: float = 60.0, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class GatewayRefused(GatewayError):
    """The gateway refused the whole request; retrying the same request won't help."""


class RequestNotSent(GatewayRefused):
    """We could not build the request (a value it cannot carry, a bug of ours), so
    nothing left: the messages certainly did not reach the gateway."""


class AuthenticationFailed(GatewayRefused):
    """Wrong login, password or token, or a blocked account."""


class InsufficientBalance(GatewayRefused):
    """The account has no money or messages left."""


class SenderNotAllowed(GatewayRefused):
    """The sender name is unknown to the gateway or not approved."""


class MessageDenied(SenderNotAllowed):
    """The gateway denied the message for its text or its sender name without saying
    which (SMSC error 6): paused like a sender refusal, but not said to be one."""


class PartlySent(GatewayError):
    """A batch sent one request per message stopped part way.

    `results` are those of the first messages, in batch order; `cause` is what the
    next message got (its outcome is the cause's: unknown, refused, ...); the
    messages after it were not sent at all.
    """

    def __init__(self, kind: str, *, results: list, cause: GatewayError) -> None:
        super().__init__(
            kind,
            f"{len(results)} submitted, then: {cause.message}",
            vendor_code=cause.vendor_code,
            raw=cause.raw,
            status=cause.status,
        )
        self.results = list(results)
        self.cause = cause


class PartlyCancelled(GatewayError):
    """A withdrawal of scheduled messages, one request per message, stopped part way.

    `cancelled` are the ids withdrawn before it stopped (to be recorded, not lost with
    the error); `cause` is what the next one got; it and those after it are still
    held, as far as we know.
    """

    def __init__(self, kind: str, *, cancelled: list[str], cause: GatewayError) -> None:
        super().__init__(
            kind,
            f"{len(cancelled)} withdrawn, then: {cause.message}",
            vendor_code=cause.vendor_code,
            raw=cause.raw,
            status=cause.status,
        )
        self.cancelled = list(cancelled)
        self.cause = cause


class WithdrawalRefused(GatewayRefused):
    """The gateway refused to withdraw messages it still holds: it is sending them
    (SMSC's error 5 to a message status.php still has). `refused` are their ids: not
    withdrawn, and not failed either (their reports say what became of them). Raised
    alone, or as the `cause` of a PartlyCancelled with those it did withdraw."""

    def __init__(self, kind: str, *, refused: list[str]) -> None:
        super().__init__(
            kind,
            f"deletion refused for {len(refused)} held (error 5): being sent",
            vendor_code="5",
            reason="withdrawal_refused",
        )
        self.refused = list(refused)


class GatewayProtocolError(GatewayError):
    """The gateway answered something we could not parse."""


class NotSupported(GatewayError):
    """The gateway has no such operation."""

    def __init__(self, kind: str, operation: str) -> None:
        super().__init__(kind, f"{operation} is not supported by this gateway")
        self.operation = operation


class TestModeUnavailable(NotSupported):
    """The account is in test mode and its gateway has none: a send would go out for
    real and be paid for, so nothing is sent at all."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind, "test mode")


class CallbackRejected(GatewayError, SuspiciousOperation):
    """A callback failed authentication; Django answers 400."""

    http_status = 400


class CallbackForged(CallbackRejected):
    """A callback whose signature does not match the account's secret: answered 403,
    its message naming what did not match (never the secret)."""

    http_status = 403


class GatewayConfigurationError(ImproperlyConfigured):
    """The provider account lacks a setting the gateway needs."""


class CredentialsUnreadable(GatewayConfigurationError):
    """The account's stored credentials are not readable with the current key: the
    account cannot talk to its gateway until the key is set back or they are
    entered again (smsportal.fields.Unreadable)."""

    def __init__(self, account_name: str = "") -> None:
        super().__init__(str(UNREADABLE_CREDENTIALS_FIX))
        self.account_name = account_name

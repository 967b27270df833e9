"""A gateway failure in words, in the reader's language.

An account's last error is met by one person (a connection check) or by a worker (a
campaign's batch), and read later by anyone: stored as text it would stay in the
language of whoever met it. So what is kept is the failure's record (its kind, the
gateway's own text and code), and the words are put together when it is read.
"""

from __future__ import annotations

from typing import TypedDict

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from providers.exceptions import (
    AuthenticationFailed,
    GatewayConfigurationError,
    GatewayError,
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
    NotSupported,
    PartlyCancelled,
    PartlySent,
)

GatewayFailure = GatewayError | GatewayConfigurationError


class ErrorRecord(TypedDict, total=False):
    """What `error_text` needs, JSON-storable (ProviderAccount.last_error_record)."""

    kind: str  # error_kind's: configuration, auth, unavailable, protocol, refused...
    detail: str  # the gateway's (or the gateway layer's) own text
    reason: str  # our HTTP layer's own failure (READER_REASONS), worded when read
    code: str  # the gateway's error code
    status: int | None  # the HTTP status, if one came
    # No HTTP answer at all: "broke_off" (the request may have arrived) or "no_route".
    no_answer: str


# A gateway's text is kept whole up to this (an HTML error page is cut).
DETAIL_MAX = 1500

# What our HTTP layer (providers.http) met, by GatewayError.reason: its English text
# stays in the log, the reader reads these. A record stored before reasons were kept
# has that English text as its detail (LEGACY_DETAILS).
READER_REASONS = {
    "server_error": gettext_lazy("server error"),
    "rate_limited": gettext_lazy("rate limited"),
    "credentials_refused": gettext_lazy("credentials refused"),
    "cannot_connect": gettext_lazy(
        "no connection to its address; check the address and network"
    ),
    "no_answer": gettext_lazy("its answer broke off or never came"),
    "withdrawal_refused": gettext_lazy(
        "it is already sending the messages, or would not delete them"
    ),
}
LEGACY_DETAILS = {
    "server error": "server_error",
    "rate limited": "rate_limited",
    "credentials refused": "credentials_refused",
}


def error_record(exc: GatewayFailure) -> ErrorRecord:
    """The failure as data: no words of ours in it, so no language."""
    if isinstance(exc, PartlySent | PartlyCancelled):
        # What stopped the batch is the failure to read; the count before it is
        # the log's (and the page's own sentence about what was sent or withdrawn).
        return error_record(exc.cause)
    if isinstance(exc, GatewayConfigurationError):
        return {"kind": "configuration", "detail": _storable(str(exc))}
    record: ErrorRecord = {
        "kind": error_kind(exc),
        "detail": _storable(exc.message),
        "code": _storable(exc.vendor_code or "")[:100],
        "status": exc.status,
    }
    if exc.reason:
        record["reason"] = exc.reason
    if isinstance(exc, GatewayUnavailable) and not _answered(exc):
        # The transport's own words ("cannot connect: ConnectError") are in the log;
        # the reader gets what it means.
        record["no_answer"] = "broke_off" if exc.outcome_unknown else "no_route"
    return record


def _answered(exc: GatewayError) -> bool:
    """Whether the gateway answered (an HTTP status, or its own error code, kept
    without the status by a check of its answer's body, as SMSC's error 9)."""
    return exc.status is not None or bool(exc.vendor_code) or bool(exc.raw)


def _storable(text: str) -> str:
    """Text a JSON column takes: PostgreSQL refuses NUL and lone surrogates there
    (a gateway's JSON answer may carry either)."""
    cleaned = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return cleaned[:DETAIL_MAX]


def error_kind(exc: GatewayFailure) -> str:
    """A short code for the kind of failure, stable for the API and templates."""
    if isinstance(exc, AuthenticationFailed):
        return "auth"
    if isinstance(exc, GatewayUnavailable):
        return "unavailable"
    if isinstance(exc, GatewayRefused):
        return "refused"
    if isinstance(exc, GatewayProtocolError):
        return "protocol"
    if isinstance(exc, NotSupported):
        return "not_supported"
    if isinstance(exc, GatewayConfigurationError):
        return "configuration"
    return "error"


def error_text(record: ErrorRecord) -> str:
    """The record in words, in the active language."""
    kind = record.get("kind", "refused")
    if kind == "configuration":
        return _("Account settings are incomplete: %(error)s") % {
            "error": record.get("detail", "")
        }
    if kind == "unavailable" and (
        record.get("status") is not None or record.get("code")
    ):
        # Reached, and it failed (a 5xx, a "wait" of its own): not out of reach,
        # which would send the reader to check the address and network.
        kind = "failed"
    return _template(kind) % {"detail": _detail(record)}


def error_message(exc: GatewayFailure) -> str:
    """A person-readable description; the gateway's text is already redacted."""
    return error_text(error_record(exc))


def _detail(record: ErrorRecord) -> str:
    no_answer = record.get("no_answer")
    if no_answer == "broke_off":
        return _("its answer broke off or never came")
    if no_answer == "no_route":
        return _("no connection to its address; check the address and network")
    detail = record.get("detail", "")
    reason = record.get("reason") if "reason" in record else LEGACY_DETAILS.get(detail)
    if reason in READER_REASONS:
        detail = str(READER_REASONS[reason])
    if code := record.get("code"):
        detail += " (" + _("code %(code)s") % {"code": code} + ")"
    if (status := record.get("status")) is not None:
        detail += f" (HTTP {status})"
    return detail


def _template(kind: str) -> str:
    if kind == "auth":
        # Shown on the account page itself too (its last error): "on the account
        # page" read wrong there; its settings are one click away everywhere.
        return _(
            "Authentication failed: the gateway refused the login, password or "
            "token. Check them in the account's settings. Gateway said: %(detail)s"
        )
    if kind == "unavailable":
        return _("The gateway could not be reached: %(detail)s")
    if kind == "failed":
        return _("The gateway answered with an error: %(detail)s")
    if kind == "protocol":
        return _("The gateway answered something unreadable: %(detail)s")
    return _("The gateway refused the request: %(detail)s")

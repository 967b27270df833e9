"""Failed API tokens: a Bearer token that is no active token, throttled per client
address as failed logins are (accounts.throttle), logged, and audited.

The log and the audit log take only the first failure of an address in a window and
the one that locks it: a flood of 300 tokens writes two log lines, not 300, and
never the token (nor its first characters: a typo of a real one tells half of it).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.api_refusals import INVALID_TOKEN
from accounts.audit import audit
from accounts.models import AuditEvent, token_digest
from accounts.throttle import (
    WINDOW_SECONDS,
    api_token_failed,
    api_token_lock_state,
    api_token_refused_while_locked,
)
from smsportal.client_address import client_address

logger = logging.getLogger("accounts.api_tokens")


class ApiTokenAttemptsExceeded(Exception):
    """This address has failed too many API tokens: answered 429 with Retry-After."""

    retry_after = WINDOW_SECONDS

    @property
    def message(self) -> str:
        return _(
            "Too many invalid API tokens from this address. "
            "Try again in %(minutes)d minutes."
        ) % {"minutes": WINDOW_SECONDS // 60}


def api_token_lock_checked(request: HttpRequest, raw: str) -> bool:
    """Whether the client's address is locked for failing API tokens. Raises
    ApiTokenAttemptsExceeded at once when it is and this very token was the last
    refused there: a script left running with a revoked token costs no query.

    Any other token is looked up, the lock notwithstanding: the lock stops
    guessing, and a valid token is no guess, so it is never refused by its
    address's lock (a wrong SMSPORTAL_TRUSTED_PROXIES puts every client at the
    proxy's address, and one client's bad token locked out all the others)."""
    locked, refused_before = api_token_lock_state(
        ip=client_address(request), digest=token_digest(raw)
    )
    if refused_before:
        raise ApiTokenAttemptsExceeded
    return locked


def api_token_refused_at_lock(request: HttpRequest, raw: str) -> None:
    """A token that is no active token from a locked address: 429, neither counted
    nor logged again, and remembered (api_token_lock_checked)."""
    api_token_refused_while_locked(ip=client_address(request), digest=token_digest(raw))
    raise ApiTokenAttemptsExceeded


def api_token_failure_noted(request: HttpRequest) -> None:
    """Count, log and audit a Bearer token that is no active token."""
    ip = client_address(request)
    failures, limit = api_token_failed(ip=ip)
    fields = {"client_address": ip, "reason": INVALID_TOKEN}
    if failures == 1:
        logger.warning(
            "Invalid API token from %s on %s %s: further failures from this address "
            "are counted, not logged, for %d minutes (locked at %d).",
            ip or "an unknown address", request.method, request.path,
            WINDOW_SECONDS // 60, limit, extra=fields,
        )  # fmt: skip
        # Audited once a window, unlike LOGIN_FAILED's event per attempt: a failed
        # login names the user tried, which is the news; a failed token names nothing
        # (never its value), so every further event would repeat the first and be a
        # write anyone can cause (the throttle's own reason to keep off the database).
        audit(AuditEvent.Action.API_TOKEN_FAILED, request=request)
    elif failures == limit:
        logger.warning(
            "API tokens locked for %s after %d invalid ones in %d minutes.",
            ip or "an unknown address", failures, WINDOW_SECONDS // 60,
            extra=fields,
        )  # fmt: skip

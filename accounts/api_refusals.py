"""The API's 401, 429 and scope or role 403 answers, logged once per address and
reason a window.

Django's request logger wrote every one of them at WARNING ("Unauthorized:
/api/v1/me"): a guessing attack, or a client left running with a revoked or expired
token, filled the log with lines that said nothing the first had not, and named no
address. They go to the security log (`accounts.api_tokens`) instead, with what
helps: the address, the reason, and the token's hint when the token is one of ours
(an unknown token's first characters are never written: a typo of a real one tells
half of it). The response is marked as logged, Django's own flag, so django.request
skips it; every other 4xx and every 5xx it logs as before. A read-only token's
write and a role's forbidden operation (403) are as everyday: a script run with the
wrong token or user repeats them each run.

An invalid token's 401 is logged by accounts.api_token_failures, which counts it:
the first of an address in a window and the one that locks it, at WARNING.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse

from accounts.throttle import WINDOW_SECONDS, first_in_window
from smsportal.client_address import client_address

logger = logging.getLogger("accounts.api_tokens")

# Why the API refused a request (the log's `reason` field).
NO_CREDENTIALS = "no_credentials"  # no Bearer token and no session
INVALID_TOKEN = "invalid_token"  # a Bearer token that is none of ours, or revoked
EXPIRED_TOKEN = "expired_token"  # one of ours, past its expiry
LOCKED_ADDRESS = "locked_address"  # 429: the address failed too many tokens
READ_ONLY_TOKEN = "read_only_token"  # 403: a read-only token asked to write
NOT_PERMITTED = "not_permitted"  # 403: the user's role does not allow the operation

# Where smsportal.api.BearerToken notes that the token it was given is no token of
# ours, for the 401 that follows when no session authenticates either.
REFUSAL_ATTRIBUTE = "api_refusal_reason"


def api_refusal_logged(
    request: HttpRequest,
    response: HttpResponse,
    *,
    reason: str,
    token_hint: str | None = None,
) -> HttpResponse:
    """Log `response` (a 401, 403 or 429 of the API) once per address and reason a
    window at INFO (the first one's token hint said), and mark it so that
    django.request does not log it again. Not per token: an address cycling through
    tokens would write a line each, which the window is there to stop."""
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django's flag
    if reason == INVALID_TOKEN:
        return response  # counted and logged by accounts.api_token_failures
    ip = client_address(request)
    key = f"api-refusal-log:{reason}:{ip or '-'}"
    if first_in_window(key, WINDOW_SECONDS):
        # As Django escapes what it logs of a request: a path is the client's text,
        # and a %0A in it must not start a line of its own.
        path = request.path.encode("unicode_escape").decode("ascii")
        logger.info(
            "API refused %s %s from %s with %d (%s%s): further such refusals of "
            "this address are not logged for %d minutes.",
            request.method, path, ip or "an unknown address", response.status_code,
            reason, f", token {token_hint}…" if token_hint else "",
            WINDOW_SECONDS // 60,
            extra={
                "client_address": ip,
                "reason": reason,
                "token_hint": token_hint,
                "status_code": response.status_code,
            },
        )  # fmt: skip
    return response

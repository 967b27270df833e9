"""The one place that builds httpx clients and turns transport trouble into GatewayErrors.

Gateways call `GatewayHttp.request(...)` with a path relative to the account's base URL,
so pointing an account at the simulator (or a real host) is one field. Credentials are
redacted from everything this module logs or keeps.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape as xml_escape

import httpx

from providers.base import AccountConfig, answer_received, request_started
from providers.exceptions import (
    AuthenticationFailed,
    GatewayUnavailable,
    RateLimited,
)

logger = logging.getLogger("providers.http")

USER_AGENT = "smsportal/0.1 (+https://github.com/smsportal)"
TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0)
LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=20)
# 503 and 429 mean the server turned the request away; other 5xx may hide a processed one.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
REDACTED = "***"
# Statuses _classify raises for (besides 5xx).
_REFUSALS = frozenset({401, 403, 429})
# What an exchange keeps of each body (characters).
EXCHANGE_KEPT = 4000


@functools.cache
def _shared_client() -> httpx.Client:
    return httpx.Client(
        timeout=TIMEOUT, limits=LIMITS, headers={"User-Agent": USER_AGENT}
    )


def build_client(**kwargs: Any) -> httpx.Client:
    """A client with our timeouts and User-Agent (for callers that need their own)."""
    options = {
        "timeout": TIMEOUT,
        "limits": LIMITS,
        "headers": {"User-Agent": USER_AGENT},
    }
    options.update(kwargs)
    return httpx.Client(**options)


def join_url(base_url: str, path: str) -> str:
    """Append a request path to an account base URL ('/smsc' + '/sys/send.php')."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def redact(text: str, secrets: Iterable[str]) -> str:
    """Mask every secret, raw, JSON-escaped or URL-encoded (UTF-8 or windows-1251)."""
    for variant in _secret_forms(tuple(secrets)):
        text = text.replace(variant, REDACTED)
    return text


def redacted_prefix(text: str, secrets: Iterable[str], length: int) -> str:
    """`redact(text, secrets)[:length]` without redacting all of a long text: a
    batch's request runs to 80 KB, of which an exchange keeps 4,000 characters.

    A prefix longer by the longest written form of a secret is redacted; a secret cut
    at the prefix's end can have left a piece only in that many last characters, so
    those are never kept (when redactions shortened the prefix, more is read)."""
    secrets = tuple(secrets)
    forms = _secret_forms(secrets)
    longest = max(map(len, forms), default=0)
    end = length + longest
    while True:
        kept = redact(text[:end], secrets)
        if end >= len(text) or len(kept) - longest >= length:
            return kept[:length]
        end += length


@functools.lru_cache(maxsize=256)
def _secret_forms(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """Every written form of each secret, each secret's longest first (worked out
    once per account's secrets, not for each of its requests' three texts)."""
    ordered: list[str] = []
    for secret in secrets:
        if not secret:
            continue
        # JSON bodies carry "\u0430"-style or quote-escaped forms of a secret.
        forms = {secret, json.dumps(secret)[1:-1]}
        forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
        # XML bodies (Webcom's <password value="..."/>) carry it entity-escaped.
        forms.add(xml_escape(secret, {'"': "&quot;"}))
        variants = set()
        for form in forms:
            variants |= {form, quote(form, safe=""), quote_plus(form)}
            with contextlib.suppress(UnicodeEncodeError):
                variants.add(quote_plus(form, encoding="cp1251"))
        ordered += sorted(variants, key=len, reverse=True)
    return tuple(ordered)


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its response, redacted, for audit and error reports."""

    method: str
    url: str
    request_body: str
    status: int | None
    response_body: str


class GatewayHttp:
    """HTTP for one account: base URL, timeouts, redaction, error classification."""

    def __init__(self, config: AccountConfig, *, client: httpx.Client | None = None):
        self.config = config
        self.client = client or _shared_client()
        self.last_exchange: Exchange | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> httpx.Response:
        """Send a request; raise GatewayUnavailable/RateLimited/AuthenticationFailed.

        Other HTTP statuses are returned: vendors put error texts in 200 and 400 bodies,
        and each gateway's parser reads them.
        """
        url = join_url(self.config.base_url, path)
        extra = {"timeout": timeout} if timeout is not None else {}
        request_started()  # from here on, the request may reach the gateway
        try:
            response = self.client.request(
                method, url, params=params, data=data, content=content, json=json,
                headers=headers, **extra,
            )  # fmt: skip
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            self._remember(method, url, params, data, content, None, "")
            raise GatewayUnavailable(
                self.config.kind,
                f"cannot connect: {type(exc).__name__}",
                reason="cannot_connect",
            ) from exc
        except httpx.TransportError as exc:
            # The request may have reached the gateway: its outcome is unknown.
            self._remember(method, url, params, data, content, None, "")
            raise GatewayUnavailable(
                self.config.kind,
                f"no answer: {type(exc).__name__}",
                outcome_unknown=True,
                reason="no_answer",
            ) from exc
        answer_received()  # before it is read: see providers.base.answers_signal
        body = self._body_text(response)
        self._remember(method, url, params, data, content, response.status_code, body)
        self._classify(response, body)
        return response

    def redact(self, text: str) -> str:
        return redact(text, self.config.secrets())

    # internals ------------------------------------------------------------------

    def _classify(self, response: httpx.Response, body: str) -> None:
        status = response.status_code
        if status < 500 and status not in _REFUSALS:
            return  # the usual answer: its body is not redacted for nothing
        raw = self.redact(body)
        if status == 429:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            raise RateLimited(
                self.config.kind, "rate limited", raw=raw, status=status,
                retry_after=retry_after, reason="rate_limited",
            )  # fmt: skip
        if status >= 500:
            raise GatewayUnavailable(
                self.config.kind,
                "server error",
                raw=raw,
                status=status,
                reason="server_error",
                outcome_unknown=status not in NOT_PROCESSED_STATUSES,
            )
        if status in (401, 403):
            raise AuthenticationFailed(
                self.config.kind,
                "credentials refused",
                raw=raw,
                status=status,
                reason="credentials_refused",
            )

    @staticmethod
    def _body_text(response: httpx.Response) -> str:
        try:
            return response.text
        except (UnicodeDecodeError, LookupError):
            return response.content.decode("latin-1")

    def _remember(self, method, url, params, data, content, status, body) -> None:
        request_url = url
        if params:
            request_url += "?" + str(httpx.QueryParams(params))
        if content is not None:
            request_body = content.decode("utf-8", "replace")
        elif data:
            request_body = str(httpx.QueryParams(data))
        else:
            request_body = ""
        secrets = self.config.secrets()
        self.last_exchange = Exchange(
            method=method,
            url=redact(request_url, secrets),
            request_body=redacted_prefix(request_body, secrets, EXCHANGE_KEPT),
            status=status,
            response_body=redacted_prefix(body, secrets, EXCHANGE_KEPT),
        )
        logger.debug(
            "%s %s -> %s %s",
            method,
            self.last_exchange.url,
            status,
            self.last_exchange.response_body[:300],
        )


def _retry_after(value: str | None) -> float:
    try:
        return max(1.0, float(value)) if value else 60.0
    except ValueError:
        return 60.0

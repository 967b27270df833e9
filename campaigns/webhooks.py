"""Gateway callbacks: delivery reports and incoming messages, for every gateway.

The URL carries the account's unguessable token: an unknown token gets a plain 404
that reveals nothing. Only a failed authenticity check (and a body we cannot read at
all) gets 400, a signature that does not match the account's secret 403; unknown message ids and unmapped statuses are logged and acknowledged;
our own failures answer 500 so the gateway tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from campaigns.inbox import replies_store
from campaigns.status_batching import status_batcher
from campaigns.statuses import AccountChanged, AccountVersion
from providers.base import CallbackAck, InboundRequest, SmsGateway
from providers.exceptions import (
    CallbackRejected,
    CredentialsUnreadable,
    GatewayProtocolError,
    NotSupported,
)
from providers.models import ProviderAccount
from providers.parsing import BodyError
from providers.registry import gateway_for
from smsportal.lib.sqlutil import aware_utc

logger = logging.getLogger("campaigns.webhooks")


@dataclass(frozen=True, slots=True)
class _Known:
    version: AccountVersion  # the row's id, token and updated_at as a query read them
    account: ProviderAccount
    gateway: SmsGateway


# Accounts by callback token, per process. Loading one through the ORM and decrypting
# its credentials took a quarter of a callback's CPU, yet the row rarely changes. Each
# request still checks that the row is unchanged (updated_at is auto_now: every full
# save sets it; the partial saves of balance and last error touch nothing a callback
# reads), so an edited account (say a new password that signs callbacks) is reloaded
# at once and a deleted one is not served. A status callback makes that check inside
# the statement that applies its report (statuses.AccountVersion); other callbacks ask
# first. Only tokens that exist are kept, so unknown ones cannot grow the cache.
# Callbacks only read the account and its gateway, so requests may share them.
_accounts: dict[str, _Known] = {}
_VERSION_SQL = (
    f"SELECT id, updated_at FROM {ProviderAccount._meta.db_table} "
    "WHERE callback_token = %s"
)


def _checked(token: str) -> _Known:
    """The account of this token as it is now (one indexed query), or 404."""
    if "\x00" in token:
        # No token of ours holds one, and PostgreSQL refuses it in a parameter: a
        # made-up token with a NUL (a scanner's %00) answered 500 with a traceback.
        raise Http404
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL, [token])
        row = cursor.fetchone()
    if row is None:
        _accounts.pop(token, None)
        raise Http404
    # SQLite's naive updated_at never matched the row where a report is applied:
    # every callback reloaded the account, with a naive-datetime warning.
    version = AccountVersion(row[0], token, aware_utc(row[1]))
    known = _accounts.get(token)
    if known is None or known.version != version:
        account = ProviderAccount.objects.filter(callback_token=token).first()
        if account is None:  # deleted in between
            raise Http404
        # Saved in between? Then the next request sees a newer version and reloads.
        known = _Known(version, account, gateway_for(account))
        _accounts[token] = known
    return known


# The account as a cached request read it, to be checked where the report is applied;
# None once the request has read the current row.
Guard = AccountVersion | None
# What a request answered with a remembered account may raise before it changed
# anything, when that account may be out of date.
STALE_ACCOUNT_ERRORS = (
    AccountChanged, CallbackRejected, NotSupported, GatewayProtocolError, BodyError,
)  # fmt: skip


def cached_account(token: str) -> _Known | None:
    """The account this process remembers for a callback token, if any."""
    return _accounts.get(token)


def _skip_ping() -> None:
    """No "SELECT 1" before the first query: on a dead connection that query fails,
    the gateway gets a 500 and retries, and Django drops the connection after the
    error. The ping would cost every callback a round trip."""
    connection.health_check_done = True


def inbound_request(request: HttpRequest) -> InboundRequest:
    """The callback as the gateway sent it, its raw body read before its form: Django
    parses a multipart form from the stream, after which the body cannot be read."""
    request.body  # noqa: B018 - cached on the request; the form is parsed from it
    return InboundRequest.from_django(request)


def _reply(ack: CallbackAck) -> HttpResponse:
    return HttpResponse(ack.body, content_type=ack.content_type, status=ack.status)


@method_decorator(csrf_exempt, name="dispatch")
class CallbackView(View):
    """Shared shape: find the account, verify, parse, store, acknowledge."""

    http_method_names = ["get", "post"]  # some gateways report by GET
    # Whether `handle` checks a cached account itself (raising AccountChanged).
    checks_account = False

    def handle(
        self, known: _Known, inbound: InboundRequest, *, unless_changed: Guard
    ) -> CallbackAck:
        raise NotImplementedError

    def dispatch(self, request: HttpRequest, token: str) -> HttpResponse:
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request)
        _skip_ping()
        try:
            return self._dispatch(request, token)
        except CredentialsUnreadable as exc:
            # The key changed under the account (its secret checks signatures):
            # a 503 makes the gateway retry later, when the key is set back,
            # instead of a 500 per report.
            logger.error(
                "callback for account %r not handled: %s", exc.account_name, exc
            )
            return HttpResponse(
                "temporarily unavailable", status=503, content_type="text/plain"
            )

    def _dispatch(self, request: HttpRequest, token: str) -> HttpResponse:
        cached = cached_account(token) if self.checks_account else None
        # An unknown token is a 404 before its body is read: anyone may post up to
        # DATA_UPLOAD_MAX_MEMORY_SIZE to a made-up address.
        current = _checked(token) if cached is None else None
        inbound = inbound_request(request)
        if cached is not None:
            try:
                return self.answer_cached(cached, inbound)
            except STALE_ACCOUNT_ERRORS:
                pass  # the cached account may be stale: decide on the current one
        return self.answer(current or _checked(token), inbound, unless_changed=None)

    def answer_cached(self, known: _Known, inbound: InboundRequest) -> HttpResponse:
        """Answer with a remembered account, checked where the report is applied;
        STALE_ACCOUNT_ERRORS (nothing applied) mean: ask again with the current one."""
        _skip_ping()
        return self.answer(known, inbound, unless_changed=known.version)

    def answer(
        self, known: _Known, inbound: InboundRequest, *, unless_changed: Guard
    ) -> HttpResponse:
        """Verify and handle; with `unless_changed`, failures are the caller's."""
        final = unless_changed is None
        try:
            known.gateway.verify_callback(inbound)
            return _reply(self.handle(known, inbound, unless_changed=unless_changed))
        except CallbackRejected as exc:
            if not final:
                raise
            # Names the account and what did not match (CallbackForged: the fields
            # signed, never the secret), so a wrong secret is found from the log.
            logger.warning(
                "rejected callback for account %r (id %s): %s",
                known.account.name, known.account.pk, exc,
            )  # fmt: skip
            return HttpResponse(
                "rejected", status=exc.http_status, content_type="text/plain"
            )
        except NotSupported:
            if not final:
                raise
            raise Http404 from None
        except (GatewayProtocolError, BodyError) as exc:
            if not final:
                raise
            logger.warning("unreadable callback for %s: %s", known.account, exc)
            return self.unreadable(known, inbound)

    def unreadable(self, known: _Known, inbound: InboundRequest) -> HttpResponse:
        """The answer to a body we cannot read: a 400, not a 500, which would have
        the gateway post the same body again and again."""
        return HttpResponse("unreadable body", status=400, content_type="text/plain")


class StatusCallbackView(CallbackView):
    checks_account = True

    def handle(
        self, known: _Known, inbound: InboundRequest, *, unless_changed: Guard
    ) -> CallbackAck:
        # Assumption: a gateway with one handler URL for statuses and incoming messages
        # (SMSC) says which one a request is; an incoming one is stored as a reply.
        if known.gateway.is_incoming_callback(inbound):
            if unless_changed is not None:
                raise AccountChanged  # stored only with the account as it is now
            return _incoming_stored(known, inbound)
        return _statuses_applied(known, inbound, unless_changed=unless_changed)

    def unreadable(self, known: _Known, inbound: InboundRequest) -> HttpResponse:
        """A delivery report we cannot read is acknowledged as the gateway expects,
        taking nothing: polling reads those statuses. Anything else makes WEBSMS send
        the same body again for ever (seed 002 §6.5). An incoming message is not so
        answered: a reply (a STOP) may reach us nowhere else."""
        try:
            incoming = known.gateway.is_incoming_callback(inbound)
        except (GatewayProtocolError, BodyError):
            incoming = True  # which it is cannot be read either: the safe answer
        if incoming:
            return super().unreadable(known, inbound)
        return _reply(known.gateway.status_callback_ack(inbound, []))


class IncomingCallbackView(CallbackView):
    def handle(
        self, known: _Known, inbound: InboundRequest, *, unless_changed: Guard
    ) -> CallbackAck:
        gateway = known.gateway
        if gateway.one_callback_url and not gateway.is_incoming_callback(inbound):
            # Its cabinet takes one handler URL for both (SMSC), and either of ours
            # may be the one pasted there: a delivery report here is applied, not
            # stored as an empty reply from the recipient.
            return _statuses_applied(known, inbound, unless_changed=unless_changed)
        return _incoming_stored(known, inbound)


def _statuses_applied(
    known: _Known, inbound: InboundRequest, *, unless_changed: Guard
) -> CallbackAck:
    reports = known.gateway.parse_status_callback(inbound)
    # Together with the reports of concurrent callbacks, committed without waiting
    # for the disk: reports a database crash might lose come back by polling.
    # Reports for ids not stored yet are kept and logged there.
    status_batcher.apply(
        account=known.account, reports=reports, unless_changed=unless_changed
    )
    return known.gateway.status_callback_ack(inbound, reports)


def _incoming_stored(known: _Known, inbound: InboundRequest) -> CallbackAck:
    messages = known.gateway.parse_incoming_callback(inbound)
    replies_store(account=known.account, messages=messages)
    return known.gateway.incoming_callback_ack(inbound, messages)

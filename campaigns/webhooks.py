"""Gateway callbacks: delivery reports and incoming messages, for every gateway.

The URL carries the account's unguessable token: an unknown token gets a plain 404
that reveals nothing. Only a failed authenticity check (and a body we cannot read at
all) gets 400; unknown message ids and unmapped statuses are logged and acknowledged;
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
from campaigns.statuses import message_statuses_apply
from providers.base import CallbackAck, InboundRequest, SmsGateway
from providers.exceptions import CallbackRejected, GatewayProtocolError, NotSupported
from providers.models import ProviderAccount
from providers.parsing import BodyError
from providers.registry import gateway_for

logger = logging.getLogger("campaigns.webhooks")


@dataclass(frozen=True, slots=True)
class _Known:
    version: tuple[object, ...]  # the row's (id, updated_at) as the query read it
    account: ProviderAccount
    gateway: SmsGateway


# Accounts by callback token, per process. Loading one through the ORM and decrypting
# its credentials took a quarter of a callback's CPU, yet the row rarely changes. One
# indexed query per request still checks the token and the row's updated_at (auto_now:
# every full save sets it; the partial saves of balance and last error touch nothing a
# callback reads), so an edited account (say a new password that signs callbacks)
# is reloaded at once and a deleted one is not served. Only tokens that exist are
# kept, so unknown ones cannot grow the cache. Callbacks only read the account and its
# gateway, so requests may share them.
_accounts: dict[str, _Known] = {}
_VERSION_SQL = (
    f"SELECT id, updated_at FROM {ProviderAccount._meta.db_table} "
    "WHERE callback_token = %s"
)


def _account(token: str) -> tuple[ProviderAccount, SmsGateway]:
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL, [token])
        row = cursor.fetchone()
    if row is None:
        _accounts.pop(token, None)
        raise Http404
    version = tuple(row)
    known = _accounts.get(token)
    if known is None or known.version != version:
        account = ProviderAccount.objects.filter(callback_token=token).first()
        if account is None:  # deleted in between
            raise Http404
        # Saved in between? Then the next request sees a newer version and reloads.
        known = _Known(version, account, gateway_for(account))
        _accounts[token] = known
    return known.account, known.gateway


def _reply(ack: CallbackAck) -> HttpResponse:
    return HttpResponse(ack.body, content_type=ack.content_type, status=ack.status)


@method_decorator(csrf_exempt, name="dispatch")
class CallbackView(View):
    """Shared shape: find the account, verify, parse, store, acknowledge."""

    http_method_names = ["get", "post"]  # some gateways report by GET

    def handle(self, account, gateway, inbound: InboundRequest) -> CallbackAck:
        raise NotImplementedError

    def dispatch(self, request: HttpRequest, token: str) -> HttpResponse:
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request)
        account, gateway = _account(token)
        inbound = InboundRequest.from_django(request)
        try:
            gateway.verify_callback(inbound)
            return _reply(self.handle(account, gateway, inbound))
        except CallbackRejected as exc:
            logger.warning("rejected callback for %s: %s", account, exc)
            return HttpResponse("rejected", status=400, content_type="text/plain")
        except NotSupported:
            raise Http404 from None
        except (GatewayProtocolError, BodyError) as exc:
            logger.warning("unreadable callback for %s: %s", account, exc)
            return HttpResponse(
                "unreadable body", status=400, content_type="text/plain"
            )


class StatusCallbackView(CallbackView):
    def handle(self, account, gateway, inbound: InboundRequest) -> CallbackAck:
        reports = gateway.parse_status_callback(inbound)
        result = message_statuses_apply(account=account, reports=reports)
        if result.orphaned:
            logger.info(
                "%d reports for ids not stored yet (%s)", result.orphaned, account
            )
        return gateway.status_callback_ack(inbound, reports)


class IncomingCallbackView(CallbackView):
    def handle(self, account, gateway, inbound: InboundRequest) -> CallbackAck:
        messages = gateway.parse_incoming_callback(inbound)
        replies_store(account=account, messages=messages)
        return gateway.incoming_callback_ack(inbound, messages)

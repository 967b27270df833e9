"""Gateway callbacks: delivery reports and incoming messages, for every gateway.

The URL carries the account's unguessable token: an unknown token gets a plain 404
that reveals nothing. Only a failed authenticity check (and a body we cannot read at
all) gets 400; unknown message ids and unmapped statuses are logged and acknowledged;
our own failures answer 500 so the gateway tries again.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from campaigns.inbox import replies_store
from campaigns.statuses import message_statuses_apply
from providers.base import CallbackAck, InboundRequest
from providers.exceptions import CallbackRejected, GatewayProtocolError, NotSupported
from providers.models import ProviderAccount
from providers.parsing import BodyError
from providers.registry import gateway_for

logger = logging.getLogger("campaigns.webhooks")


def _account(token: str) -> ProviderAccount:
    account = ProviderAccount.objects.filter(callback_token=token).first()
    if account is None:
        raise Http404
    return account


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
        account = _account(token)
        gateway = gateway_for(account)
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

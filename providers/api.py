"""Provider accounts in the REST API: list, connection check, sender names.

No endpoint returns credentials: not the login, password or token, nor the callback
token (it authenticates the gateway's callbacks).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Router, Schema

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from providers.models import ProviderAccount, SenderName
from providers.selectors import (
    account_capabilities,
    gateway_info,
    provider_account_list,
    sender_name_list,
    test_mode_problem,
)
from providers.services import provider_account_check, sender_name_request
from smsportal.api import permission_required, require_perm
from smsportal.api_input import InputSchema, ObjectId

router = Router(tags=["providers"])

VIEW_PERM = "providers.view_provideraccount"
CHANGE_PERM = "providers.change_provideraccount"


class ProviderOut(Schema):
    id: int
    name: str
    kind: str
    gateway: str
    dialect: str
    base_url: str
    is_active: bool
    test_mode: bool
    # Set when test mode is on at a gateway without one: nothing is sent through the
    # account (an account saved so before the forms refused it).
    test_mode_problem: str
    default_sender: str
    capabilities: list[str]
    balance: Decimal | None
    balance_currency: str
    balance_checked_at: datetime | None
    balance_alert: Decimal | None
    balance_low: bool
    last_error: str
    last_error_at: datetime | None


class BalanceOut(Schema):
    amount: Decimal
    currency: str
    messages_left: int | None


class SenderNameInfoOut(Schema):
    name: str
    state: str
    usable: bool
    operators: str
    comment: str


class CheckOut(Schema):
    ok: bool
    capabilities: list[str]
    balance: BalanceOut | None
    sender_names: list[SenderNameInfoOut]
    error: str
    error_kind: str


class SenderNameOut(Schema):
    id: int
    name: str
    state: str
    usable: bool
    operators: str
    comment: str
    synced_at: datetime | None


class SenderNameIn(InputSchema):
    answer_schema = SenderNameOut

    name: str
    comment: str = ""


def _provider_out(account: ProviderAccount) -> dict[str, Any]:
    return {
        "id": account.pk,
        "name": account.name,
        "kind": account.kind,
        "gateway": gateway_info(account.kind).label,
        "dialect": account.dialect,
        "base_url": account.base_url,
        "is_active": account.is_active,
        "test_mode": account.test_mode,
        "test_mode_problem": test_mode_problem(account),
        "default_sender": account.default_sender,
        "capabilities": sorted(account_capabilities(account)),
        "balance": account.balance,
        "balance_currency": account.balance_currency,
        "balance_checked_at": account.balance_checked_at,
        "balance_alert": account.balance_alert,
        "balance_low": account.balance_low,
        "last_error": account.last_error_message,
        "last_error_at": account.last_error_at,
    }


@router.get("", response=list[ProviderOut])
def provider_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Provider accounts with capabilities, last balance and last error."""
    require_perm(request, VIEW_PERM)
    return [_provider_out(account) for account in provider_account_list()]


@router.post("/{account_id}/check", response=CheckOut)
def provider_check(request: HttpRequest, account_id: ObjectId) -> dict[str, Any]:
    """Read balance and sender names now; a gateway error is `ok: false`, not a 5xx."""
    require_perm(request, CHANGE_PERM)
    account = get_object_or_404(ProviderAccount, pk=account_id)
    result = provider_account_check(account=account)
    return {
        "ok": result.ok,
        "capabilities": sorted(result.capabilities),
        "balance": result.balance,
        "sender_names": result.sender_names,
        "error": result.error,
        "error_kind": result.error_kind,
    }


@router.get("/{account_id}/senders", response=list[SenderNameOut])
def provider_senders(request: HttpRequest, account_id: ObjectId) -> Any:
    """Sender names stored for the account (as of the last sync)."""
    require_perm(request, VIEW_PERM)
    account = get_object_or_404(ProviderAccount, pk=account_id)
    return sender_name_list(account=account)


@router.post("/{account_id}/senders", response={201: SenderNameOut})
@permission_required(CHANGE_PERM)
def provider_sender_request(
    request: HttpRequest,
    response: HttpResponse,
    account_id: ObjectId,
    payload: SenderNameIn,
) -> SenderName:
    """Ask the gateway for a new sender name; 400 when it cannot take requests."""
    account = get_object_or_404(ProviderAccount, pk=account_id)
    row = sender_name_request(
        account=account, name=payload.name, comment=payload.comment
    )
    response.status_code = 201
    return row

"""Periodic provider work: balances and sender names, one task per account.

Gateway errors are recorded on the account by the services; the tasks only log them.
The next beat run is the retry: the data is informative, nothing is lost by waiting.
"""

import logging

from celery import shared_task

from providers.base import Capability
from providers.exceptions import GatewayConfigurationError, GatewayError
from providers.models import ProviderAccount
from providers.selectors import account_capabilities, active_accounts

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def balance_refresh(account_id: int) -> None:
    """Read and store one account's balance."""
    from providers.services import balance_refresh

    account = ProviderAccount.objects.filter(pk=account_id, is_active=True).first()
    if account is None or Capability.BALANCE not in account_capabilities(account):
        return
    try:
        balance_refresh(account=account)
    except (GatewayError, GatewayConfigurationError) as exc:
        logger.info("balance refresh of account %s failed: %s", account_id, exc)


@shared_task(ignore_result=True)
def sender_names_sync(account_id: int) -> None:
    """Mirror one account's sender names from its gateway."""
    from providers.services import sender_names_sync

    account = ProviderAccount.objects.filter(pk=account_id, is_active=True).first()
    if account is None or Capability.SENDER_NAMES not in account_capabilities(account):
        return
    try:
        sender_names_sync(account=account)
    except (GatewayError, GatewayConfigurationError) as exc:
        logger.info("sender name sync of account %s failed: %s", account_id, exc)


@shared_task(ignore_result=True)
def balances_refresh_all() -> None:
    """Queue a balance refresh for every active account."""
    for account_id in active_accounts().values_list("pk", flat=True):
        balance_refresh.delay(account_id)


@shared_task(ignore_result=True)
def sender_names_sync_all() -> None:
    """Queue a sender-name sync for every active account."""
    for account_id in active_accounts().values_list("pk", flat=True):
        sender_names_sync.delay(account_id)

"""Demo provider accounts pointed at the built-in simulator (`manage.py load_demo`).

One account per registered gateway, and var/simulator-accounts.json with the same
credentials and our callback URLs, which `make run` hands to the simulator process.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TextIO
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from providers.models import ProviderAccount
from providers.registry import GATEWAYS
from providers.selectors import gateway_info
from providers.services import provider_account_save
from providers.simulator.state import PRICE_PER_PART
from smsportal.fields import unreadable
from smsportal.lib.hosts import is_loopback_host

DEMO_SENDER = "SMSPORTAL"  # the simulator approves this name for every account
DEMO_BALANCE = Decimal("1000.00")
ACCOUNTS_FILE = "simulator-accounts.json"


def demo_name(kind: str) -> str:
    return f"Demo {GATEWAYS[kind][0]}"


def load(*, stdout: TextIO) -> list[ProviderAccount]:
    """Create the demo accounts (once) and write the simulator's accounts file."""
    accounts = []
    with transaction.atomic():
        for kind in GATEWAYS:
            account = _demo_account(kind, stdout)
            if account is not None:
                accounts.append(account)
    path = simulator_accounts_write()
    stdout.write(
        f"Demo provider accounts: {len(accounts)}; simulator accounts: {path}\n"
    )
    return accounts


def simulator_base_url(kind: str) -> str:
    return f"{settings.SMSPORTAL_SIMULATOR_URL.rstrip('/')}/{kind}"


def simulator_accounts_write() -> str:
    """Write every account that points at the simulator to the simulator's file.

    Accounts pointed elsewhere are left out: their credentials are real.
    """
    prefix = settings.SMSPORTAL_SIMULATOR_URL.rstrip("/") + "/"
    rows = [
        {
            "gateway": account.kind,
            "login": account.login,
            "password": account.password,
            "token": account.token,
            "balance": str(DEMO_BALANCE),
            "status_callback_url": account.callback_url,
            "incoming_callback_url": account.incoming_url,
        }
        for account in ProviderAccount.objects.filter(base_url__startswith=prefix)
    ]
    path = settings.VAR_DIR / ACCOUNTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=2) + "\n")
    path.chmod(0o600)  # demo credentials only, but credentials all the same
    return str(path)


def _demo_account(kind: str, stdout: TextIO) -> ProviderAccount | None:
    name = demo_name(kind)
    existing = ProviderAccount.objects.filter(name=name).first()
    if existing is not None:
        return _demo_account_refresh(existing)
    info = gateway_info(kind)
    if not info.available:
        stdout.write(f"Skipped demo account for {kind}: gateway module unavailable\n")
        return None
    account = ProviderAccount(
        name=name,
        kind=kind,
        dialect=info.dialects[0] if info.dialects else "",
        base_url=simulator_base_url(kind),
        login=f"demo-{kind}",
        default_sender=DEMO_SENDER,
        # The composer's cost estimate works from the start, as the simulator bills.
        tariff=PRICE_PER_PART,
        # A tenth of what the simulator starts with: the banner shows once a demo
        # account has sent most of its balance away.
        balance_alert=DEMO_BALANCE / 10,
    )
    return provider_account_save(
        account=account,
        new_password=f"demo-{kind}-password",
        new_token=f"demo-{kind}-token",
    )


def _is_demo_on_a_simulator(account: ProviderAccount) -> bool:
    """Still the demo's: its demo login, on a loopback simulator's path for its
    gateway. One pointed at the vendor or given a real login is left alone."""
    url = urlsplit(account.base_url)
    return (
        account.login == f"demo-{account.kind}"
        and is_loopback_host(url.hostname or "")
        and url.path.rstrip("/") == f"/{account.kind}"
    )


def _demo_account_refresh(account: ProviderAccount) -> ProviderAccount:
    """Point a demo account made by an earlier load at this run's simulator, with
    credentials this run's key reads. A `make run` again on another
    SMSPORTAL_SIMULATOR_PORT (the first port was taken) kept the accounts on the
    old port and wrote an empty accounts file, and after a change of SECRET_KEY
    their password could not be read: the demo sent nothing, silently."""
    if not _is_demo_on_a_simulator(account):
        return account
    base_url = simulator_base_url(account.kind)
    if account.base_url == base_url and not account.credentials_unreadable:
        return account
    account.base_url = base_url
    return provider_account_save(
        account=account,
        new_password=f"demo-{account.kind}-password",
        new_token=f"demo-{account.kind}-token",
        clear_callback_secret=unreadable(account.callback_secret),
    )

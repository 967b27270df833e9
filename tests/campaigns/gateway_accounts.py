"""Provider accounts pointed at the running simulator, one per gateway kind."""

from decimal import Decimal

from providers.models import ProviderAccount
from providers.simulator import SimAccount

LOGIN = "campaign-user"
PASSWORD = "campaign-secret"


def simulated_account(simulator, kind: str, *, balance: str = "1000.00", **fields):
    simulator.state.add_account(
        SimAccount(
            gateway=kind,
            login=LOGIN,
            password=PASSWORD,
            balance=Decimal(balance),
        )
    )
    defaults = {
        "name": f"{kind} simulated",
        "kind": kind,
        "base_url": f"{simulator.url}/{kind}",
        "login": LOGIN,
        "password": PASSWORD,
        "default_sender": "SMSPORTAL",
        "tariff": Decimal("2.00"),
    }
    defaults.update(fields)
    account, _ = ProviderAccount.objects.update_or_create(
        name=defaults.pop("name"), defaults=defaults
    )
    return account

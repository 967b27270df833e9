"""Provider accounts pointed at the running simulator, one per gateway kind."""

from decimal import Decimal

from providers.models import ProviderAccount
from providers.simulator import SimAccount

LOGIN = "campaign-user"
PASSWORD = "campaign-secret"


def simulated_account(
    simulator,
    kind: str,
    *,
    balance: str = "1000.00",
    callbacks_to: str = "",
    sim_callback_secret: str = "",
    **fields,
):
    """A ProviderAccount at the simulator; `callbacks_to` (a live server URL) makes the
    simulator push delivery reports and incoming messages to our callback views."""
    sim_account = simulator.state.add_account(
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
    # The gateway's cabinet holds the same signing secret as the account, unless a
    # test sets another (`sim_callback_secret`).
    sim_account.callback_secret = sim_callback_secret or fields.get(
        "callback_secret", ""
    )
    if callbacks_to:
        base = callbacks_to.rstrip("/")
        sim_account.status_callback_url = (
            f"{base}/callbacks/{account.callback_token}/status/"
        )
        sim_account.incoming_callback_url = (
            f"{base}/callbacks/{account.callback_token}/incoming/"
        )
    return account

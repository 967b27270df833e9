"""Provider accounts wired to the test simulator (shared by the providers app tests)."""

from decimal import Decimal

from providers.base import Capability
from providers.models import ProviderAccount
from providers.registry import GATEWAYS, gateway_class
from providers.simulator import SimAccount

LOGIN = "shop-login"
PASSWORD = "Sup3r-Secret-pa55word"
TOKEN = "tok-9f8e7d6c5b4a-secret"
SIM_BALANCE = Decimal("321.50")
SIM_SENDERS = {"SMSPORTAL": "active", "SHOPNEWS": "active"}

KINDS = list(GATEWAYS)


def kinds_with(capability: Capability) -> list[str]:
    return [k for k in KINDS if capability in gateway_class(k).capabilities]


def kinds_without(capability: Capability) -> list[str]:
    return [k for k in KINDS if capability not in gateway_class(k).capabilities]


def register(simulator, kind: str, **overrides) -> SimAccount:
    """The gateway's side of the account: same credentials, known balance and names."""
    fields = {
        "gateway": kind,
        "login": LOGIN,
        "password": PASSWORD,
        "token": TOKEN,
        "balance": SIM_BALANCE,
        "senders": dict(SIM_SENDERS),
        **overrides,
    }
    return simulator.state.add_account(SimAccount(**fields))


def make_account(simulator, kind: str, **overrides) -> ProviderAccount:
    """Our side of the account, pointed at the simulator."""
    cls = gateway_class(kind)
    fields = {
        "name": f"Shop {kind}",
        "kind": kind,
        "dialect": cls.dialects[0] if cls.dialects else "",
        "base_url": f"{simulator.url}/{kind}",
        "login": LOGIN,
        "password": PASSWORD,
        "token": TOKEN,
        "default_sender": "SMSPORTAL",
        **overrides,
    }
    return ProviderAccount.objects.create(**fields)


def account_at_simulator(simulator, kind: str, **overrides) -> ProviderAccount:
    register(simulator, kind)
    return make_account(simulator, kind, **overrides)

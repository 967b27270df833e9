from io import StringIO

import pytest

from django.core.management import CommandError, call_command

from providers.base import Capability
from providers.registry import gateway_class
from tests.providers.sim_accounts import (
    KINDS,
    PASSWORD,
    SIM_SENDERS,
    TOKEN,
    account_at_simulator,
    make_account,
    register,
)

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("gateway_check", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("kind", KINDS)
def test_prints_gateway_capabilities_balance_and_sender_names(simulator, kind):
    account = account_at_simulator(simulator, kind)

    out, err = run(account.name)

    cls = gateway_class(kind)
    assert cls.label in out
    assert Capability.BALANCE.value in out
    assert "321.50" in out
    if Capability.SENDER_NAMES in cls.capabilities:
        assert all(name in out for name in SIM_SENDERS)
    assert err == ""
    assert PASSWORD not in out
    assert TOKEN not in out


def test_finds_the_account_by_id(simulator):
    account = account_at_simulator(simulator, KINDS[0])

    out, _err = run(str(account.pk))

    assert account.name in out


def test_gateway_error_is_printed_with_a_non_zero_exit(simulator):
    register(simulator, KINDS[0])
    account = make_account(simulator, KINDS[0], password="bad", token="bad")
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("gateway_check", account.name, stdout=StringIO(), stderr=err)

    assert "auth" in err.getvalue()
    account.refresh_from_db()
    assert account.last_error


def test_unknown_account_is_an_error():
    with pytest.raises(CommandError, match="No provider account"):
        run("no-such-account")


def test_all_checks_every_active_account(simulator):
    accounts = [account_at_simulator(simulator, kind) for kind in KINDS]
    make_account(simulator, KINDS[0], name="Dormant", is_active=False)

    out, _err = run("--all")

    assert all(account.name in out for account in accounts)
    assert "Dormant" not in out


def test_account_or_all_is_required():
    with pytest.raises(CommandError):
        run()

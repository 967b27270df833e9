import json
from io import StringIO

import pytest

from django.core.management import call_command

from providers import demo
from providers.models import ProviderAccount
from providers.registry import GATEWAYS
from providers.services import provider_account_check
from providers.simulator import load_accounts

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_settings(settings, tmp_path, simulator):
    settings.VAR_DIR = tmp_path
    settings.SMSPORTAL_SIMULATOR_URL = simulator.url
    return settings


def test_one_account_per_gateway_pointed_at_the_simulator(demo_settings, simulator):
    accounts = demo.load(stdout=StringIO())

    assert sorted(a.kind for a in accounts) == sorted(GATEWAYS)
    for account in accounts:
        assert account.base_url == f"{simulator.url}/{account.kind}"
        assert account.is_active
        assert account.password


def test_loading_twice_creates_nothing_new(demo_settings):
    first = {a.pk for a in demo.load(stdout=StringIO())}
    second = {a.pk for a in demo.load(stdout=StringIO())}

    assert first == second
    assert ProviderAccount.objects.count() == len(GATEWAYS)


def test_simulator_file_matches_the_accounts(demo_settings, tmp_path):
    accounts = {a.kind: a for a in demo.load(stdout=StringIO())}

    rows = json.loads((tmp_path / "simulator-accounts.json").read_text())

    assert sorted(row["gateway"] for row in rows) == sorted(GATEWAYS)
    for row in rows:
        account = accounts[row["gateway"]]
        assert (row["login"], row["password"], row["token"]) == (
            account.login,
            account.password,
            account.token,
        )
        assert row["status_callback_url"] == account.callback_url
        assert row["incoming_callback_url"] == account.incoming_url


def test_accounts_pointed_elsewhere_stay_out_of_the_simulator_file(
    demo_settings, tmp_path
):
    ProviderAccount.objects.create(
        name="Real", kind=next(iter(GATEWAYS)), base_url="https://gw.example.test",
        login="real-login", password="real-password",
    )  # fmt: skip

    demo.load(stdout=StringIO())

    text = (tmp_path / "simulator-accounts.json").read_text()
    assert "real-password" not in text
    assert "real-login" not in text


def test_simulator_loaded_from_the_file_answers_every_demo_account(
    demo_settings, tmp_path, simulator
):
    accounts = demo.load(stdout=StringIO())

    load_accounts(simulator.state, tmp_path / "simulator-accounts.json")

    for account in accounts:
        result = provider_account_check(account=account)
        assert result.ok, (account.kind, result.error)
        account.refresh_from_db()
        assert account.balance == demo.DEMO_BALANCE
        # A warning level is set, and a fresh demo is not below it.
        assert account.balance_alert == demo.DEMO_BALANCE / 10
        assert not account.balance_low


def test_demo_tariffs_are_what_the_simulator_bills(demo_settings, tmp_path, simulator):
    from providers.base import OutgoingSms
    from providers.registry import gateway_for

    accounts = demo.load(stdout=StringIO())
    load_accounts(simulator.state, tmp_path / "simulator-accounts.json")

    for account in accounts:
        sms = OutgoingSms(reference=f"tariff-{account.kind}", phone="+79120000001",
                          text="One part", sender=demo.DEMO_SENDER)  # fmt: skip
        [result] = gateway_for(account).send([sms])
        assert result.gateway_message_id, (account.kind, result)
        left = gateway_for(account).balance().amount
        assert demo.DEMO_BALANCE - left == account.tariff, account.kind


def test_load_demo_command_creates_the_provider_accounts(demo_settings):
    call_command("load_demo", stdout=StringIO())

    assert ProviderAccount.objects.filter(name__startswith="Demo ").count() == len(
        GATEWAYS
    )


def test_a_second_load_on_another_simulator_port_moves_the_demo_accounts(
    demo_settings, tmp_path, simulator
):
    """`make run` again with another SMSPORTAL_SIMULATOR_PORT (the first was taken):
    the accounts kept the old port and the simulator's file came out empty."""
    demo_settings.SMSPORTAL_SIMULATOR_URL = "http://127.0.0.1:1"
    demo.load(stdout=StringIO())
    demo_settings.SMSPORTAL_SIMULATOR_URL = simulator.url

    accounts = demo.load(stdout=StringIO())

    rows = json.loads((tmp_path / "simulator-accounts.json").read_text())
    assert sorted(row["gateway"] for row in rows) == sorted(GATEWAYS)
    load_accounts(simulator.state, tmp_path / "simulator-accounts.json")
    for account in accounts:
        account.refresh_from_db()
        assert account.base_url == f"{simulator.url}/{account.kind}"
        assert provider_account_check(account=account).ok, account.kind


def test_a_load_under_a_new_secret_key_gives_the_demo_readable_credentials(
    demo_settings, tmp_path
):
    demo_settings.SMSPORTAL_FIELD_KEY = ""
    demo_settings.SECRET_KEY = "the-first-secret-key-" * 3
    demo.load(stdout=StringIO())
    demo_settings.SECRET_KEY = "another-secret-key-entirely-" * 3

    demo.load(stdout=StringIO())

    rows = json.loads((tmp_path / "simulator-accounts.json").read_text())
    for account in ProviderAccount.objects.all():
        assert not account.credentials_unreadable, account.kind
    assert {row["password"] for row in rows} == {
        f"demo-{kind}-password" for kind in GATEWAYS
    }


def test_a_demo_account_pointed_at_a_real_gateway_is_left_alone(
    demo_settings, tmp_path
):
    [account, *_] = demo.load(stdout=StringIO())
    account.base_url = "https://gw.example.test"
    account.login = "real-login"
    account.save()

    demo.load(stdout=StringIO())

    account.refresh_from_db()
    assert (account.base_url, account.login) == (
        "https://gw.example.test",
        "real-login",
    )


def test_load_demo_names_the_password_only_of_the_users_it_made(demo_settings):
    """A second run printed this run's password for users who keep their own (changed
    since, or made with another --password)."""
    from django.contrib.auth import get_user_model

    first = StringIO()
    call_command("load_demo", stdout=first)
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("changed-since-2026")
    admin.save()
    second = StringIO()

    call_command("load_demo", "--password", "another-one-2026", stdout=second)

    assert "Demo users (password 'demo-admin-2026')" in first.getvalue()
    assert "another-one-2026" not in second.getvalue()
    assert "keep the passwords they have" in second.getvalue()
    admin.refresh_from_db()
    assert admin.check_password("changed-since-2026")

import pytest

from providers import tasks
from providers.base import Capability
from providers.registry import gateway_class
from smsportal.celery import app
from tests.providers.sim_accounts import (
    KINDS,
    SIM_BALANCE,
    SIM_SENDERS,
    account_at_simulator,
    make_account,
    register,
)

pytestmark = pytest.mark.django_db


def test_balance_refresh_task_stores_the_balance(simulator):
    account = account_at_simulator(simulator, KINDS[0])

    tasks.balance_refresh.delay(account.pk)

    account.refresh_from_db()
    assert account.balance == SIM_BALANCE


def test_balance_refresh_task_records_a_gateway_error_without_raising(simulator):
    register(simulator, KINDS[0])
    account = make_account(simulator, KINDS[0], password="bad", token="bad")

    tasks.balance_refresh.delay(account.pk)

    account.refresh_from_db()
    assert account.last_error
    assert account.is_active


def test_tasks_ignore_deleted_and_inactive_accounts(simulator):
    account = account_at_simulator(simulator, KINDS[0], is_active=False)

    tasks.balance_refresh.delay(account.pk)
    tasks.sender_names_sync.delay(account.pk)
    tasks.balance_refresh.delay(987654)

    account.refresh_from_db()
    assert account.balance is None
    assert account.balance_checked_at is None


def test_balances_refresh_all_covers_every_active_account(simulator):
    active = [account_at_simulator(simulator, kind) for kind in KINDS]
    inactive = make_account(simulator, KINDS[0], name="Old", is_active=False)

    tasks.balances_refresh_all.delay()

    for account in active:
        account.refresh_from_db()
        assert account.balance == SIM_BALANCE, account.kind
    inactive.refresh_from_db()
    assert inactive.balance is None


def test_sender_names_sync_all_syncs_accounts_whose_gateway_lists_names(simulator):
    accounts = [account_at_simulator(simulator, kind) for kind in KINDS]

    tasks.sender_names_sync_all.delay()

    for account in accounts:
        names = set(account.sender_names.values_list("name", flat=True))
        listed = Capability.SENDER_NAMES in gateway_class(account.kind).capabilities
        assert names == (set(SIM_SENDERS) if listed else set()), account.kind


def test_beat_refreshes_balances_every_ten_minutes_and_names_every_six_hours():
    schedule = {
        entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()
    }

    assert schedule["providers.tasks.balances_refresh_all"] == 600
    assert schedule["providers.tasks.sender_names_sync_all"] == 6 * 3600
    assert "providers.tasks.balances_refresh_all" in app.tasks
    assert "providers.tasks.sender_names_sync_all" in app.tasks

"""The low-balance warning: a level per account, a banner on every page below it."""

import re
from decimal import Decimal

import pytest

from django.urls import reverse

from providers.models import ProviderAccount
from tests.providers.sim_accounts import (
    KINDS,
    LOGIN,
    PASSWORD,
    SIM_BALANCE,
    account_at_simulator,
    make_account,
)

pytestmark = pytest.mark.django_db


def with_balance(simulator, balance, alert, **overrides) -> ProviderAccount:
    account = make_account(simulator, KINDS[0], **overrides)
    ProviderAccount.objects.filter(pk=account.pk).update(
        balance=balance, balance_currency="RUB", balance_alert=alert
    )
    account.refresh_from_db()
    return account


BANNER = re.compile(
    r'<div id="low-balance"[^>]*>(?:\s*<div class="alert.*?</div>)?\s*</div>', re.S
)


def banner(html: str) -> str:
    """The low-balance banner's element (an empty one when no account is low)."""
    found = BANNER.search(html)
    assert found, "the page has no low-balance banner element"
    return found.group(0)


@pytest.mark.parametrize(
    ("balance", "alert", "low"),
    [
        (Decimal("99.99"), Decimal("100"), True),
        (Decimal("100"), Decimal("100"), False),  # at the level is not below it
        (Decimal("0"), None, False),  # no level set: never warned
        (None, Decimal("100"), False),  # never read: nothing to compare
    ],
)
def test_an_account_is_low_only_below_a_level_it_has(simulator, balance, alert, low):
    account = with_balance(simulator, balance, alert)

    assert account.balance_low is low


def test_every_page_warns_of_an_active_account_below_its_level(
    manager_client, simulator, settings
):
    settings.LANGUAGE_CODE = "en"
    low = with_balance(simulator, Decimal("12.5"), Decimal("100"), name="Shop low")
    with_balance(simulator, Decimal("500"), Decimal("100"), name="Shop fine")
    with_balance(simulator, Decimal("1"), Decimal("100"), name="Shop off",
                 is_active=False)  # fmt: skip

    for url in (reverse("dashboard"), reverse("contacts:list")):
        alert = banner(manager_client.get(url).content.decode())

        assert "Low balance" in alert
        assert f'data-low-balance="{low.pk}"' in alert
        assert reverse("providers:detail", args=[low.pk]) in alert
        assert "12.50 RUB" in alert
        assert "warning below 100.00" in alert
        assert "Shop fine" not in alert
        assert "Shop off" not in alert  # an account not in use does not nag


def test_no_banner_while_every_balance_is_above_its_level(manager_client, simulator):
    with_balance(simulator, Decimal("500"), Decimal("100"))

    html = manager_client.get(reverse("dashboard")).content.decode()

    assert "data-low-balance" not in banner(html)


def test_the_banner_reads_in_russian(manager_client, simulator):
    with_balance(simulator, Decimal("12.5"), Decimal("100"))

    alert = banner(manager_client.get(reverse("dashboard")).content.decode())

    assert "Баланс на исходе" in alert
    assert "предупреждать ниже 100,00" in alert


def test_the_banner_asks_to_top_up_one_account_or_several(manager_client, simulator):
    """Two accounts listed, and it still said "top it up"."""
    with_balance(simulator, Decimal("12.5"), Decimal("100"), name="Shop one")
    page = {"HTTP_ACCEPT_LANGUAGE": "en"}

    one = banner(manager_client.get(reverse("dashboard"), **page).content.decode())
    with_balance(simulator, Decimal("7"), Decimal("100"), name="Shop two")
    two = banner(manager_client.get(reverse("dashboard"), **page).content.decode())

    assert "Top it up at the gateway" in one
    assert "Top them up at their gateways" in two
    assert "Top it up" not in two


def test_account_pages_and_dashboard_mark_the_low_balance(admin_client, simulator):
    low = with_balance(simulator, Decimal("12.5"), Decimal("100"), name="Shop low")
    fine = with_balance(simulator, Decimal("500"), Decimal("100"), name="Shop fine")

    detail = admin_client.get(reverse("providers:detail", args=[low.pk]))
    fine_detail = admin_client.get(reverse("providers:detail", args=[fine.pk]))
    listing = admin_client.get(reverse("providers:list")).content.decode()
    dashboard = admin_client.get(reverse("dashboard")).content.decode()

    balance_line = detail.content.decode().split('id="account-balance"', 1)[1]
    assert "data-balance-low" in balance_line.split("</dd>", 1)[0]
    fine_line = fine_detail.content.decode().split('id="account-balance"', 1)[1]
    assert "data-balance-low" not in fine_line.split("</dd>", 1)[0]
    assert "100,00" in fine_line.split("</dd>", 1)[0]  # the level is shown anyway
    assert listing.count("data-balance-low") == 1
    assert dashboard.split('id="balances"', 1)[1].count("data-balance-low") == 1


def test_the_form_sets_the_level_and_refuses_a_negative_one(
    admin_client, simulator, settings
):
    settings.LANGUAGE_CODE = "en"
    account = make_account(simulator, KINDS[0])
    data = {
        "name": account.name, "kind": account.kind, "dialect": account.dialect,
        "base_url": account.base_url, "login": LOGIN, "rate_limit": 0,
        "is_active": "on", "new_password": PASSWORD,
    }  # fmt: skip
    url = reverse("providers:account_edit", args=[account.pk])

    refused = admin_client.post(url, data | {"balance_alert": "-5"})
    saved = admin_client.post(url, data | {"balance_alert": "250.5"})

    assert refused.status_code == 200
    assert refused.context["form"].errors["balance_alert"] == [
        "Ensure this value is greater than or equal to 0."
    ]
    assert saved.status_code == 302
    account.refresh_from_db()
    assert account.balance_alert == Decimal("250.50")


def test_a_check_that_reads_a_low_balance_raises_the_banner_at_once(
    admin_client, simulator
):
    account = account_at_simulator(simulator, KINDS[0], balance_alert=SIM_BALANCE + 1)

    response = admin_client.post(
        reverse("providers:account_check", args=[account.pk]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert '<div id="low-balance" hx-swap-oob="true">' in html
    assert f'data-low-balance="{account.pk}"' in banner(html)


def test_the_api_gives_the_level_and_whether_the_balance_is_below_it(
    admin_client, simulator
):
    low = with_balance(simulator, Decimal("12.5"), Decimal("100"), name="Shop low")
    unset = with_balance(simulator, Decimal("12.5"), None, name="Shop unset")

    listed = {p["id"]: p for p in admin_client.get("/api/v1/providers").json()}

    assert listed[low.pk]["balance_alert"] == "100.00"
    assert listed[low.pk]["balance_low"] is True
    assert listed[unset.pk]["balance_alert"] is None
    assert listed[unset.pk]["balance_low"] is False


def test_the_account_list_groups_money_as_the_dashboard_does(admin_client):
    """The dashboard said "1 000,00 RUB", the account list "1000,00 RUB"."""
    ProviderAccount.objects.create(
        name="Big", kind="smsc", base_url="http://127.0.0.1:9/smsc",
        balance=Decimal("1234567.5"), balance_currency="RUB",
    )  # fmt: skip

    html = admin_client.get(
        reverse("providers:list"), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    assert "1\xa0234\xa0567,50 ₽" in html
    # Kept on one line in the narrow column.
    assert 'class="text-nowrap" data-balance-amount>1\xa0234\xa0567,50 ₽<' in html


def test_the_rouble_is_its_sign_on_a_russian_page_and_its_code_on_an_english_one():
    """Russian pages wrote «1 000,00 RUB»: a Russian reader writes «1 000,00 ₽». A code
    with no sign of its own stays as the gateway said it."""
    from django.utils import translation

    from providers.money import balance_text

    with translation.override("ru"):
        assert balance_text(Decimal("1234.5"), "RUB") == "1\xa0234,50 ₽"
        assert balance_text(Decimal("10"), "KZT") == "10,00 KZT"
        assert balance_text(Decimal("10"), "") == "10,00"
    with translation.override("en"):
        assert balance_text(Decimal("1234.5"), "RUB").endswith(" RUB")

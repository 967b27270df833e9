from dataclasses import replace

import pytest

from django.utils import translation

from providers.base import Capability, SenderNameInfo
from providers.exceptions import AuthenticationFailed, GatewayUnavailable
from providers.models import ProviderAccount, SenderName
from providers.registry import gateway_class
from providers.services import (
    SENDER_NAME_RE,
    CheckResult,
    _store_sender_names,
    balance_refresh,
    error_message,
    provider_account_check,
    provider_account_save,
    sender_name_request,
    sender_names_sync,
)
from providers.simulator import Fault
from smsportal.exceptions import ApplicationError
from tests.providers.sim_accounts import (
    KINDS,
    PASSWORD,
    SIM_BALANCE,
    SIM_SENDERS,
    TOKEN,
    account_at_simulator,
    kinds_with,
    kinds_without,
    make_account,
    register,
)

pytestmark = pytest.mark.django_db

CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard port: nothing listens on loopback


# provider_account_check --------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_check_reads_and_stores_balance_and_sender_names(simulator, kind):
    account = account_at_simulator(simulator, kind)

    result = provider_account_check(account=account)

    assert result.ok, result.error
    assert result.balance is not None
    assert result.balance.amount == SIM_BALANCE
    account.refresh_from_db()
    assert account.balance == SIM_BALANCE
    assert account.balance_checked_at is not None
    assert account.last_error == ""
    if Capability.SENDER_NAMES in result.capabilities:
        assert {s.name for s in result.sender_names} == set(SIM_SENDERS)
        stored = set(account.sender_names.values_list("name", flat=True))
        assert stored == set(SIM_SENDERS)
    else:
        assert result.sender_names == []


@pytest.mark.parametrize("kind", KINDS)
def test_check_records_refused_credentials_and_keeps_the_account_active(
    simulator, kind
):
    register(simulator, kind)
    account = make_account(
        simulator, kind, password="wrong-password", token="wrong-token"
    )

    result = provider_account_check(account=account)

    assert not result.ok
    assert result.error_kind == "auth"
    account.refresh_from_db()
    assert account.is_active
    assert account.last_error == result.error != ""
    assert account.last_error_at is not None
    assert "wrong-password" not in account.last_error


@pytest.mark.parametrize("kind", KINDS)
def test_check_records_an_unreachable_gateway(simulator, kind):
    account = make_account(simulator, kind, base_url=CLOSED_PORT_URL)

    result = provider_account_check(account=account)

    assert (result.ok, result.error_kind) == (False, "unavailable")
    account.refresh_from_db()
    assert account.last_error
    assert account.balance is None
    with translation.override("ru"):
        said = error_message(GatewayUnavailable(kind, "cannot connect: ConnectError"))
    # In the reader's words only: the transport's English is for the log.
    assert said == (
        "Не удалось связаться со шлюзом: нет соединения с его адресом; проверьте "
        "адрес и сеть"
    )


def test_check_records_a_server_error(simulator):
    account = account_at_simulator(simulator, KINDS[0])
    simulator.state.add_fault(account.kind, Fault(mode="http503", count=-1))

    result = provider_account_check(account=account)

    assert result.error_kind == "unavailable"
    assert "503" in result.error


def test_successful_check_clears_the_previous_error(simulator):
    account = account_at_simulator(simulator, KINDS[0])
    ProviderAccount.objects.filter(pk=account.pk).update(last_error="old trouble")
    account.refresh_from_db()

    assert provider_account_check(account=account).ok

    account.refresh_from_db()
    assert (account.last_error, account.last_error_at) == ("", None)


# balance_refresh ----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_check_result_survives_a_trip_through_json(simulator, kind):
    """It waits in the session across the redirect after "save and check"."""
    import json

    account = account_at_simulator(simulator, kind)
    result = provider_account_check(account=account)
    refused = provider_account_check(
        account=make_account(simulator, kind, name="Refused", password="x", token="x")
    )

    for check in (result, refused):
        again = CheckResult.from_dict(json.loads(json.dumps(check.as_dict())))
        assert again == replace(
            check,
            balance=check.balance and replace(check.balance, raw=""),
        )
    assert result.ok
    assert not refused.ok


def test_balance_refresh_stores_the_balance(simulator):
    account = account_at_simulator(simulator, KINDS[0])

    balance = balance_refresh(account=account)

    account.refresh_from_db()
    assert balance.amount == account.balance == SIM_BALANCE


def test_balance_refresh_records_the_error_and_reraises(simulator):
    register(simulator, KINDS[0])
    account = make_account(simulator, KINDS[0], password="nope", token="nope")

    with pytest.raises(AuthenticationFailed):
        balance_refresh(account=account)

    account.refresh_from_db()
    assert account.last_error


# sender names ------------------------------------------------------------------


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAMES))
def test_sync_upserts_names_and_deletes_those_gone_at_the_gateway(simulator, kind):
    account = account_at_simulator(simulator, kind)
    kept = SenderName.objects.create(account=account, name="SMSPORTAL", state="old")
    SenderName.objects.create(account=account, name="RETIRED", usable=True)

    rows = sender_names_sync(account=account)

    assert {row.name for row in rows} == set(SIM_SENDERS)
    names = dict(account.sender_names.values_list("name", "pk"))
    assert set(names) == set(SIM_SENDERS)
    assert names["SMSPORTAL"] == kept.pk
    kept.refresh_from_db()
    assert kept.usable
    assert kept.synced_at is not None


PARTIAL_LISTS = [
    k for k in kinds_with(Capability.SENDER_NAME_ADD)
    if not gateway_class(k).sender_list_complete
]  # fmt: skip
COMPLETE_LISTS = [
    k for k in kinds_with(Capability.SENDER_NAMES)
    if gateway_class(k).sender_list_complete
]  # fmt: skip


def test_smsc_lists_only_approved_sender_names():
    """REFERENCE §2.10: senders.php?get=1 lists registered and approved names."""
    assert "smsc" in PARTIAL_LISTS
    assert "webcom" in COMPLETE_LISTS


@pytest.mark.parametrize("kind", PARTIAL_LISTS)
def test_a_requested_name_outlives_syncs_until_the_gateway_lists_it(simulator, kind):
    """The gateway lists only approved names: a request in moderation is not in its
    list, and a sync (or a check, or the periodic job) used to delete it."""
    from providers.tasks import sender_names_sync as sync_task

    sim_account = register(simulator, kind)
    account = make_account(simulator, kind)
    requested = sender_name_request(account=account, name="MyShop")
    assert not requested.usable

    rows = sender_names_sync(account=account)
    provider_account_check(account=account)
    sync_task(account.pk)

    assert "MyShop" not in {row.name for row in rows}  # the gateway did not list it
    kept = account.sender_names.get(name="MyShop")
    assert (kept.pk, kept.state, kept.usable) == (
        requested.pk, requested.state, False
    )  # fmt: skip

    sim_account.senders["MyShop"] = "active"  # approved at the gateway
    sender_names_sync(account=account)

    approved = account.sender_names.get(name="MyShop")
    assert approved.pk == requested.pk
    assert approved.usable


@pytest.mark.parametrize("kind", PARTIAL_LISTS)
def test_an_approved_name_the_gateway_stops_listing_is_deleted(simulator, kind):
    sim_account = register(simulator, kind)
    account = make_account(simulator, kind)
    sender_names_sync(account=account)
    assert account.sender_names.filter(name="SHOPNEWS", usable=True).exists()

    del sim_account.senders["SHOPNEWS"]
    sender_names_sync(account=account)

    assert not account.sender_names.filter(name="SHOPNEWS").exists()


@pytest.mark.parametrize("kind", PARTIAL_LISTS)
def test_a_request_approved_in_other_letters_leaves_one_row(simulator, kind):
    sim_account = register(simulator, kind)
    account = make_account(simulator, kind)
    sender_name_request(account=account, name="MyShop")
    del sim_account.senders["MyShop"]
    sim_account.senders["MYSHOP"] = "active"

    sender_names_sync(account=account)

    assert list(
        account.sender_names.filter(name__iexact="myshop").values_list("name", "usable")
    ) == [("MYSHOP", True)]


@pytest.mark.parametrize("kind", COMPLETE_LISTS)
def test_where_the_list_is_complete_an_unlisted_waiting_name_is_deleted(
    simulator, kind
):
    """Webcom lists names in every state: one it no longer lists is gone for good."""
    account = account_at_simulator(simulator, kind)
    SenderName.objects.create(account=account, name="DROPPED", state="order")

    sender_names_sync(account=account)

    assert not account.sender_names.filter(name="DROPPED").exists()
    assert set(account.sender_names.values_list("name", flat=True)) == set(SIM_SENDERS)


@pytest.mark.parametrize("kind", kinds_without(Capability.SENDER_NAMES))
def test_sync_is_refused_where_the_gateway_lists_no_names(simulator, kind):
    account = account_at_simulator(simulator, kind)

    with pytest.raises(ApplicationError):
        sender_names_sync(account=account)


def test_sync_records_an_unreachable_gateway(simulator):
    kind = kinds_with(Capability.SENDER_NAMES)[0]
    account = make_account(simulator, kind, base_url=CLOSED_PORT_URL)

    with pytest.raises(GatewayUnavailable):
        sender_names_sync(account=account)

    account.refresh_from_db()
    assert account.last_error


def test_duplicate_names_merge_and_overlong_or_unsendable_names_are_skipped(
    simulator,
):
    account = make_account(simulator, KINDS[0])
    names = [
        SenderNameInfo("SHOP", "moderation", False, operators="MTS"),
        SenderNameInfo("SHOP", "active", True, operators="Beeline"),
        SenderNameInfo("X" * 30, "active", True),
        # Nothing can be sent from it, and NUL would not even store.
        SenderNameInfo("BAD\x00", "active", True),
        SenderNameInfo("NEWS", "active\x00", True, comment="ok\x00"),
    ]

    rows = _store_sender_names(account, names)

    row, news = rows
    assert (row.name, row.state, row.usable) == ("SHOP", "active", True)
    assert row.operators == "MTS, Beeline"
    assert (news.name, news.state, news.comment) == ("NEWS", "active", "ok")
    assert account.sender_names.count() == 2


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAME_ADD))
def test_sender_name_request_reaches_the_gateway(simulator, kind):
    sim_account = register(simulator, kind)
    account = make_account(simulator, kind)

    row = sender_name_request(account=account, name="NEWBRAND", comment="promo")

    assert row.pk is not None
    assert row.name == "NEWBRAND"
    assert "NEWBRAND" in sim_account.senders


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAME_ADD))
@pytest.mark.parametrize("asked", ["SMSPORTAL", "smsportal"])
def test_an_approved_name_is_not_requested_again(simulator, kind, asked, settings):
    """Asked again, SMSC put it back into moderation and Webcom forgot its operators:
    the account's default sender stopped working."""
    settings.LANGUAGE_CODE = "en"
    sim_account = register(simulator, kind)
    account = make_account(simulator, kind)
    SenderName.objects.create(
        account=account, name="SMSPORTAL", state="active", usable=True,
        operators="MTS (250/01)",
    )  # fmt: skip
    before = dict(sim_account.senders)

    with pytest.raises(ApplicationError) as caught:
        sender_name_request(account=account, name=asked)

    assert caught.value.where == "name"
    assert "already has the sender name “SMSPORTAL”, approved" in caught.value.message
    assert sim_account.senders == before  # the gateway was not asked
    row = account.sender_names.get()
    assert (row.usable, row.operators) == (True, "MTS (250/01)")


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAME_ADD))
def test_a_name_waiting_or_refused_may_be_asked_for_again(simulator, kind):
    sim_account = register(simulator, kind)
    account = make_account(simulator, kind)
    SenderName.objects.create(account=account, name="NEWBRAND", usable=False)

    row = sender_name_request(account=account, name="NEWBRAND")

    assert row.name == "NEWBRAND"
    assert "NEWBRAND" in sim_account.senders


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAME_ADD))
@pytest.mark.parametrize(
    "name", ["", "WAY-TOO-LONG-NAME", "Привет", "1234567890123456"]
)
def test_sender_name_request_rejects_invalid_names(simulator, kind, name):
    account = account_at_simulator(simulator, kind)

    with pytest.raises(ApplicationError) as caught:
        sender_name_request(account=account, name=name)

    assert caught.value.where == "name"
    assert not account.sender_names.exists()


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAME_ADD))
def test_sender_name_message_and_help_say_what_the_rule_accepts(simulator, kind):
    from django.utils import translation

    from providers.forms import SenderNameRequestForm

    account = account_at_simulator(simulator, kind)
    # Spaces and every listed mark pass the rule...
    for name in ("My Shop", "A.B-C_D!&'"):
        assert SENDER_NAME_RE.match(name), name
    with translation.override("en"):
        with pytest.raises(ApplicationError) as caught:
            sender_name_request(account=account, name="Shop@Home")
        help_text = str(SenderNameRequestForm().fields["name"].help_text)
    # ... so the message and the form's help name both.
    for text in (str(caught.value), help_text):
        assert "spaces" in text
        assert ". - _ ! & '" in text
        assert "15 digits" in text


@pytest.mark.parametrize("kind", kinds_without(Capability.SENDER_NAME_ADD))
def test_sender_name_request_is_refused_without_the_capability(simulator, kind):
    account = account_at_simulator(simulator, kind)

    with pytest.raises(ApplicationError) as caught:
        sender_name_request(account=account, name="NEWBRAND")

    assert caught.value.where == "name"
    assert not account.sender_names.exists()


# provider_account_save ----------------------------------------------------------


def test_blank_secrets_keep_the_stored_ones(simulator):
    account = make_account(simulator, KINDS[0])
    account.login = "renamed"

    provider_account_save(account=account, new_password="", new_token="")

    account.refresh_from_db()
    assert (account.login, account.password, account.token) == (
        "renamed",
        PASSWORD,
        TOKEN,
    )


def test_new_secrets_replace_and_clear_erases(simulator):
    account = make_account(simulator, KINDS[0])

    provider_account_save(account=account, new_password="fresh-one", clear_token=True)

    account.refresh_from_db()
    assert (account.password, account.token) == ("fresh-one", "")


@pytest.mark.parametrize("kind", KINDS)
def test_gateway_defaults_fill_dialect_and_base_url(kind):
    cls = gateway_class(kind)
    account = ProviderAccount(name="New", kind=kind, login="x")

    provider_account_save(account=account, new_password="pw")

    account.refresh_from_db()
    assert account.base_url == cls.default_base_url
    assert account.dialect == (cls.dialects[0] if cls.dialects else "")


def test_a_dialect_of_another_gateway_is_refused():
    kind = next(k for k in KINDS if gateway_class(k).dialects)
    account = ProviderAccount(
        name="Odd", kind=kind, dialect="no-such-dialect", base_url="http://x.test"
    )

    with pytest.raises(ApplicationError) as caught:
        provider_account_save(account=account)

    assert caught.value.where == "dialect"
    assert account.pk is None


def test_check_of_an_unavailable_gateway_kind_is_recorded_not_raised():
    account = ProviderAccount.objects.create(
        name="Legacy", kind="retired", base_url="https://old.example.test"
    )

    result = provider_account_check(account=account)

    assert (result.ok, result.error_kind) == (False, "configuration")
    assert result.capabilities == frozenset()
    account.refresh_from_db()
    assert "retired" in account.last_error

import logging

import pytest

from django.db import connection

from providers.registry import gateway_class
from providers.services import provider_account_check
from tests.providers.sim_accounts import (
    KINDS,
    LOGIN,
    PASSWORD,
    TOKEN,
    account_at_simulator,
    make_account,
    register,
)

pytestmark = pytest.mark.django_db


def stored_columns(account) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT password, token FROM providers_provideraccount WHERE id = %s",
            [account.pk],
        )
        return cursor.fetchone()


def test_secrets_are_ciphertext_in_the_database(simulator):
    account = make_account(simulator, KINDS[0])

    password_column, token_column = stored_columns(account)

    for column, plain in ((password_column, PASSWORD), (token_column, TOKEN)):
        assert column.startswith("fernet:")
        assert plain not in column
    account.refresh_from_db()
    assert (account.password, account.token) == (PASSWORD, TOKEN)


def test_blank_secrets_stay_blank(simulator):
    account = make_account(simulator, KINDS[0], password="", token="")

    assert stored_columns(account) == ("", "")


def test_callback_urls_carry_the_accounts_token(settings, simulator):
    settings.SMSPORTAL_CALLBACK_BASE_URL = "https://sms.example.test/"
    account = make_account(simulator, KINDS[0])
    token = account.callback_token

    assert account.callback_url == f"https://sms.example.test/callbacks/{token}/status/"
    assert (
        account.incoming_url == f"https://sms.example.test/callbacks/{token}/incoming/"
    )
    assert len(token) >= 24
    assert make_account(simulator, KINDS[0], name="Other").callback_token != token


# httpx logs request URLs at INFO and Webcom's HTTP GET dialect carries credentials in
# the query string: settings keep the "httpx" logger at WARNING, which this proves.
KIND_DIALECTS = [
    (kind, dialect)
    for kind in KINDS
    for dialect in (gateway_class(kind).dialects or ("",))
]


@pytest.mark.parametrize(("kind", "dialect"), KIND_DIALECTS)
def test_credentials_never_reach_the_logs(simulator, caplog, kind, dialect):
    caplog.set_level(logging.DEBUG)
    ok_account = account_at_simulator(simulator, kind, dialect=dialect)
    register(simulator, kind, login="refused-login")
    refused = make_account(
        simulator,
        kind,
        dialect=dialect,
        name="Refused",
        login="refused-login",
        password="Wr0ng-pa55",
        token="Wr0ng-t0ken",
    )

    provider_account_check(account=ok_account)
    provider_account_check(account=refused)

    # The simulator plays the vendor: its own request log is not ours.
    ours = [r for r in caplog.records if not r.name.startswith("providers.simulator")]
    assert ours  # the exchanges were logged, redacted
    text = "\n".join(record.getMessage() for record in ours)
    for secret in (PASSWORD, TOKEN, LOGIN, "Wr0ng-pa55", "Wr0ng-t0ken"):
        assert secret not in text

"""An account's last error reads in the reader's language, whoever met it."""

import pytest

from django.urls import reverse
from django.utils import translation

from campaigns.forms import account_option_label
from campaigns.sending import _note_account_error
from providers.error_text import error_record, error_text
from providers.exceptions import AuthenticationFailed, GatewayRefused
from providers.services import provider_account_check
from tests.providers.sim_accounts import KINDS, make_account

pytestmark = pytest.mark.django_db

CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard port: nothing listens on loopback
UNREACHABLE_RU = (
    "Не удалось связаться со шлюзом: нет соединения с его адресом; проверьте адрес и "
    "сеть"
)
UNREACHABLE_EN = (
    "The gateway could not be reached: no connection to its address; check the "
    "address and network"
)


def test_an_error_met_in_english_reads_in_russian_on_the_account_page(
    admin_client, simulator
):
    account = make_account(simulator, KINDS[0], base_url=CLOSED_PORT_URL)
    with translation.override("en"):  # an English-speaking admin pressed "check"
        provider_account_check(account=account)

    page = admin_client.get(
        reverse("providers:detail", args=[account.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    assert UNREACHABLE_RU in page
    assert UNREACHABLE_EN not in page
    account.refresh_from_db()
    with translation.override("ru"):
        assert account_option_label(account) == (
            f"{account.name} — не удалось связаться со шлюзом"
        )


def test_an_error_a_worker_met_in_russian_reads_in_english_in_the_api(
    admin_client, simulator
):
    account = make_account(simulator, KINDS[0])
    with translation.override("ru"):  # a worker's batch, in the site's language
        _note_account_error(
            account,
            GatewayRefused(account.kind, "Неверный отправитель", vendor_code="12"),
        )

    [row] = admin_client.get("/api/v1/providers", HTTP_ACCEPT_LANGUAGE="en").json()

    # Our words in the reader's language; the gateway's own as it said them.
    assert row["last_error"] == (
        "The gateway refused the request: Неверный отправитель (code 12)"
    )
    account.refresh_from_db()
    with translation.override("en"):
        assert account_option_label(account) == (
            f"{account.name} — the gateway refused the request"
        )


def test_the_record_keeps_no_words_of_ours():
    exc = AuthenticationFailed(
        "smsc", "ERROR = 2 (invalid login)", vendor_code="2", status=401
    )

    record = error_record(exc)

    assert record == {
        "kind": "auth",
        "detail": "ERROR = 2 (invalid login)",
        "code": "2",
        "status": 401,
    }
    with translation.override("ru"):
        assert error_text(record).startswith("Ошибка авторизации")
    with translation.override("en"):
        assert error_text(record).startswith("Authentication failed: ")


def test_a_gateway_text_a_json_column_refuses_is_stored_cleaned(simulator):
    account = make_account(simulator, KINDS[0])
    # A NUL and a lone surrogate, as a gateway's JSON answer may carry them.
    _note_account_error(account, GatewayRefused(account.kind, "bad\x00 \ud800text"))

    account.refresh_from_db()
    assert account.last_error_record["detail"] == "bad ?text"
    with translation.override("en"):
        assert (
            account.last_error_message == "The gateway refused the request: bad ?text"
        )


def test_an_error_stored_before_records_shows_as_stored(simulator):
    account = make_account(simulator, KINDS[0], last_error="Шлюз недоступен")

    with translation.override("en"):
        assert account.last_error_message == "Шлюз недоступен"

"""An account's last error reads in the reader's language, whoever met it."""

import pytest
import respx

from django.urls import reverse
from django.utils import translation

from campaigns.forms import account_option_label
from campaigns.sending import _note_account_error
from providers.base import AccountConfig
from providers.error_text import error_record, error_text
from providers.exceptions import (
    AuthenticationFailed,
    GatewayRefused,
    GatewayUnavailable,
    PartlyCancelled,
    PartlySent,
    RateLimited,
)
from providers.http import GatewayHttp
from providers.services import provider_account_check
from providers.simulator import Fault
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


@pytest.mark.parametrize("mode", ["http500", "http502", "http503"])
def test_a_server_error_reads_as_the_gateways_error_not_as_unreachable(simulator, mode):
    """The gateway was reached and answered 5xx: it failed, it was not out of reach
    (the address and network are fine; nothing to check on our side)."""
    account = make_account(simulator, KINDS[0])
    simulator.state.add_fault(KINDS[0], Fault(mode=mode, count=-1))
    status = mode.removeprefix("http")

    provider_account_check(account=account)

    account.refresh_from_db()
    with translation.override("en"):
        said = account.last_error_message
        head = account_option_label(account)
    assert said == f"The gateway answered with an error: server error (HTTP {status})"
    assert head == f"{account.name} — the gateway answered with an error"


def test_a_refusal_to_wait_reads_as_the_gateways_answer_not_as_no_connection():
    """SMSC's error 9 (wait a minute) to a withdrawal: an answer, with its code,
    though no HTTP status was kept with it."""
    exc = RateLimited("smsc", "SMSC error 9: too many requests", vendor_code="9")

    with translation.override("en"):
        said = error_text(error_record(exc))

    assert said == (
        "The gateway answered with an error: SMSC error 9: too many requests (code 9)"
    )


@pytest.mark.parametrize("mode", ["http500", "http503"])
def test_a_server_error_reads_in_russian_without_english_words(
    admin_client, simulator, mode
):
    """Our HTTP layer's «server error» was kept as the gateway's text: a Russian page
    read «Шлюз ответил ошибкой: server error (HTTP 500)»."""
    account = make_account(simulator, KINDS[0])
    simulator.state.add_fault(KINDS[0], Fault(mode=mode, count=-1))
    with translation.override("en"):  # met by an English-speaking admin
        provider_account_check(account=account)

    page = admin_client.get(
        reverse("providers:detail", args=[account.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    status = mode.removeprefix("http")
    assert f"Шлюз ответил ошибкой: ошибка сервера (HTTP {status})" in page
    assert "server error" not in page


def test_a_login_refused_by_http_status_reads_in_russian():
    """A 401 (a single odd response): «credentials refused» was our English."""
    http = GatewayHttp(AccountConfig(kind="smsc", base_url="http://odd.test"))
    with respx.mock(base_url="http://odd.test") as mock:
        mock.get("/balance").respond(401, text="Unauthorized")
        with pytest.raises(AuthenticationFailed) as caught:
            http.request("GET", "/balance")

    with translation.override("ru"):
        said = error_text(error_record(caught.value))
    assert said.endswith("Ответ шлюза: учётные данные отклонены (HTTP 401)"), said
    assert "credentials refused" in str(caught.value)  # the log's words


def test_an_error_recorded_before_the_reasons_reads_in_russian_too():
    """Records stored with the HTTP layer's English text as their detail."""
    record = {"kind": "unavailable", "detail": "server error", "status": 500}

    with translation.override("ru"):
        assert error_text(record) == "Шлюз ответил ошибкой: ошибка сервера (HTTP 500)"


def test_a_batch_stopped_part_way_reads_as_what_stopped_it():
    """«3 submitted, then: no answer: ReadTimeout» was shown as the gateway's words."""
    cause = GatewayUnavailable("smsc", "no answer: ReadTimeout", outcome_unknown=True)

    for wrapped in (
        PartlySent("smsc", results=[1, 2, 3], cause=cause),
        PartlyCancelled("smsc", cancelled=["1"], cause=cause),
    ):
        with translation.override("ru"):
            said = error_text(error_record(wrapped))
        assert (
            said == "Не удалось связаться со шлюзом: его ответ оборвался или не пришёл"
        )
        assert "ReadTimeout" in str(wrapped)  # the log keeps the transport's words

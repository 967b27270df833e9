"""A gateway's error text that repeats the request (a proxy's error page, a vendor
quoting what it refused) keeps the account's secrets masked, as the raw body does:
its words reach the account's page, the API and the log."""

import logging

import httpx
import pytest
import respx

from django.urls import reverse

from providers.base import AccountConfig, OutgoingSms
from providers.exceptions import GatewayError, PartlySent
from providers.models import ProviderAccount
from providers.registry import gateway_class
from providers.services import provider_account_check
from tests.providers.samples import vendor_sample

pytestmark = pytest.mark.django_db

BASE_URL = "http://gateway.test/api"
PASSWORD = "pa$$-Секрет-42"
TOKEN = "tok-0123456789abcdef"

# Each gateway's answer quoting the password: as its error text, or in an answer it
# cannot read at all (whose start the message quotes).
ECHOES = {
    "smsc": [
        '{"error": "wrong psw ' + PASSWORD + '", "error_code": 2}',
    ],
    "websms": [
        "Bad request: http_username=echo-login&http_password=" + PASSWORD,
        "<html>http_password=" + PASSWORD,
    ],
    "webcom": [
        "<response><error>password " + PASSWORD + " is wrong</error></response>",
    ],
}
CASES = [(kind, body) for kind, bodies in ECHOES.items() for body in bodies]


@pytest.mark.parametrize(("kind", "body"), CASES)
def test_a_failed_check_shows_no_secret(kind, body, viewer_client, caplog):
    caplog.set_level(logging.INFO)
    account = ProviderAccount.objects.create(
        name="Echo", kind=kind, base_url=BASE_URL, login="echo-login",
        password=PASSWORD,
    )  # fmt: skip
    with respx.mock(assert_all_called=False) as mock:
        mock.route().mock(return_value=httpx.Response(200, text=body))
        result = provider_account_check(account=account)

    assert not result.ok
    account.refresh_from_db()
    assert account.last_error  # the error is there, its secret masked
    stored = account.last_error + str(account.last_error_record) + result.error
    assert PASSWORD not in stored
    for url in (
        reverse("providers:list"),
        reverse("providers:detail", args=[account.pk]),
    ):
        assert PASSWORD not in viewer_client.get(url).content.decode()
    assert PASSWORD not in caplog.text


def test_a_batch_cut_short_masks_its_cause_too():
    config = AccountConfig(
        kind="websms", base_url=BASE_URL, login="echo-login", password=PASSWORD
    )
    gateway = gateway_class("websms")(config)
    messages = [
        OutgoingSms(
            reference=str(i), phone=f"+7912000000{i}", text="Hi", sender="SMSPORTAL"
        )
        for i in range(2)
    ]
    answers = iter(
        [
            httpx.Response(200, content=vendor_sample("websms", "send_ok.txt")),
            httpx.Response(200, text="Refused: http_password=" + PASSWORD),
        ]
    )
    with respx.mock(assert_all_called=False) as mock:
        mock.route().mock(side_effect=lambda request: next(answers))
        with pytest.raises(GatewayError) as caught:
            gateway.send(messages)

    error = caught.value
    assert isinstance(error, PartlySent)
    assert len(error.results) == 1
    assert PASSWORD not in str(error)
    assert PASSWORD not in error.cause.message

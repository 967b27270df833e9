"""The callback signing secret on the account pages and in the admin: entered like a
password (write-only, stored encrypted), offered for the gateways that sign."""

import pytest

from django.db import connection
from django.urls import reverse

from providers.models import ProviderAccount
from smsportal.lib.crypto import mask
from tests.providers.sim_accounts import make_account
from tests.providers.test_admin import change_data

pytestmark = pytest.mark.django_db
SECRET = "Секрет-из-кабинета-SMSC"


def edit_data(account: ProviderAccount, **changes) -> dict:
    return {
        "name": account.name, "kind": account.kind, "dialect": account.dialect,
        "base_url": account.base_url, "login": account.login, "rate_limit": 0,
        "is_active": "on", **changes,
    }  # fmt: skip


def stored(account: ProviderAccount) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT callback_secret FROM providers_provideraccount WHERE id = %s",
            [account.pk],
        )
        return cursor.fetchone()[0]


def test_the_secret_is_stored_encrypted_kept_when_blank_and_erased_on_request(
    admin_client, simulator
):
    account = make_account(simulator, "smsc")
    url = reverse("providers:account_edit", args=[account.pk])

    response = admin_client.post(url, edit_data(account, new_callback_secret=SECRET))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.callback_secret == SECRET
    assert stored(account).startswith("fernet:")
    assert SECRET not in stored(account)

    html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert SECRET not in html
    assert f"Stored: {mask(SECRET)}" in html  # the last two characters only

    admin_client.post(url, edit_data(account, new_callback_secret=""))
    account.refresh_from_db()
    assert account.callback_secret == SECRET  # a blank field keeps it

    admin_client.post(url, edit_data(account, clear_callback_secret="on"))
    account.refresh_from_db()
    assert account.callback_secret == ""


def test_a_secret_for_a_gateway_that_does_not_sign_is_a_form_error(
    admin_client, simulator
):
    account = make_account(simulator, "webcom")

    response = admin_client.post(
        reverse("providers:account_edit", args=[account.pk]),
        edit_data(account, new_callback_secret="x"),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "does not sign its callbacks" in response.content.decode()
    account.refresh_from_db()
    assert account.callback_secret == ""


def test_the_form_tells_the_script_which_gateways_sign(admin_client):
    import json
    import re

    html = admin_client.get(
        reverse("providers:account_create"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    raw = re.search(r'data-gateways="([^"]*)"', html).group(1)
    gateways = json.loads(raw.replace("&quot;", '"'))
    assert {k: v["signs_callbacks"] for k, v in gateways.items()} == {
        "webcom": False,
        "smsc": True,
        "websms": False,
    }
    assert "SMSC: the secret set for the handler" in html


@pytest.mark.parametrize(("secret", "said"), [("", "is not checked"),
                                               (SECRET, "are checked against")])  # fmt: skip
def test_the_account_page_says_whether_callbacks_are_checked(
    admin_client, simulator, secret, said
):
    account = make_account(simulator, "smsc", callback_secret=secret)

    html = admin_client.get(
        reverse("providers:detail", args=[account.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert said in html
    assert SECRET not in html


def test_the_admin_stores_the_secret_and_never_shows_it(admin_client, simulator):
    account = make_account(simulator, "smsc")
    url = reverse("admin:providers_provideraccount_change", args=[account.pk])
    html = admin_client.get(url).content.decode()
    assert 'name="new_callback_secret"' in html
    data = change_data(account, new_callback_secret=SECRET)

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    account.refresh_from_db()
    assert account.callback_secret == SECRET
    assert SECRET not in admin_client.get(url).content.decode()


def test_the_secret_is_redacted_from_what_the_gateway_logs(simulator):
    from providers.registry import gateway_for

    account = make_account(simulator, "smsc", callback_secret=SECRET)
    gateway = gateway_for(account)

    assert SECRET not in gateway.http.redact(f"body with {SECRET} in it")

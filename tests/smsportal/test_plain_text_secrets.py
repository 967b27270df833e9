"""A secret written into the database in plain text by hand (SQL, a restored dump):
it is read as it is, the system check says so instead of crashing, and
`manage.py reencrypt_fields` encrypts it."""

import pytest

from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from providers.models import ProviderAccount
from smsportal.checks import stored_values_check
from smsportal.lib.crypto import PREFIX

pytestmark = pytest.mark.django_db


@pytest.fixture
def typed_in_account() -> ProviderAccount:
    account = ProviderAccount.objects.create(
        name="Typed in", kind="smsc", base_url="http://127.0.0.1:9/x",
        login="login", password="saved", token="",
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE providers_provideraccount SET password = %s WHERE id = %s",
            ["plain-pass", account.pk],
        )
    return account


def stored_password(account: ProviderAccount) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT password FROM providers_provideraccount WHERE id = %s", [account.pk]
        )
        return cursor.fetchone()[0]


def test_a_plain_text_secret_is_read_as_it_is(typed_in_account):
    account = ProviderAccount.objects.get(pk=typed_in_account.pk)

    assert account.password == "plain-pass"
    assert not account.credentials_unreadable


def test_the_system_check_warns_and_names_the_field(typed_in_account):
    messages = stored_values_check(app_configs=None)

    assert [m.id for m in messages] == ["smsportal.W102"]
    assert "1 stored secret(s) of providers.ProviderAccount.password" in messages[0].msg
    assert "reencrypt_fields" in messages[0].hint


def test_the_accounts_page_answers(typed_in_account, admin_client):
    response = admin_client.get(reverse("providers:list"))

    assert response.status_code == 200
    assert "Typed in" in response.content.decode()


def test_reencrypt_fields_encrypts_it(typed_in_account, capsys):
    call_command("reencrypt_fields")

    assert "1 of them were in plain text." in capsys.readouterr().out
    assert stored_password(typed_in_account).startswith(PREFIX)
    assert ProviderAccount.objects.get(pk=typed_in_account.pk).password == "plain-pass"
    assert stored_values_check(app_configs=None) == []


def test_a_save_encrypts_it(typed_in_account):
    account = ProviderAccount.objects.get(pk=typed_in_account.pk)
    account.name = "Renamed"
    account.save()

    assert stored_password(account).startswith(PREFIX)

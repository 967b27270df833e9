"""`manage.py reencrypt_fields`: after it, the old field key can be dropped."""

import pytest
from cryptography.fernet import Fernet

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from providers.models import ProviderAccount, RetiredLogin

pytestmark = pytest.mark.django_db

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


def accounts_of_old_key(n: int) -> list[ProviderAccount]:
    with override_settings(SMSPORTAL_FIELD_KEY=OLD):
        accounts = [
            ProviderAccount.objects.create(
                name=f"Account {i}",
                kind="smsc",
                base_url="http://127.0.0.1:9/x",
                login=f"login-{i}",
                password=f"pass-{i}",
                token=f"token-{i}",
            )  # fmt: skip
            for i in range(n)
        ]
        RetiredLogin.objects.create(
            account=accounts[0], generation=0, login="earlier", password="old-pass"
        )
    return accounts


def test_every_encrypted_field_moves_to_the_first_key(
    capsys, django_assert_max_num_queries
):
    accounts = accounts_of_old_key(40)

    # Set-based: a statement per batch and field, not per row.
    with (
        override_settings(SMSPORTAL_FIELD_KEY=f"{NEW},{OLD}"),
        django_assert_max_num_queries(20),
    ):
        call_command("reencrypt_fields")
    out = capsys.readouterr().out

    # 40 passwords, 40 tokens and the replaced login's password.
    assert "Rewrote 81 value(s)" in out
    assert "providers.RetiredLogin.password: 1 rewritten" in out
    with override_settings(SMSPORTAL_FIELD_KEY=NEW):  # the old key dropped
        account = ProviderAccount.objects.get(pk=accounts[7].pk)
        assert (account.password, account.token) == ("pass-7", "token-7")
        assert RetiredLogin.objects.get().password == "old-pass"


def test_a_second_run_rewrites_nothing(capsys):
    accounts_of_old_key(2)
    with override_settings(SMSPORTAL_FIELD_KEY=f"{NEW},{OLD}"):
        call_command("reencrypt_fields")
        capsys.readouterr()
        call_command("reencrypt_fields")

    assert "Rewrote 0 value(s) with the first key; 5 already used it." in (
        capsys.readouterr().out
    )


def test_values_no_key_reads_are_named_and_left_alone():
    accounts_of_old_key(1)

    with (
        override_settings(SMSPORTAL_FIELD_KEY=NEW),
        pytest.raises(CommandError, match="No key decrypts 3 value"),
    ):
        call_command("reencrypt_fields")
    with override_settings(SMSPORTAL_FIELD_KEY=OLD):
        assert ProviderAccount.objects.get().password == "pass-0"

"""The callback views remember accounts per process, yet never serve a stale one."""

import time

import pytest

from campaigns import webhooks
from campaigns.models import OrphanStatusReport
from providers.models import ProviderAccount
from providers.simulator import smsc as smsc_sim
from providers.simulator.state import DELIVERED, SimAccount, SimMessage


def smsc_status_callback(account: ProviderAccount, *, signed_with: str) -> tuple:
    """(path, body, content type) of an SMSC delivery report, as the simulator signs it."""
    path = f"/callbacks/{account.callback_token}/status/"
    message = SimMessage(
        id="1", gateway="smsc", login="u", phone="79120000001", text="x", sender="S",
        packet="501", state=DELIVERED, changed_at=time.time(),
    )  # fmt: skip
    sim_account = SimAccount(
        "smsc", "u", password=signed_with, status_callback_url=path
    )
    return smsc_sim.build_status_callback(message, sim_account)


def post(client, built):
    path, body, content_type = built
    return client.post(path, data=body, content_type=content_type)


@pytest.fixture
def smsc_account(db):
    return ProviderAccount.objects.create(
        name="SMSC callbacks", kind="smsc", base_url="http://127.0.0.1:9/smsc",
        login="u", password="first-secret",
    )  # fmt: skip


@pytest.mark.django_db
def test_a_new_password_checks_the_very_next_callback(client, smsc_account):
    assert post(client, smsc_status_callback(smsc_account, signed_with="first-secret")
                ).status_code == 200  # fmt: skip
    assert smsc_account.callback_token in webhooks._accounts  # remembered

    smsc_account.password = "second-secret"
    smsc_account.save()

    old = smsc_status_callback(smsc_account, signed_with="first-secret")
    new = smsc_status_callback(smsc_account, signed_with="second-secret")
    assert post(client, old).status_code == 400
    assert post(client, new).status_code == 200
    assert OrphanStatusReport.objects.count() == 2  # the two accepted reports


@pytest.mark.django_db
def test_a_deleted_account_gets_404_and_is_forgotten(client, smsc_account):
    built = smsc_status_callback(smsc_account, signed_with="first-secret")
    assert post(client, built).status_code == 200
    OrphanStatusReport.objects.all().delete()
    smsc_account.delete()
    assert post(client, built).status_code == 404
    assert smsc_account.callback_token not in webhooks._accounts


@pytest.mark.django_db
def test_unknown_tokens_are_not_remembered(client):
    before = dict(webhooks._accounts)
    for n in range(5):
        response = client.post(f"/callbacks/no-such-token-{n}/status/", data=b"<x/>",
                               content_type="text/xml")  # fmt: skip
        assert response.status_code == 404
    assert webhooks._accounts == before

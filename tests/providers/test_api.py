import json
from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from providers.base import Capability
from providers.models import ProviderAccount
from providers.services import sender_names_sync
from tests.providers.sim_accounts import (
    KINDS,
    LOGIN,
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

API = "/api/v1/providers"


def test_list_has_capabilities_balance_and_error_but_no_secrets(
    viewer_client, simulator
):
    account = make_account(simulator, KINDS[0], last_error="boom")

    response = viewer_client.get(API)

    assert response.status_code == 200
    [row] = response.json()
    assert row["id"] == account.pk
    assert row["kind"] == account.kind
    assert Capability.BALANCE in row["capabilities"]
    assert row["last_error"] == "boom"
    assert "balance" in row
    body = response.content.decode()
    for secret in (LOGIN, PASSWORD, TOKEN, account.callback_token):
        assert secret not in body


def test_listing_needs_the_view_permission(client, django_user_model):
    user = django_user_model.objects.create_user(username="nobody", password="x")
    client.force_login(user)

    assert client.get(API).status_code == 403


@pytest.mark.parametrize("kind", KINDS)
def test_check_reads_the_gateway(admin_client, simulator, kind):
    account = account_at_simulator(simulator, kind)

    response = admin_client.post(f"{API}/{account.pk}/check")

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["error"] == ""
    assert Decimal(str(body["balance"]["amount"])) == SIM_BALANCE
    if Capability.SENDER_NAMES in body["capabilities"]:
        assert {s["name"] for s in body["sender_names"]} == set(SIM_SENDERS)


def test_check_reports_the_gateways_error_as_data(admin_client, simulator):
    register(simulator, KINDS[0])
    account = make_account(simulator, KINDS[0], password="bad", token="bad")

    body = admin_client.post(f"{API}/{account.pk}/check").json()

    assert (body["ok"], body["error_kind"]) == (False, "auth")
    assert body["error"]
    assert PASSWORD not in str(body)


def test_check_needs_the_change_permission(manager_client, simulator):
    account = make_account(simulator, KINDS[0])

    assert manager_client.post(f"{API}/{account.pk}/check").status_code == 403


def test_check_of_an_unknown_account_is_404(admin_client):
    assert admin_client.post(f"{API}/999999/check").status_code == 404


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAMES))
def test_senders_lists_the_synced_names(viewer_client, simulator, kind):
    account = account_at_simulator(simulator, kind)
    sender_names_sync(account=account)

    response = viewer_client.get(f"{API}/{account.pk}/senders")

    assert response.status_code == 200
    assert {row["name"] for row in response.json()} == set(SIM_SENDERS)


@pytest.mark.parametrize("kind", kinds_with(Capability.SENDER_NAME_ADD))
def test_sender_request_creates_the_name(admin_client, simulator, kind):
    account = account_at_simulator(simulator, kind)

    response = admin_client.post(
        f"{API}/{account.pk}/senders",
        {"name": "NEWBRAND", "comment": "promo"},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["name"] == "NEWBRAND"
    assert account.sender_names.filter(name="NEWBRAND").exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.REQUESTED)
    assert (event.actor_name, event.object_repr) == (
        "alice-admin", f"NEWBRAND ({account.name})"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("comment", "says"),
    [("promo\x00", "Line 1, column 6:"), ('{"comment": "\\ud800"}', "U+D800")],
)
def test_a_sender_request_comment_no_text_holds_is_a_400_naming_it(
    admin_client, simulator, settings, comment, says
):
    settings.LANGUAGE_CODE = "en"
    account = account_at_simulator(simulator, kinds_with(Capability.SENDER_NAME_ADD)[0])
    body = (
        '{"name": "NEWBRAND", ' + comment[1:]
        if comment.startswith("{")
        else json.dumps({"name": "NEWBRAND", "comment": comment})
    )

    response = admin_client.post(
        f"{API}/{account.pk}/senders", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["where"] == "comment"
    assert says in response.json()["detail"]
    assert not account.sender_names.filter(name="NEWBRAND").exists()
    assert simulator.state.submissions == []


@pytest.mark.parametrize("kind", kinds_without(Capability.SENDER_NAME_ADD))
def test_sender_request_is_400_without_the_capability(admin_client, simulator, kind):
    account = account_at_simulator(simulator, kind)

    response = admin_client.post(
        f"{API}/{account.pk}/senders",
        {"name": "NEWBRAND"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["where"] == "name"
    assert response.json()["detail"]


def test_sender_request_needs_the_change_permission(viewer_client, simulator):
    account = make_account(simulator, KINDS[0])

    response = viewer_client.post(
        f"{API}/{account.pk}/senders",
        {"name": "NEWBRAND"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert not ProviderAccount.objects.get(pk=account.pk).sender_names.exists()

"""Test mode: offered only where the gateway has one; never a real send in disguise."""

import pytest

from django.urls import reverse

from providers import exceptions
from providers.base import Capability, DeliveryStatus, FailureReason, OutgoingSms
from providers.registry import gateway_class, gateway_for
from tests.providers.sim_accounts import (
    LOGIN,
    PASSWORD,
    account_at_simulator,
    make_account,
)
from tests.providers.test_admin import change_data

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NO_TEST_MODE = (
    "Webcom Mobi / mysmpp has no test mode: messages through this account would be "
    "sent and paid for. Untick “Test mode”."
)


def test_only_websms_and_smsc_declare_a_test_mode():
    with_test_mode = {
        kind
        for kind in ("webcom", "smsc", "websms")
        if Capability.TEST_MODE in gateway_class(kind).capabilities
    }
    assert with_test_mode == {"smsc", "websms"}


@pytest.mark.parametrize(("kind", "refused"), [("webcom", True), ("smsc", False),
                                               ("websms", False)])  # fmt: skip
def test_the_account_form_refuses_test_mode_where_the_gateway_has_none(
    admin_client, kind, refused
):
    response = admin_client.post(
        reverse("providers:account_create"),
        {"name": "Main", "kind": kind, "login": LOGIN, "new_password": PASSWORD,
         "rate_limit": 0, "is_active": "on", "test_mode": "on"},
        **EN,
    )  # fmt: skip

    if refused:
        assert response.status_code == 200
        assert response.context["form"].errors["test_mode"] == [NO_TEST_MODE]
    else:
        assert response.status_code == 302


def test_the_admin_refuses_test_mode_where_the_gateway_has_none(
    admin_client, simulator
):
    account = make_account(simulator, "webcom")
    url = reverse("admin:providers_provideraccount_change", args=[account.pk])

    response = admin_client.post(url, change_data(account, test_mode="on"), **EN)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["test_mode"] == [NO_TEST_MODE]
    account.refresh_from_db()
    assert account.test_mode is False


def test_an_smsc_account_in_test_mode_asks_the_price_and_sends_nothing(simulator):
    account = account_at_simulator(simulator, "smsc", test_mode=True)

    [result] = gateway_for(account).send(
        [OutgoingSms("1", "+79160000001", "Hi", sender="SMSPORTAL")]
    )

    assert (result.status, result.reason, result.gateway_message_id) == (
        DeliveryStatus.CANCELLED, FailureReason.TEST_MODE, ""
    )  # fmt: skip
    assert result.segments == 1
    assert result.cost is not None
    assert result.cost > 0
    assert simulator.state.submissions == []


def test_a_webcom_account_saved_in_test_mode_sends_nothing_at_all(simulator):
    """Saved so before the forms refused it: a send would be real and paid for."""
    account = account_at_simulator(simulator, "webcom", test_mode=True)

    with pytest.raises(exceptions.TestModeUnavailable):
        gateway_for(account).send(
            [OutgoingSms("1", "+79160000001", "Hi", sender="SMSPORTAL")]
        )
    assert simulator.state.submissions == []


def test_the_account_page_flags_test_mode_its_gateway_lacks(admin_client, simulator):
    account = make_account(simulator, "webcom", test_mode=True)

    html = admin_client.get(
        reverse("providers:detail", args=[account.pk]), **EN
    ).content.decode()

    assert "test mode unavailable" in html
    assert (
        "Test mode is ticked, but Webcom Mobi / mysmpp has no test mode: nothing is "
        "sent through this account. Untick test mode to send for real." in html
    )


def test_the_account_page_shows_a_working_test_mode_as_such(admin_client, simulator):
    account = make_account(simulator, "smsc", test_mode=True)

    html = admin_client.get(
        reverse("providers:detail", args=[account.pk]), **EN
    ).content.decode()

    assert 'data-test-mode="on"' in html
    assert "test mode unavailable" not in html


def test_the_api_says_when_test_mode_cannot_work(admin_client, simulator):
    flagged = make_account(simulator, "webcom", name="Flagged", test_mode=True)
    fine = make_account(simulator, "websms", name="Fine", test_mode=True)

    answer = {a["id"]: a for a in admin_client.get("/api/v1/providers", **EN).json()}

    assert "has no test mode" in answer[flagged.pk]["test_mode_problem"]
    assert answer[fine.pk]["test_mode_problem"] == ""
    assert "test_mode" in answer[fine.pk]["capabilities"]
    assert "test_mode" not in answer[flagged.pk]["capabilities"]


def test_the_form_names_the_gateways_with_a_test_mode(admin_client):
    html = admin_client.get(reverse("providers:account_create"), **EN).content.decode()

    assert "Only SMSC, WEBSMS have a test mode" in html

"""The account page offers only the callback URLs its gateway really calls."""

import pytest

from django.urls import reverse

from providers.base import Capability
from providers.registry import gateway_class
from tests.providers.sim_accounts import KINDS, make_account

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _page(client, account) -> str:
    response = client.get(reverse("providers:detail", args=[account.pk]), **EN)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_the_incoming_url_is_shown_only_where_the_gateway_pushes_replies(
    admin_client, simulator, kind
):
    """Webcom's page showed an incoming URL that answers 404: Webcom is poll-only."""
    account = make_account(simulator, kind)
    pushes = Capability.INCOMING_CALLBACK in gateway_class(kind).capabilities

    html = _page(admin_client, account)
    answer = admin_client.post(
        reverse("callbacks:incoming", args=[account.callback_token])
    )

    assert (account.incoming_url in html) is pushes
    assert (answer.status_code != 404) is pushes


def test_webcoms_page_says_replies_are_fetched_and_asks_for_the_status_url_only(
    admin_client, simulator
):
    account = make_account(simulator, "webcom")

    html = _page(admin_client, account)

    help_text = html.split('<p class="text-secondary">', 1)[1].split("</p>", 1)[0]
    assert "send the status URL to your Webcom manager" in help_text
    assert "both URLs" not in help_text
    assert "does not push incoming messages" in help_text
    fetched = html.split("data-incoming-fetched>", 1)[1].split("</p>", 1)[0]
    assert "fetches them from the gateway every minute" in fetched


def test_a_gateway_that_pushes_replies_has_no_fetch_note(admin_client, simulator):
    account = make_account(simulator, "smsc")

    html = _page(admin_client, account)

    assert account.incoming_url in html
    assert "data-incoming-fetched" not in html

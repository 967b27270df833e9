"""The admin shows sender names as the gateway (or the account page) left them: a
person cannot tick a name approved, nor add one with a verdict of their own."""

import pytest

from django.urls import reverse

from campaigns.selectors import sender_problem
from providers.models import SenderName
from tests.providers.sim_accounts import make_account
from tests.providers.test_admin import change_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_no_sender_name_is_added_in_the_admin(admin_client, simulator):
    account = make_account(simulator, "smsc")

    page = admin_client.get(reverse("admin:providers_sendername_add"))
    posted = admin_client.post(
        reverse("admin:providers_sendername_add"),
        {"account": account.pk, "name": "FAKE", "state": "active", "usable": "on"},
    )

    assert page.status_code == 403
    assert posted.status_code == 403
    assert not SenderName.objects.filter(name="FAKE").exists()
    assert sender_problem(account, "FAKE") != ""


def test_a_name_in_moderation_cannot_be_ticked_usable(admin_client, simulator):
    account = make_account(simulator, "smsc")
    SenderName.objects.create(account=account, name="SHOPNEWS", usable=True)
    waiting = SenderName.objects.create(
        account=account, name="WAITING", state="moderation", usable=False
    )
    url = reverse("admin:providers_sendername_change", args=[waiting.pk])

    html = admin_client.get(url).content.decode()
    admin_client.post(
        url, {"account": account.pk, "name": "WAITING", "state": "active",
              "usable": "on"},
    )  # fmt: skip

    assert 'name="usable"' not in html
    waiting.refresh_from_db()
    assert (waiting.state, waiting.usable) == ("moderation", False)
    assert "not approved" in sender_problem(account, "WAITING")


def test_the_account_admin_shows_its_names_read_only(admin_client, simulator):
    account = make_account(simulator, "smsc")
    waiting = SenderName.objects.create(
        account=account, name="WAITING", state="moderation", usable=False
    )
    url = reverse("admin:providers_provideraccount_change", args=[account.pk])

    html = admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        change_data(
            account,
            **{"sender_names-TOTAL_FORMS": "2", "sender_names-INITIAL_FORMS": "1",
               "sender_names-0-id": waiting.pk, "sender_names-0-account": account.pk,
               "sender_names-0-name": "WAITING", "sender_names-0-state": "active",
               "sender_names-0-usable": "on", "sender_names-1-account": account.pk,
               "sender_names-1-name": "FAKE", "sender_names-1-state": "active",
               "sender_names-1-usable": "on"},
        ),
    )  # fmt: skip

    assert response.status_code == 302
    assert "WAITING" in html
    assert 'name="sender_names-0-usable"' not in html
    waiting.refresh_from_db()
    assert (waiting.state, waiting.usable) == ("moderation", False)
    assert not SenderName.objects.filter(name="FAKE").exists()

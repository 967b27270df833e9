"""«Issue new callback URLs»: a callback token seen where it should not be (a proxy's
access log) is replaced; the old URLs stop working at once."""

import pytest

from django.urls import reverse

from accounts.models import AuditEvent
from providers.models import ProviderAccount

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def account():
    return ProviderAccount.objects.create(
        name="Webcom", kind="webcom", base_url="http://127.0.0.1:9/webcom",
        login="l", password="p",
    )  # fmt: skip


def callback(client, token: str) -> int:
    """A callback's status: 400 for a known token (its body is garbage), 404 not."""
    return client.post(
        f"/callbacks/{token}/status/", data=b"\x00\xff", content_type="text/xml"
    ).status_code


def test_new_urls_replace_the_old_at_once(admin_client, client, account):
    old = account.callback_token
    assert callback(client, old) == 400  # known, and remembered by this process

    response = admin_client.post(
        reverse("providers:callback_urls_renew", args=[account.pk]), **EN
    )

    account.refresh_from_db()
    assert response.status_code == 302
    assert account.callback_token != old
    assert callback(client, old) == 404
    assert callback(client, account.callback_token) == 400
    page = admin_client.get(response.url, **EN).content.decode()
    assert "New callback URLs issued; the old ones no longer work" in page
    assert account.callback_url in page
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.CHANGED, object_type="providers.ProviderAccount"
    )
    assert (event.object_id, event.details["fields"]) == (
        str(account.pk),
        ["callback_urls"],
    )
    assert old not in str(event.details)


def test_the_account_page_asks_before_it(admin_client, account):
    page = admin_client.get(
        reverse("providers:detail", args=[account.pk]), **EN
    ).content.decode()

    assert 'data-action="renew-callback-urls"' in page
    assert "The current ones stop working at once" in page
    assert "paste the new URLs into the gateway" in page


@pytest.mark.parametrize("who", ["manager_client", "viewer_client"])
def test_only_who_may_edit_accounts_may_do_it(request, who, account):
    client = request.getfixturevalue(who)
    old = account.callback_token

    response = client.post(reverse("providers:callback_urls_renew", args=[account.pk]))
    page = client.get(reverse("providers:detail", args=[account.pk])).content.decode()

    assert response.status_code == 403
    account.refresh_from_db()
    assert account.callback_token == old
    assert 'data-action="renew-callback-urls"' not in page


def test_a_get_changes_nothing(admin_client, account):
    old = account.callback_token
    response = admin_client.get(
        reverse("providers:callback_urls_renew", args=[account.pk])
    )
    account.refresh_from_db()
    assert response.status_code == 405
    assert account.callback_token == old


def test_the_admin_action(admin_client, account):
    old = account.callback_token

    admin_client.post(
        reverse("admin:providers_provideraccount_changelist"),
        {"action": "renew_callback_urls", "_selected_action": [account.pk]},
    )

    account.refresh_from_db()
    assert account.callback_token != old
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGED, details__fields=["callback_urls"]
    ).exists()

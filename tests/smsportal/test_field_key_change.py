"""A changed SECRET_KEY (SMSPORTAL_FIELD_KEY unset) leaves stored credentials that no
key reads: the pages that are not about credentials must still answer, the account
says what is wrong, and a check says which key to set."""

from decimal import Decimal

import pytest
from cryptography.fernet import Fernet

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from campaigns.models import Campaign
from providers.models import ProviderAccount
from smsportal.checks import field_key_check, stored_values_check
from smsportal.lib.crypto import derive

pytestmark = pytest.mark.django_db

OLD_SECRET = "the-old-secret-key-" * 3
NEW_SECRET = "the-new-secret-key-" * 3


@pytest.fixture
def account_of_old_key():
    with override_settings(SECRET_KEY=OLD_SECRET, SMSPORTAL_FIELD_KEY=""):
        return ProviderAccount.objects.create(
            name="Webcom old key", kind="webcom", base_url="http://127.0.0.1:9/x",
            login="l", password="secret-pass", default_sender="SHOP",
            tariff=Decimal("1"),
        )  # fmt: skip


@pytest.fixture
def new_key():
    with override_settings(SECRET_KEY=NEW_SECRET, SMSPORTAL_FIELD_KEY=""):
        yield


def test_pages_answer_when_the_credentials_are_unreadable(
    account_of_old_key, new_key, admin_client
):
    Campaign.objects.create(
        name="Spring", account=account_of_old_key, sender="SHOP", text="Hi"
    )
    pages = [
        reverse("dashboard"),
        reverse("campaigns:list"),
        reverse("providers:list"),
        reverse("providers:detail", args=[account_of_old_key.pk]),
        reverse("providers:account_edit", args=[account_of_old_key.pk]),
        "/api/v1/providers",
    ]
    for url in pages:
        response = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, url

    detail = admin_client.get(
        reverse("providers:detail", args=[account_of_old_key.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "cannot be read with the current key" in detail.content.decode()


def test_saving_the_account_keeps_the_unreadable_secret(account_of_old_key, new_key):
    account = ProviderAccount.objects.get(pk=account_of_old_key.pk)
    account.rate_limit = 5
    account.save()

    with override_settings(SECRET_KEY=OLD_SECRET):
        assert ProviderAccount.objects.get(pk=account.pk).password == "secret-pass"


def test_gateway_check_names_the_account_and_the_fix(account_of_old_key, new_key):
    with pytest.raises(CommandError) as failed:
        call_command("gateway_check", "--all")
    assert "Webcom old key" in str(failed.value)


def test_the_system_check_says_which_key_to_set(account_of_old_key, new_key):
    errors = stored_values_check(app_configs=None)

    assert [e.id for e in errors] == ["smsportal.W101"]
    assert "SECRET_KEY" in errors[0].msg
    assert "field_key --from-secret-key" in errors[0].hint


def test_the_system_check_is_quiet_with_the_old_key_as_field_key(
    account_of_old_key, new_key
):
    with override_settings(SMSPORTAL_FIELD_KEY=derive(OLD_SECRET)):
        assert stored_values_check(app_configs=None) == []
        account = ProviderAccount.objects.get(pk=account_of_old_key.pk)
        assert account.password == "secret-pass"


def test_healthz_is_503_while_an_active_account_cannot_be_read(
    account_of_old_key, new_key, client
):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"]) == ("error", "ok")
    assert (body["credentials"], body["credentials_unreadable"]) == ("unreadable", 1)

    # A deactivated account sends nothing: nothing to alarm about.
    ProviderAccount.objects.filter(pk=account_of_old_key.pk).update(is_active=False)
    body = client.get("/healthz").json()
    assert body["credentials"] == "ok"
    assert "credentials_unreadable" not in body


def test_field_key_command_prints_the_key_of_an_old_secret_key(capsys):
    call_command("field_key", "--from-secret-key", OLD_SECRET)

    assert capsys.readouterr().out.strip() == derive(OLD_SECRET)
    Fernet(derive(OLD_SECRET).encode())  # a usable key


def test_a_malformed_field_key_is_refused_by_a_check(account_of_old_key, client):
    with override_settings(SMSPORTAL_FIELD_KEY="not-a-key"):
        errors = field_key_check(app_configs=None)
        assert [e.id for e in errors] == ["smsportal.E100"]
        assert "SMSPORTAL_FIELD_KEY" in errors[0].msg
        # Nor does every page answer 500 meanwhile.
        assert client.get(reverse("login")).status_code == 200
        account = ProviderAccount.objects.get(pk=account_of_old_key.pk)
        assert account.credentials_unreadable


def test_the_edit_form_says_the_stored_password_is_unreadable(
    account_of_old_key, new_key, admin_client
):
    page = admin_client.get(
        reverse("providers:account_edit", args=[account_of_old_key.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()

    assert "cannot be read with the current key: enter it again" in page


def test_sending_with_unreadable_credentials_pauses_with_a_banner(
    account_of_old_key, new_key, admin_client
):
    from campaigns.services import campaign_start
    from contacts.models import Contact

    contact = Contact.objects.create(phone="+79161234567", first_name="Ann")
    campaign = Campaign.objects.create(
        name="Spring", account=account_of_old_key, sender="SHOP", text="Hi",
        state=Campaign.State.SENDING, extra_numbers=contact.phone,
        respect_quiet_hours=False,
    )  # fmt: skip

    campaign_start(campaign_id=campaign.pk)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    page = admin_client.get(
        reverse("campaigns:detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "credentials cannot be read with the current key" in page
    assert "field_key --from-secret-key" in page


def test_a_start_on_unreadable_credentials_pauses_before_building(
    account_of_old_key, new_key
):
    """A worker whose keys read no credentials (another SECRET_KEY on its machine)
    pauses the campaign with the banner at once: the start task failed four times
    with the decrypt error before, and the page said «Sending — No messages yet»."""
    from campaigns.dispatch import CREDENTIALS_UNREADABLE
    from campaigns.models import Message
    from campaigns.services import campaign_start

    campaign = Campaign.objects.create(
        name="Autumn", account=account_of_old_key, sender="SHOP", text="Hi",
        state=Campaign.State.SENDING, extra_numbers="+79161234567",
        respect_quiet_hours=False,
    )  # fmt: skip

    campaign_start(campaign_id=campaign.pk)

    campaign.refresh_from_db()
    assert (campaign.state, campaign.pause_reason) == (
        Campaign.State.PAUSED,
        CREDENTIALS_UNREADABLE,
    )
    assert not Message.objects.filter(campaign=campaign).exists()


def test_a_callback_of_an_unreadable_account_asks_the_gateway_to_retry(
    account_of_old_key, new_key, client
):
    response = client.post(
        f"/callbacks/{account_of_old_key.callback_token}/status/",
        data=b"<x/>",
        content_type="text/xml",
    )

    assert response.status_code == 503


def test_web_and_workers_log_the_warning_at_start(account_of_old_key, new_key, caplog):
    """gunicorn and Celery run no system checks: smsportal.wsgi and the worker's and
    beat's start log the stored-secrets warning themselves."""
    from smsportal.production import key_warnings_log

    with caplog.at_level("WARNING", logger="smsportal.keys"):
        assert key_warnings_log() == 1
    assert "smsportal.W101" in caplog.text
    assert "field_key --from-secret-key" in caplog.text


def test_the_draft_and_stop_list_sync_pages_answer_with_unreadable_credentials(
    account_of_old_key, new_key, admin_client
):
    """README: "the pages keep working". A draft's preview (where the Launch
    button's reason goes) and the stop-list sync page answered 500."""
    account_of_old_key.kind = "smsc"  # keeps a stop list
    account_of_old_key.save(update_fields=["kind"])
    draft = Campaign.objects.create(
        name="Spring", account=account_of_old_key, sender="SHOP", text="Hi",
        extra_numbers="+79161234567",
    )  # fmt: skip

    preview = admin_client.get(
        reverse("campaigns:preview", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    sync_page = admin_client.get(
        reverse("reports:stoplist_sync"), HTTP_ACCEPT_LANGUAGE="en"
    )
    sync = admin_client.post(
        reverse("reports:stoplist_sync_run", args=[account_of_old_key.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )

    assert preview.status_code == 200
    assert "The provider account cannot send: the credentials cannot be read" in (
        preview.content.decode()
    )
    assert sync_page.status_code == 200
    assert account_of_old_key.name in sync_page.content.decode()
    assert sync.status_code == 200
    assert "credentials cannot be read with the current key" in sync.content.decode()


def test_launching_a_draft_on_unreadable_credentials_is_refused_saying_why(
    account_of_old_key, new_key
):
    from campaigns.services import campaign_launch
    from smsportal.exceptions import ApplicationError

    draft = Campaign.objects.create(
        name="Spring", account=account_of_old_key, sender="SHOP", text="Hi",
        extra_numbers="+79161234567",
    )  # fmt: skip

    with pytest.raises(ApplicationError, match="cannot be read") as refused:
        campaign_launch(campaign=draft)

    assert refused.value.where == "account"
    draft.refresh_from_db()
    assert draft.state == Campaign.State.DRAFT


def test_one_unreadable_account_stops_neither_polling_nor_syncing_the_others(
    account_of_old_key, new_key, simulator
):
    """statuses_poll and stoplist_sync_all raised on the first account whose
    credentials no key reads, every run: the accounts after it were never asked."""
    from campaigns.polling import statuses_poll
    from campaigns.stoplist_sync import stoplist_sync_all
    from contacts.models import StopListEntry
    from tests.providers.sim_accounts import account_at_simulator

    readable = account_at_simulator(simulator, "smsc", name="Readable SMSC")
    account_of_old_key.kind = "smsc"
    account_of_old_key.save(update_fields=["kind"])
    StopListEntry.objects.create(phone="+79161234567")
    assert account_of_old_key.pk < readable.pk  # asked first

    statuses_poll()
    results = {result.account_id: result for result in stoplist_sync_all()}

    assert "cannot be read" in results[account_of_old_key.pk].error
    assert results[readable.pk].error == ""
    assert results[readable.pk].pushed == 1

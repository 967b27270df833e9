"""An account's login changes while the gateway still holds messages sent under the
old one: the forms say how many and what happens first; those messages are polled,
withdrawn and reconciled with the old login (another cabinet at the gateway), and
only new messages go out under the new one (providers.logins)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from campaigns.dispatch import campaign_pump
from campaigns.expansion import campaign_expand
from campaigns.logins import retired_logins_forget
from campaigns.models import Campaign, Message
from campaigns.polling import statuses_poll
from campaigns.reconcile import messages_reconcile
from campaigns.sending import claim_ids, submit
from campaigns.withdrawal import gateway_withdraw
from providers.base import DeliveryStatus, FailureReason
from providers.models import ProviderAccount, RetiredLogin
from providers.services import provider_account_save
from providers.simulator import Fault, SimAccount
from providers.simulator.state import CANCELLED, DELIVERED
from tests.campaigns.test_faults import phones
from tests.providers.test_admin import change_data

pytestmark = pytest.mark.django_db
OLD, NEW = "old-cabinet", "new-cabinet"
OLD_PASSWORD, NEW_PASSWORD = "old-pa$$", "new-pa$$"


@pytest.fixture
def account(simulator) -> ProviderAccount:
    """A WEBSMS account; the gateway has a cabinet for each login."""
    for login, password in ((OLD, OLD_PASSWORD), (NEW, NEW_PASSWORD)):
        simulator.state.add_account(
            SimAccount(gateway="websms", login=login, password=password,
                       balance=Decimal("100"))
        )  # fmt: skip
    return ProviderAccount.objects.create(
        name="WEBSMS shop", kind="websms", base_url=f"{simulator.url}/websms",
        login=OLD, password=OLD_PASSWORD, default_sender="SMSPORTAL",
    )  # fmt: skip


def sent(account: ProviderAccount, phone: str, *, later: bool = False) -> Message:
    """A one-off message sent through the account as it is now (later: held at the
    gateway for its send time)."""
    planned = timezone.now() + (timedelta(hours=3) if later else timedelta(0))
    message = Message.objects.create(
        account=account, phone=phone, text="Привет", channel="sms",
        sender="SMSPORTAL", planned_at=planned,
    )  # fmt: skip
    claimed = claim_ids(
        message_ids=[message.pk], login_generation=account.login_generation
    )
    submit(account=account, campaign=None, claimed=claimed)
    message.refresh_from_db()
    return message


def login_changed(account: ProviderAccount) -> ProviderAccount:
    account.login = NEW
    return provider_account_save(account=account, new_password=NEW_PASSWORD)


def at_gateway(simulator, message: Message):
    [held] = [
        m
        for m in simulator.state.messages["websms"].values()
        if m.id == message.gateway_message_id
    ]
    return held


def asked_long_ago(*messages: Message) -> None:
    """Sent long enough ago to be polled (WEBSMS: a minute after sending)."""
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(
        submitted_at=timezone.now() - timedelta(minutes=5)
    )


def test_statuses_of_messages_sent_under_the_old_login_are_read_with_it(
    account, simulator
):
    message = sent(account, "+79120000001")
    assert at_gateway(simulator, message).login == OLD
    login_changed(account)
    at_gateway(simulator, message).state = DELIVERED
    asked_long_ago(message)
    cache.clear()  # the poll interval's lock

    assert statuses_poll() == 1

    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED


def test_a_held_message_is_withdrawn_with_the_old_login(account, simulator):
    held = sent(account, "+79120000002", later=True)
    login_changed(account)

    withdrawn = gateway_withdraw(
        account, [held.gateway_message_id], reason=FailureReason.CANCELLED
    )

    assert withdrawn == 1
    assert at_gateway(simulator, held).state == CANCELLED
    held.refresh_from_db()
    assert held.status == DeliveryStatus.CANCELLED


def test_a_message_in_doubt_is_found_under_the_old_login_not_sent_again(
    account, simulator, monkeypatch
):
    """Asked at the new cabinet it was "not found", released, and sent a second time
    under the new login."""
    from providers import http as gateway_http

    monkeypatch.setattr(
        gateway_http, "_shared_client", lambda: gateway_http.build_client(timeout=0.5)
    )
    simulator.state.add_fault(
        "websms", Fault(mode="timeout_after", count=1, delay=1.0, path="http_in6")
    )
    message = sent(account, "+79120000003")
    assert (message.status, message.gateway_message_id) == ("pending", "")
    login_changed(account)

    messages_reconcile(older_than=timedelta(0))

    message.refresh_from_db()
    assert message.gateway_message_id
    assert [(s.phone, s.login) for s in simulator.state.submissions] == [
        ("79120000003", OLD)
    ]


def test_new_messages_go_out_under_the_new_login(account, simulator):
    old = sent(account, "+79120000004")
    account = login_changed(account)

    new = sent(account, "+79120000005")

    assert (old.login_generation, new.login_generation) == (0, 1)
    logins = {s.phone: s.login for s in simulator.state.submissions}
    assert logins == {"79120000004": OLD, "79120000005": NEW}
    retired = RetiredLogin.objects.get(account=account)
    assert (retired.generation, retired.login, retired.password) == (
        0, OLD, OLD_PASSWORD,
    )  # fmt: skip


def test_a_pump_that_read_the_account_before_the_change_stamps_the_old_login(
    account, simulator
):
    """Loaded before the change, it still sends with the old credentials: its claims
    say so, and those messages are asked about with them."""
    stale = ProviderAccount.objects.get(pk=account.pk)
    login_changed(account)

    message = sent(stale, "+79120000006")

    assert message.login_generation == 0
    assert at_gateway(simulator, message).login == OLD
    at_gateway(simulator, message).state = DELIVERED
    asked_long_ago(message)
    cache.clear()
    assert statuses_poll() == 1


def test_a_campaign_pumped_after_the_change_sends_under_the_new_login(
    account, simulator, make_group, make_campaign
):
    account = login_changed(account)
    campaign = make_campaign(
        [make_group("G", phones(3))], account=account, state=Campaign.State.SENDING
    )
    campaign_expand(campaign=campaign)

    campaign_pump(campaign_id=campaign.pk)

    assert {s.login for s in simulator.state.submissions} == {NEW}
    assert set(
        Message.objects.filter(campaign=campaign).values_list(
            "login_generation", flat=True
        )
    ) == {1}


def test_the_old_credentials_are_forgotten_once_nothing_open_was_sent_with_them(
    account, simulator
):
    message = sent(account, "+79120000007")
    login_changed(account)
    assert RetiredLogin.objects.filter(account=account).exists()
    an_hour_later = timezone.now() + timedelta(hours=1, minutes=1)
    # Replies to its last messages are still fetched with it for three days.
    days_later = timezone.now() + timedelta(days=3, minutes=1)

    assert retired_logins_forget(account, now=timezone.now()) == 0  # too soon
    assert retired_logins_forget(account, now=an_hour_later) == 0  # still open
    Message.objects.filter(pk=message.pk).update(status=DeliveryStatus.DELIVERED)
    assert retired_logins_forget(account, now=an_hour_later) == 0  # replies may come
    assert retired_logins_forget(account, now=days_later) == 1
    assert not RetiredLogin.objects.exists()


# The forms ----------------------------------------------------------------------------


def edit_data(account: ProviderAccount, **changes) -> dict:
    return {
        "name": account.name, "kind": account.kind, "dialect": account.dialect,
        "base_url": account.base_url, "login": account.login, "rate_limit": 0,
        "is_active": "on", "default_sender": "SMSPORTAL", **changes,
    }  # fmt: skip


def test_the_edit_page_says_how_many_and_what_happens_before_saving(
    admin_client, account, simulator
):
    sent(account, "+79120000011")
    sent(account, "+79120000012", later=True)
    sent(account, "+79120000013", later=True)
    url = reverse("providers:account_edit", args=[account.pk])

    asked = admin_client.post(url, edit_data(account, login=NEW),
                              HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip

    assert asked.status_code == 200
    page = asked.content.decode()
    assert "data-login-change-warning" in page
    assert (
        "3 messages sent under the login “old-cabinet” are not finished at the "
        "gateway yet. 2 of them wait there for their send time." in page
    )
    assert "with the old login and password until they finish" in page
    assert "Only new messages go out under “new-cabinet”." in page
    account.refresh_from_db()
    assert account.login == OLD

    saved = admin_client.post(
        url, edit_data(account, login=NEW, confirm_login_change="on")
    )

    assert saved.status_code == 302
    account.refresh_from_db()
    assert (account.login, account.login_generation) == (NEW, 1)
    assert RetiredLogin.objects.get().login == OLD


def test_a_login_with_nothing_open_changes_without_a_question(
    admin_client, account, simulator
):
    message = sent(account, "+79120000014")
    Message.objects.filter(pk=message.pk).update(status=DeliveryStatus.DELIVERED)

    saved = admin_client.post(
        reverse("providers:account_edit", args=[account.pk]),
        edit_data(account, login=NEW),
    )

    assert saved.status_code == 302
    account.refresh_from_db()
    assert account.login == NEW


def test_the_admin_asks_the_same(admin_client, account, simulator):
    sent(account, "+79120000015", later=True)
    url = reverse("admin:providers_provideraccount_change", args=[account.pk])
    data = change_data(account, login=NEW)

    asked = admin_client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")

    assert asked.status_code == 200
    errors = asked.context["adminform"].form.errors["confirm_login_change"]
    assert errors == [
        "1 message sent under the login “old-cabinet” is not finished at the gateway "
        "yet. 1 of them waits there for its send time. They stay that login's at the "
        "gateway: their statuses will still be read, and the waiting ones withdrawn "
        "if their campaign is cancelled or a recipient opts out, with the old login "
        "and password until they finish. Only new messages go out under "
        "“new-cabinet”. Tick the box to save the new login."
    ]
    saved = admin_client.post(url, {**data, "confirm_login_change": "on"})
    assert saved.status_code == 302
    account.refresh_from_db()
    assert account.login == NEW

"""A replaced login on the account page, and the replies the gateway files in its
cabinet: a recipient answers a message sent under the old login, and only that
login can read the answer (providers.logins, campaigns.inbox)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from campaigns.inbox import incoming_fetch, incoming_fetch_accounts
from campaigns.models import Message, Reply
from providers.base import DeliveryStatus
from providers.logins import retired_logins_in_use
from providers.models import ProviderAccount, RetiredLogin
from providers.simulator import SimAccount
from tests.campaigns.test_login_change import (
    NEW,
    NEW_PASSWORD,
    OLD,
    OLD_PASSWORD,
    login_changed,
    sent,
)

pytestmark = pytest.mark.django_db


def cabinets(simulator, kind: str) -> ProviderAccount:
    """An account of `kind` signed in as OLD; the gateway has a cabinet per login."""
    for login, password in ((OLD, OLD_PASSWORD), (NEW, NEW_PASSWORD)):
        simulator.state.add_account(
            SimAccount(gateway=kind, login=login, password=password,
                       balance=Decimal("100"))
        )  # fmt: skip
    return ProviderAccount.objects.create(
        name=f"{kind} shop", kind=kind, base_url=f"{simulator.url}/{kind}",
        login=OLD, password=OLD_PASSWORD, default_sender="SMSPORTAL",
    )  # fmt: skip


@pytest.fixture
def smsc(simulator) -> ProviderAccount:
    return cabinets(simulator, "smsc")


def all_days_ago(days: int) -> None:
    """The login change, and every message sent so far, happened `days` ago."""
    back = timedelta(days=days)
    RetiredLogin.objects.update(retired_at=F("retired_at") - back)
    Message.objects.update(
        submitted_at=F("submitted_at") - back, planned_at=F("planned_at") - back
    )


def fetches(simulator, kind: str) -> int:
    """Requests for incoming messages the gateway got so far."""
    return sum(
        1 for gateway, path, _t in simulator.state.request_log if gateway == kind
    )


def test_a_reply_kept_under_the_old_login_is_fetched_with_it(smsc, simulator):
    sent(smsc, "+79120000001")
    login_changed(smsc)
    # The recipient answers what the old login sent: the gateway files it there.
    simulator.state.add_incoming("smsc", OLD, phone="79120000001", text="Спасибо")
    simulator.state.add_incoming("smsc", NEW, phone="79120000002", text="Привет")

    [outcome] = incoming_fetch_accounts()

    assert (outcome.new, outcome.error) == (2, "")
    assert set(Reply.objects.values_list("phone", "text")) == {
        ("+79120000001", "Спасибо"),
        ("+79120000002", "Привет"),
    }
    # Each login reads on from its own place: nothing twice.
    assert [o.new for o in incoming_fetch_accounts()] == [0]
    assert incoming_fetch(account=ProviderAccount.objects.get()) == 0
    assert Reply.objects.count() == 2


def test_a_login_replaced_days_ago_with_nothing_open_is_not_asked(smsc, simulator):
    message = sent(smsc, "+79120000001")
    login_changed(smsc)
    Message.objects.filter(pk=message.pk).update(status=DeliveryStatus.DELIVERED)
    simulator.state.add_incoming("smsc", OLD, phone="79120000001", text="Поздно")
    before = fetches(simulator, "smsc")
    incoming_fetch_accounts()
    asked_with_both = fetches(simulator, "smsc") - before
    assert Reply.objects.filter(text="Поздно").exists()

    all_days_ago(4)
    simulator.state.add_incoming("smsc", OLD, phone="79120000001", text="Ещё позже")
    before = fetches(simulator, "smsc")
    incoming_fetch_accounts()

    # One request fewer: the current login's alone, as for an account that never
    # had another.
    assert fetches(simulator, "smsc") - before == asked_with_both - 1
    assert not Reply.objects.filter(text="Ещё позже").exists()


def test_a_login_replaced_days_ago_is_still_asked_while_its_messages_are_open(
    smsc, simulator
):
    sent(smsc, "+79120000001")
    login_changed(smsc)
    RetiredLogin.objects.update(retired_at=timezone.now() - timedelta(days=4))
    simulator.state.add_incoming("smsc", OLD, phone="79120000001", text="Жду")

    incoming_fetch_accounts()

    assert Reply.objects.filter(text="Жду").exists()


def test_a_message_held_past_the_change_is_answered_under_the_old_login(
    smsc, simulator
):
    """Handed over before the change for a time days later: its recipient answers
    once it goes out, into the old login's cabinet. Replies are fetched with that
    login for three days after the message went out, not only three days after the
    change; then it is no longer asked, and its credentials go."""
    from campaigns.logins import retired_logins_forget

    held = sent(smsc, "+79120000001", later=True)
    login_changed(smsc)
    # Four days on, the message went out a day ago and was delivered.
    RetiredLogin.objects.update(retired_at=F("retired_at") - timedelta(days=4))
    Message.objects.filter(pk=held.pk).update(
        submitted_at=F("submitted_at") - timedelta(days=4),
        planned_at=timezone.now() - timedelta(days=1),
        status=DeliveryStatus.DELIVERED,
    )
    simulator.state.add_incoming("smsc", OLD, phone="79120000001", text="Получил")

    incoming_fetch_accounts()

    assert Reply.objects.filter(text="Получил").exists()
    account = ProviderAccount.objects.get(pk=smsc.pk)
    assert retired_logins_forget(account, now=timezone.now()) == 0

    # Three days after it went out: done with.
    Message.objects.filter(pk=held.pk).update(
        planned_at=timezone.now() - timedelta(days=3, minutes=1)
    )
    simulator.state.add_incoming("smsc", OLD, phone="79120000001", text="Опоздал")
    incoming_fetch_accounts()
    assert not Reply.objects.filter(text="Опоздал").exists()
    assert retired_logins_forget(account, now=timezone.now()) == 1


def test_the_account_page_shows_the_replaced_logins_still_in_use(
    admin_client, smsc, simulator
):
    sent(smsc, "+79120000001")
    sent(smsc, "+79120000002", later=True)
    login_changed(smsc)
    sent(ProviderAccount.objects.get(pk=smsc.pk), "+79120000003")  # the new login's

    page = admin_client.get(
        reverse("providers:detail", args=[smsc.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "Replaced logins still in use" in page
    row = page.split(f'data-retired-login="{OLD}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-open="2"' in row
    assert "of them 1 waiting for its send time" in row
    assert "Statuses of its messages are still fetched with it." in row
    # Within three days of the change, then while open: as the intro says.
    assert "Replies are fetched with it until " in row
    assert ", and after that while any of its messages is open." in row
    assert f'data-retired-login="{NEW}"' not in page
    assert "for replies for three days after the change, or after the last of" in page

    # Four days on, the one held for its time has not gone out yet: replies to it
    # are fetched for three days after it does.
    all_days_ago(4)
    held = Message.objects.get(phone="+79120000002")
    Message.objects.filter(pk=held.pk).update(
        planned_at=timezone.now() + timedelta(hours=1)
    )
    page = admin_client.get(
        reverse("providers:detail", args=[smsc.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    row = page.split(f'data-retired-login="{OLD}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-open="1"' in row
    assert ", and after that while any of its messages is open." in row
    [retired] = retired_logins_in_use(ProviderAccount.objects.get(pk=smsc.pk))
    held.refresh_from_db()
    assert retired.replies_until == held.planned_at + timedelta(days=3)


def test_the_login_change_warning_says_replies_are_still_fetched(
    admin_client, smsc, simulator
):
    from tests.campaigns.test_login_change import edit_data

    sent(smsc, "+79120000001")

    asked = admin_client.post(
        reverse("providers:account_edit", args=[smsc.pk]),
        edit_data(smsc, login=NEW),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "Replies to them will still be fetched with the old login" in (
        asked.content.decode()
    )


def test_the_account_page_says_when_a_replaced_login_is_done_with(admin_client, smsc):
    message = sent(smsc, "+79120000001")
    login_changed(smsc)
    Message.objects.filter(pk=message.pk).update(status=DeliveryStatus.DELIVERED)
    url = reverse("providers:detail", args=[smsc.pk])

    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-open="0"' in page
    assert "Replies are fetched with it until" in page

    all_days_ago(4)
    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nothing any more: its credentials will be deleted." in page


def test_an_account_that_never_changed_its_login_shows_no_such_list(admin_client, smsc):
    page = admin_client.get(
        reverse("providers:detail", args=[smsc.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "data-retired-logins" not in page


def test_a_login_changed_back_is_not_a_replaced_one(smsc, simulator):
    """QA: demo-smsc -> demo-smsc-new -> demo-smsc listed the current login among
    the replaced ones, and its cabinet's replies were fetched twice."""
    from providers.logins import retired_logins_in_use
    from providers.services import provider_account_save

    sent(smsc, "+79120000001")
    login_changed(smsc)
    sent(smsc, "+79120000002")
    smsc.login = OLD
    provider_account_save(account=smsc, new_password=OLD_PASSWORD)
    simulator.state.add_incoming("smsc", OLD, phone="79120000001", text="Спасибо")
    before = fetches(simulator, "smsc")

    [outcome] = incoming_fetch_accounts()

    assert [r.login for r in retired_logins_in_use(smsc)] == [NEW]
    assert outcome.new == 1
    assert fetches(simulator, "smsc") - before == 2  # the current cabinet, then NEW's


def test_a_message_in_doubt_under_the_old_login_keeps_its_replies_fetched(
    smsc, simulator
):
    """Claimed under the old login and never recorded (its answer lost): if the
    gateway has it, it went out at its claim, and its recipient may answer into the
    old cabinet. The account page gives the later date, and replies are fetched."""
    message = sent(smsc, "+79120000001")
    login_changed(smsc)
    claimed_at = timezone.now() - timedelta(days=1)
    Message.objects.filter(pk=message.pk).update(
        status=DeliveryStatus.PENDING, gateway_message_id="", submitted_at=None,
        claimed_at=claimed_at, planned_at=claimed_at,
    )  # fmt: skip
    RetiredLogin.objects.update(retired_at=timezone.now() - timedelta(days=4))
    simulator.state.add_incoming("smsc", OLD, phone="79120000001", text="Дошло")

    [retired] = retired_logins_in_use(ProviderAccount.objects.get(pk=smsc.pk))
    assert retired.in_use.open == 1
    assert retired.replies_until == claimed_at + timedelta(days=3)
    incoming_fetch_accounts()
    assert Reply.objects.filter(text="Дошло").exists()

    # Claimed more than three days ago: no reply is waited for any more.
    long_ago = timezone.now() - timedelta(days=3, minutes=1)
    Message.objects.filter(pk=message.pk).update(
        claimed_at=long_ago, planned_at=long_ago
    )
    simulator.state.add_incoming("smsc", OLD, phone="79120000001", text="Поздно")
    incoming_fetch_accounts()
    assert not Reply.objects.filter(text="Поздно").exists()

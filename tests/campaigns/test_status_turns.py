"""SMSC takes one mass status request a minute per login (REFERENCE §2.5): polling
and the reconciler share that turn, and the reconciler goes first."""

from datetime import timedelta

import pytest

from django.core.cache import cache
from django.utils import timezone

from campaigns.models import Message
from campaigns.polling import statuses_poll
from campaigns.reconcile import messages_in_doubt, messages_reconcile
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def smsc(simulator, make_campaign):
    account = simulated_account(simulator, "smsc")
    campaign = make_campaign(account=account)
    claimed = timezone.now() - timedelta(minutes=10)
    Message.objects.bulk_create(
        Message(
            campaign=campaign, account=account, phone=f"+7912{i:07d}", text="x",
            channel="sms", planned_at=claimed, claimed_at=claimed, status="pending",
        )
        for i in range(250)
    )  # fmt: skip
    sent = timezone.now() - timedelta(minutes=5)
    Message.objects.bulk_create(
        Message(
            campaign=campaign, account=account, phone=f"+7913{i:07d}", text="x",
            channel="sms", planned_at=sent, submitted_at=sent, status="sent",
            gateway_message_id=f"{i}:7913{i:07d}",
        )
        for i in range(10)
    )  # fmt: skip
    cache.clear()
    simulator.state.request_log.clear()
    return account


def status_requests(simulator) -> int:
    return sum(
        1
        for gateway, path, _at in simulator.state.request_log
        if gateway == "smsc" and "status.php" in path
    )


def test_the_reconciler_asks_smsc_once_a_minute(simulator, smsc):
    """250 messages in doubt were asked in three mass requests at once: SMSC refused
    the second with error 9, the run settled none of them, and so again every
    minute, each refusal bringing the IP nearer a block that stops sending too."""
    result = messages_reconcile()

    assert status_requests(simulator) == 1
    assert result.released == 100
    assert messages_in_doubt().count() == 150
    # Within the same minute, neither asks again.
    messages_reconcile()
    statuses_poll()
    assert status_requests(simulator) == 1


def test_polling_leaves_the_next_turn_to_the_reconciler(simulator, smsc):
    """Polling comes every 30 s and took each minute's turn first."""
    statuses_poll()
    assert status_requests(simulator) == 1

    messages_reconcile()  # the turn is polling's this minute
    assert status_requests(simulator) == 1
    cache.delete(f"poll:{smsc.pk}")  # the minute is over, here and at SMSC
    simulator.state.pass_time(60)
    statuses_poll()  # leaves it to the reconciler
    assert status_requests(simulator) == 1

    assert messages_reconcile().released == 100
    assert status_requests(simulator) == 2
    cache.delete(f"poll:{smsc.pk}")
    simulator.state.pass_time(60)
    # Polling's turn again, nothing holding it back (its messages due again).
    statuses_poll(now=timezone.now() + timedelta(seconds=61))
    assert status_requests(simulator) == 3

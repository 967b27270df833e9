"""The messages a campaign leaves held at the gateway for a later time, counted from
the trigger-kept tally per planned minute (campaigns 0035) and the current minute's
messages, equal a count of the messages themselves at any moment: before, inside and
after the current minute, through handing over, reports, edits, deletes, squashes."""

import importlib
import io
from datetime import UTC, datetime, timedelta

import pytest

from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from campaigns.counts import counts_squash
from campaigns.held_tally import (
    CURRENT_MINUTE_SQL,
    HELD_LATER_SQL,
    LAST_IN_MINUTES_SQL,
    held_mismatches,
    held_waits,
    scanned_held_waits,
)
from campaigns.models import Campaign, CampaignHeldCount, Message
from campaigns.statuses import message_statuses_apply
from providers.base import DeliveryStatus, StatusReport
from tests.campaigns.conftest import add_messages

pytestmark = pytest.mark.django_db

# A minute well ahead of the test's clock, and moments inside and around it.
MINUTE = datetime(2099, 3, 1, 9, 0, tzinfo=UTC)
SECONDS = [-61, -1, 0, 1, 20, 30, 31, 59, 60, 61, 119, 180, 239.999]


def at(seconds: float) -> datetime:
    return MINUTE + timedelta(seconds=seconds)


def plan(campaign: Campaign, statuses: list[str], prefix: str, **fields) -> list:
    """Messages handed over (a gateway id each), planned one per moment of SECONDS."""
    messages = add_messages(campaign, statuses, phone_prefix=prefix, **fields)
    for message, seconds in zip(messages, SECONDS, strict=False):
        Message.objects.filter(pk=message.pk).update(
            planned_at=at(seconds), gateway_message_id=f"g{message.pk}"
        )
    return messages


def assert_exact(*campaigns: Campaign) -> None:
    """The tally's answer is the messages' at every moment around the minutes held."""
    assert held_mismatches() == []
    ids = [c.pk for c in campaigns]
    for seconds in [*SECONDS, 30.5, 59.999, 300]:
        now = at(seconds)
        assert held_waits(ids, now) == scanned_held_waits(ids, now), seconds


@pytest.fixture
def campaigns(make_campaign, smsc_account):
    first = make_campaign(state=Campaign.State.COMPLETED)
    second = make_campaign(
        state=Campaign.State.COMPLETED, account=smsc_account, name="Second"
    )
    plan(first, ["queued"] * len(SECONDS), "+7913")
    plan(second, ["sent", "queued", "delivered", "pending"] * 3, "+7913")
    return first, second


def test_held_waits_count_the_messages_after_now_in_every_minute(campaigns):
    first, second = campaigns
    assert_exact(first, second)
    # Half a minute in: the 31st, 59th seconds and every later one wait; the last
    # one's time is exact, not its minute's.
    waits = held_waits([first.pk], at(30))
    assert waits == {first.pk: (7, at(239.999))}
    assert held_waits([first.pk], at(240)) == {}


def test_held_waits_follow_reports_edits_deletes_and_squashes(campaigns):
    first, second = campaigns
    message_statuses_apply(
        account=first.account,
        reports=[
            StatusReport(f"g{m.pk}", DeliveryStatus.DELIVERED, occurred_at=at(0))
            for m in first.messages.filter(planned_at__in=[at(31), at(239.999)])
        ],
    )
    assert held_waits([first.pk], at(30)) == {first.pk: (5, at(180))}
    assert_exact(first, second)

    # A message planned again, one that loses its id, one sent, some deleted.
    Message.objects.filter(campaign=first, planned_at=at(180)).update(
        planned_at=at(600)
    )
    Message.objects.filter(campaign=first, planned_at=at(119)).update(
        gateway_message_id=""
    )
    Message.objects.filter(campaign=second, status="queued").update(status="sent")
    Message.objects.filter(campaign=second, planned_at=at(0)).delete()
    assert_exact(first, second)

    assert counts_squash()
    assert not CampaignHeldCount.objects.filter(is_squashed=False).exists()
    assert_exact(first, second)
    # A minute none waits in any more is gone after the squash, not kept as zero.
    assert not CampaignHeldCount.objects.filter(campaign=first, minute=at(180)).exists()


def test_the_migration_tallies_the_messages_already_there(campaigns):
    first, second = campaigns
    CampaignHeldCount.objects.all().delete()
    assert held_mismatches()
    migration = importlib.import_module("campaigns.migrations.0035_held_counts")
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)
    assert_exact(first, second)


def test_counts_check_lists_a_held_minute_that_differs(campaigns):
    first, _second = campaigns
    CampaignHeldCount.objects.create(campaign=first, minute=at(3600), count=2)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 count"):
        call_command("counts_check", stdout=io.StringIO(), stderr=err)
    assert "2099-03-01 10:00 / 0 / 2" in err.getvalue()


def test_the_list_says_what_the_tally_counts(manager_client, make_campaign, account):
    """The page's figure is the tally's: the list and the detail page."""
    from django.urls import reverse

    campaign = make_campaign(
        state=Campaign.State.COMPLETED, finished_at=timezone.now(), account=account
    )
    held = add_messages(campaign, ["queued"] * 5, gateway_message_id="g")
    now = timezone.now()
    for i, message in enumerate(held):
        Message.objects.filter(pk=message.pk).update(
            planned_at=now + timedelta(minutes=10 * i - 15)
        )
    body = manager_client.get(
        reverse("campaigns:list"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    # Planned 15 and 5 minutes ago: gone out; 5, 15 and 25 minutes ahead: waiting.
    assert "Handed to the gateway, 3 wait for their send time" in body


def test_a_minute_is_kept_while_ahead_and_left_once_past(make_campaign, account):
    """Reports for messages whose time has passed (most of them) add nothing to the
    held tally; what a passed minute keeps is never read and the squash removes it."""
    campaign = make_campaign(state=Campaign.State.COMPLETED, account=account)
    past, ahead = add_messages(campaign, ["queued", "queued"])
    now = timezone.now()
    for message, minutes in ((past, -10), (ahead, 10)):
        Message.objects.filter(pk=message.pk).update(
            planned_at=now + timedelta(minutes=minutes),
            gateway_message_id=f"g{minutes}",
        )
    message_statuses_apply(
        account=account,
        reports=[StatusReport("g-10", DeliveryStatus.DELIVERED, occurred_at=now)],
    )
    current = now.astimezone(UTC).replace(second=0, microsecond=0)
    assert not CampaignHeldCount.objects.filter(
        minute__lt=current - timedelta(minutes=1)
    ).exists()
    assert held_waits([campaign.pk], now) == {
        campaign.pk: (1, now + timedelta(minutes=10))
    }

    # Left in a minute after it passed (a message counted while ahead, reported on
    # later): not compared, not read, and gone after the squash.
    stale = CampaignHeldCount.objects.create(
        campaign=campaign, minute=current - timedelta(hours=2), count=3
    )
    assert held_mismatches() == []
    assert held_waits([campaign.pk], now) == scanned_held_waits([campaign.pk], now)
    counts_squash()
    assert not CampaignHeldCount.objects.filter(pk=stale.pk).exists()
    assert held_waits([campaign.pk], now) == {
        campaign.pk: (1, now + timedelta(minutes=10))
    }


def test_only_messages_handed_over_for_later_are_in_the_held_index(
    simulator, make_group, make_campaign
):
    """The held index (campaigns 0037) kept an entry for every message with a gateway
    id, a quarter of the pump's record in database CPU, though its queries look only
    for messages held after now. A campaign sent at once now leaves it empty, one
    held for its window is all in it, and the held counts still read through it."""
    from tests.campaigns.gateway_accounts import simulated_account
    from tests.campaigns.test_sending import launch, phones, window_hours_ahead

    account = simulated_account(simulator, "webcom")
    at_once = launch(make_campaign([make_group("Now", phones(4))], account=account,
                                   respect_quiet_hours=False))  # fmt: skip
    held = launch(make_campaign([make_group("Later", phones(3, "+7913"))],
                                account=account, name="Later",
                                **window_hours_ahead()))  # fmt: skip
    handed_over = Message.objects.exclude(gateway_message_id="")
    assert handed_over.filter(campaign=at_once).count() == 4
    assert handed_over.filter(campaign=held).count() == 3

    indexed = handed_over.extra(where=[HELD_LATER_SQL])  # the index's own condition
    assert sorted(indexed.values_list("campaign_id", flat=True)) == [held.pk] * 3
    last = held.messages.order_by("planned_at").last().planned_at
    assert held_waits([at_once.pk, held.pk], timezone.now()) == {held.pk: (3, last)}

    minute = last.astimezone(UTC).replace(second=0, microsecond=0)
    params = {"ids": [held.pk], "minute": minute, "now": minute, "minutes": [minute]}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in (CURRENT_MINUTE_SQL, LAST_IN_MINUTES_SQL):
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row for (row,) in cursor.fetchall())
            assert "using message_held_later on campaigns_message" in plan, plan

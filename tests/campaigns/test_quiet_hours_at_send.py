"""Quiet hours when a message leaves: one due late (a backlog behind the rate limit, a
resume in the evening) was sent at once, at night in its recipient's zone."""

import time as time_module
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from django.utils import timezone

from campaigns.dispatch import campaign_pump
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from campaigns.quiet_hours import late_for_window, next_opening
from campaigns.sending import ClaimedMessage
from tests.campaigns.gateway_accounts import simulated_account

MOSCOW = ZoneInfo("Europe/Moscow")
VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")


def claimed(mid: int, planned_at=None) -> ClaimedMessage:
    return ClaimedMessage(mid, f"+7912000000{mid}", "x", "", "sms", planned_at, 1)


@pytest.mark.parametrize(
    ("local", "opening"),
    [
        ("2026-12-06 08:59", "2026-12-06 09:00"),  # before: today's opening
        ("2026-12-06 09:00", None),
        ("2026-12-06 20:59", None),
        ("2026-12-06 21:00", "2026-12-07 09:00"),  # closed: tomorrow's
        ("2026-12-06 23:30", "2026-12-07 09:00"),
    ],
)
def test_the_next_opening_of_a_window_on_the_recipients_wall_clock(local, opening):
    moment = datetime.fromisoformat(local).replace(tzinfo=VLADIVOSTOK)
    found = next_opening(moment.astimezone(UTC), VLADIVOSTOK, start=time(9),
                         end=time(21))  # fmt: skip
    expected = (
        datetime.fromisoformat(opening).replace(tzinfo=VLADIVOSTOK) if opening else None
    )
    assert found == expected


def test_late_at_night_in_vladivostok_while_moscow_is_at_work():
    campaign = Campaign(respect_quiet_hours=True, time_zone="Europe/Moscow",
                        window_start=time(9), window_end=time(21))  # fmt: skip
    now = datetime(2026, 12, 6, 15, 0, tzinfo=MOSCOW)  # 22:00 in Vladivostok
    chunk = [
        claimed(1),
        claimed(2),
        claimed(3),  # no zone of its own: the campaign's
        # Planned ahead inside its window: it goes with that send time.
        claimed(4, planned_at=now + timedelta(hours=11)),
    ]
    zones = {1: "Europe/Moscow", 2: "Asia/Vladivostok", 3: "",
             4: "Asia/Vladivostok"}  # fmt: skip

    late = late_for_window(chunk, campaign, now=now, zones=zones)

    assert late == {2: datetime(2026, 12, 7, 9, 0, tzinfo=VLADIVOSTOK)}
    campaign.respect_quiet_hours = False
    assert late_for_window(chunk, campaign, now=now, zones=zones) == {}


def closed_window() -> dict:
    """A one-hour window three or more hours from now in Moscow, never spanning
    midnight: the window is closed now."""
    start = (datetime.now(MOSCOW).hour + 3) % 24
    start = 1 if start == 23 else start
    return {"respect_quiet_hours": True, "window_start": time(start),
            "window_end": time(start + 1), "time_zone": "Europe/Moscow"}  # fmt: skip


def due_late(campaign: Campaign) -> datetime:
    """Expanded into the window, then fallen due now, as behind a backlog; the
    window's opening it had."""
    campaign_expand(campaign=campaign)
    opening = Message.objects.filter(campaign=campaign).first().planned_at
    assert opening > timezone.now() + timedelta(hours=1)
    Message.objects.filter(campaign=campaign).update(
        planned_at=timezone.now() - timedelta(minutes=5)
    )
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)
    return opening


@pytest.mark.django_db
def test_a_message_due_late_goes_with_the_windows_opening_as_its_send_time(
    simulator, make_group, make_campaign
):
    account = simulated_account(simulator, "webcom")
    campaign = make_campaign(
        [make_group("G", [("+79120000001", "A", "Europe/Moscow")])],
        account=account, **closed_window(),
    )  # fmt: skip
    opening = due_late(campaign)

    result = campaign_pump(campaign_id=campaign.pk)

    assert result.sent == 1
    (at_gateway,) = simulator.state.messages["webcom"].values()
    # time_send has minute precision; the opening is on the minute.
    assert at_gateway.send_at == opening.timestamp()
    message = Message.objects.get(campaign=campaign)
    assert (message.status, message.planned_at) == ("queued", opening)


@pytest.mark.django_db
def test_a_message_due_late_waits_for_the_window_where_the_gateway_cannot_schedule(
    simulator, make_group, make_campaign
):
    account = simulated_account(simulator, "webcom", dialect="get")
    campaign = make_campaign(
        [make_group("G", [("+79120000001", "A", "Europe/Moscow")])],
        account=account, **closed_window(),
    )  # fmt: skip
    opening = due_late(campaign)

    result = campaign_pump(campaign_id=campaign.pk)

    assert result.sent == 0
    assert simulator.state.submissions == []
    message = Message.objects.get(campaign=campaign)
    assert (message.status, message.planned_at, message.claimed_at) == (
        "pending", opening, None)  # fmt: skip
    assert result.next_due == opening
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.SENDING


@pytest.mark.django_db
def test_each_recipients_zone_is_the_contacts_else_the_pasted_numbers(
    make_group, make_campaign
):
    """A contact's zone is read at send time (the contact's as it is then); a
    pasted number's is kept on its message, from the numbering plan."""
    from campaigns.quiet_hours import recipient_zones

    group = make_group("G", [("+79120000001", "A", "Asia/Vladivostok"),
                             ("+79120000002", "B", "")])  # fmt: skip
    campaign = make_campaign([group], respect_quiet_hours=True,
                             time_zone="Europe/Samara",
                             extra_numbers="+74232000000")  # fmt: skip
    campaign_expand(campaign=campaign)
    messages = list(Message.objects.filter(campaign=campaign))
    chunk = [claimed(m.pk) for m in messages]

    zones = {m.phone: recipient_zones(chunk)[m.pk] for m in messages}

    assert zones["+79120000001"] == "Asia/Vladivostok"
    assert zones["+79120000002"] in ("", "Europe/Samara")  # the campaign's
    assert zones["+74232000000"] == "Asia/Vladivostok"  # Vladivostok's code 423
    stored = dict(Message.objects.values_list("phone", "time_zone"))
    assert stored["+79120000001"] == ""  # written on a million rows, it cost 1.5 s


def window_opening_within_a_minute() -> dict:
    """A window that opens at Moscow's next whole minute, less than a minute away
    (at least ten seconds, so the pump runs before it)."""
    now = datetime.now(MOSCOW)
    if now.second >= 50:
        time_module.sleep(61 - now.second)
        now = datetime.now(MOSCOW)
    opening = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    closing = opening + timedelta(hours=1)
    return {"respect_quiet_hours": True, "window_start": opening.time(),
            "window_end": closing.time(), "time_zone": "Europe/Moscow"}  # fmt: skip


@pytest.mark.django_db
def test_a_message_due_late_seconds_before_the_opening_waits_for_it(
    simulator, make_group, make_campaign
):
    """Held for an opening under a minute away, it still goes with that send time:
    a send time so near used to be dropped, and the message left at once, before
    the window opened."""
    account = simulated_account(simulator, "webcom")
    window = window_opening_within_a_minute()
    campaign = make_campaign(
        [make_group("G", [("+79120000001", "A", "Europe/Moscow")])],
        account=account, **window,
    )  # fmt: skip
    campaign_expand(campaign=campaign)
    Message.objects.filter(campaign=campaign).update(
        planned_at=timezone.now() - timedelta(minutes=5)
    )
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)
    opening = datetime.combine(
        datetime.now(MOSCOW).date(), window["window_start"], tzinfo=MOSCOW
    )
    if opening < datetime.now(MOSCOW) - timedelta(hours=1):  # past midnight
        opening += timedelta(days=1)

    result = campaign_pump(campaign_id=campaign.pk)

    assert result.sent == 1
    (at_gateway,) = simulator.state.messages["webcom"].values()
    assert at_gateway.send_at == opening.timestamp()

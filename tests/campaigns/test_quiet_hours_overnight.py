"""A send window that crosses midnight (22:00–06:00: a night-shift service, a taxi
company) sends overnight: at expansion, when a message falls due late, at the
gateway, in the preview and on the campaign's page. Russia's zones keep no summer
time: the wall clock is the same offset from UTC all year."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from django.urls import reverse
from django.utils import timezone

from campaigns import expansion
from campaigns.dispatch import campaign_pump
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from campaigns.quiet_hours import late_for_window, next_opening
from campaigns.send_window import SendWindow
from campaigns.sending import ClaimedMessage
from campaigns.services import campaign_preview
from tests.campaigns.gateway_accounts import simulated_account

MOSCOW = "Europe/Moscow"
VLADIVOSTOK = "Asia/Vladivostok"  # UTC+10
KALININGRAD = "Europe/Kaliningrad"  # UTC+2
NIGHT = {"respect_quiet_hours": True, "window_start": time(22),
         "window_end": time(6)}  # fmt: skip


def at(text: str, zone: str = "UTC") -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def claimed(mid: int, planned_at=None) -> ClaimedMessage:
    return ClaimedMessage(mid, f"+7912000000{mid}", "x", "", "sms", planned_at, 1)


@pytest.fixture(params=["sql", "python"])
def path(request, monkeypatch):
    """Both expansions: the set-based INSERT and the portable one (SQLite's)."""
    if request.param == "python":
        monkeypatch.setattr(
            expansion, "_insert_contacts_sql",
            lambda campaign, plan, reachable, **_flags: (
                expansion._insert_contacts_python(campaign, plan, reachable)
            ),
        )  # fmt: skip
    return request.param


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (time(21, 59, 59), False),
        (time(22), True),  # exactly at the start: open
        (time(23, 59, 59), True),
        (time(0), True),
        (time(5, 59, 59), True),
        (time(6), False),  # exactly at the end: closed
        (time(13), False),
    ],
)
def test_an_overnight_window_is_open_from_its_start_until_its_end(moment, inside):
    window = SendWindow(time(22), time(6))

    assert window.crosses_midnight
    assert window.length == timedelta(hours=8)
    assert window.contains(moment) is inside


@pytest.mark.parametrize(
    ("local", "opening"),
    [
        ("2030-03-01 21:59", "2030-03-01 22:00"),  # before: tonight's opening
        ("2030-03-01 22:00", None),
        ("2030-03-02 00:00", None),  # past midnight: still open
        ("2030-03-02 05:59", None),
        ("2030-03-02 06:00", "2030-03-02 22:00"),  # closed: this evening's, not
        ("2030-03-02 13:00", "2030-03-02 22:00"),  # tomorrow's
    ],
)
def test_the_next_opening_of_an_overnight_window(local, opening):
    moment = at(local, VLADIVOSTOK)

    found = next_opening(moment.astimezone(UTC), ZoneInfo(VLADIVOSTOK),
                         start=time(22), end=time(6))  # fmt: skip

    assert found == (at(opening, VLADIVOSTOK) if opening else None)


@pytest.mark.parametrize(
    ("now", "late"),
    [
        # 22:00 in Vladivostok, 14:00 in Kaliningrad: Kaliningrad waits for 22:00.
        ("2030-03-01 12:00", {2: "2030-03-01 22:00"}),
        # 06:00 next morning in Vladivostok (closed), 22:00 in Kaliningrad (open).
        ("2030-03-01 20:00", {1: "2030-03-02 22:00"}),
    ],
)
def test_vladivostok_and_kaliningrad_at_the_same_moment(now, late):
    campaign = Campaign(time_zone=MOSCOW, **NIGHT)
    zones = {1: VLADIVOSTOK, 2: KALININGRAD}

    found = late_for_window([claimed(1), claimed(2)], campaign, now=at(now),
                            zones=zones)  # fmt: skip

    assert found == {mid: at(local, zones[mid]) for mid, local in late.items()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "planned"),
    [
        # 22:00 Vladivostok (the start: now), 14:00 Kaliningrad, 15:00 Moscow.
        ("2030-03-01 12:00", {VLADIVOSTOK: "2030-03-01 12:00",
                              KALININGRAD: "2030-03-01 20:00",
                              MOSCOW: "2030-03-01 19:00"}),
        # 06:00 Vladivostok (the end: tonight), 22:00 Kaliningrad, 23:00 Moscow.
        ("2030-03-01 20:00", {VLADIVOSTOK: "2030-03-02 12:00",
                              KALININGRAD: "2030-03-01 20:00",
                              MOSCOW: "2030-03-01 20:00"}),
    ],
)  # fmt: skip
def test_the_expansion_plans_each_recipient_into_the_night(
    path, start, planned, make_group, make_campaign
):
    group = make_group("G", [("+79240000001", "V", VLADIVOSTOK),
                             ("+74012000002", "K", KALININGRAD),
                             ("+79120000003", "M", MOSCOW)])  # fmt: skip
    campaign = make_campaign([group], start_at=at(start), time_zone=MOSCOW, **NIGHT)

    campaign_expand(campaign=campaign)

    zones = dict(Message.objects.values_list("phone", "contact__time_zone"))
    found = {zones[p]: t for p, t in Message.objects.values_list("phone", "planned_at")}
    assert found == {zone: at(when) for zone, when in planned.items()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "hours", "local"),
    [
        # 04:00 Moscow, four over four hours: 04:00 and 05:00 before it closes at
        # 06:00, the rest when it opens again the same evening, an hour apart.
        ("2030-03-01 04:00", 4, ["01 04:00", "01 05:00", "01 22:00", "01 23:00"]),
        # 23:00, four over eight hours: past midnight inside the window.
        ("2030-03-01 23:00", 8, ["01 23:00", "02 01:00", "02 03:00", "02 05:00"]),
        # 12:00 (closed), four over twelve hours: three hours apart from 22:00,
        # the last one carried over to the next night.
        ("2030-03-01 12:00", 12, ["01 22:00", "02 01:00", "02 04:00", "02 23:00"]),
    ],
)
def test_spreading_counts_the_nights_sending_hours(
    path, start, hours, local, make_group, make_campaign
):
    group = make_group("G", [(f"+7912000000{i}", "X", MOSCOW) for i in range(4)])
    campaign = make_campaign([group], start_at=at(start, MOSCOW), time_zone=MOSCOW,
                             spread_hours=hours, **NIGHT)  # fmt: skip

    campaign_expand(campaign=campaign)

    times = sorted(Message.objects.values_list("planned_at", flat=True))
    assert times == [at(f"2030-03-{day}", MOSCOW) for day in local]


@pytest.mark.django_db
def test_the_preview_counts_whom_the_night_window_defers(make_group, make_campaign):
    group = make_group("G", [("+79240000001", "V", VLADIVOSTOK),
                             ("+74012000002", "K", KALININGRAD),
                             ("+79120000003", "M", MOSCOW)])  # fmt: skip
    # 22:00 in Vladivostok: only Kaliningrad and Moscow wait.
    campaign = make_campaign([group], start_at=at("2030-03-01 12:00"), **NIGHT)

    preview = campaign_preview(campaign=campaign)

    assert preview.deferred == 2


@pytest.mark.django_db
def test_a_message_due_late_goes_to_webcom_with_the_nights_opening(
    simulator, make_group, make_campaign, monkeypatch
):
    """Due at 06:00 in Moscow, exactly when the night window closes, and at 13:00 in
    Vladivostok: each leaves with its own zone's 22:00 as Webcom's time_send. At
    05:00 in Kaliningrad the night is still on: that one leaves at once."""
    now = at("2030-03-02 03:00")
    monkeypatch.setattr(timezone, "now", lambda: now)
    group = make_group("G", [("+79120000001", "M", MOSCOW),
                             ("+79240000002", "V", VLADIVOSTOK),
                             ("+74012000003", "K", KALININGRAD)])  # fmt: skip
    campaign = make_campaign([group], account=simulated_account(simulator, "webcom"),
                             time_zone=MOSCOW, **NIGHT)  # fmt: skip
    campaign_expand(campaign=campaign)
    due = now - timedelta(minutes=5)  # fallen due late, behind a backlog
    Message.objects.filter(campaign=campaign).update(planned_at=due)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)

    result = campaign_pump(campaign_id=campaign.pk)

    assert result.sent == 3
    planned = {"+79120000001": at("2030-03-02 22:00", MOSCOW),
               "+79240000002": at("2030-03-02 22:00", VLADIVOSTOK),
               "+74012000003": due}  # fmt: skip
    sent = {m.phone: m.send_at for m in simulator.state.messages["webcom"].values()}
    assert sent == {"79120000001": planned["+79120000001"].timestamp(),
                    "79240000002": planned["+79240000002"].timestamp(),
                    "74012000003": None}  # fmt: skip
    assert dict(Message.objects.values_list("phone", "planned_at")) == planned


@pytest.mark.django_db
def test_the_campaign_page_says_the_window_runs_overnight(
    manager_client, make_campaign
):
    campaign = make_campaign(**NIGHT)

    page = manager_client.get(
        reverse("campaigns:detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "sends overnight, 22:00 to 06:00 the next day" in page

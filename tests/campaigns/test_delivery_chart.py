"""The report's delivery chart: its unit follows the deliveries, empty buckets are bars."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.delivery_chart import (
    MAX_BUCKETS,
    UNITS,
    bucket_count,
    campaign_delivery_chart,
    series_from_minutes,
)
from campaigns.models import Campaign, Message

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")


def at(day: int, hour: int, minute: int = 0, *, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MOSCOW)


def deliver(campaign, times, *, status="delivered", prefix="+7912") -> None:
    """One message of `campaign` delivered (or read) at each of `times`."""
    Message.objects.bulk_create(
        Message(
            campaign=campaign, account=campaign.account, phone=f"{prefix}{i:07d}",
            text="Hi", channel="sms", status=status, planned_at=moment,
            submitted_at=moment, delivered_at=moment,
        )
        for i, moment in enumerate(times)
    )  # fmt: skip


@pytest.fixture
def finished(make_campaign):
    """Launched at 02:50, finished (all handed over) at 02:58."""
    return make_campaign(
        state=Campaign.State.COMPLETED,
        launched_at=at(10, 2, 50),
        finished_at=at(10, 2, 58),
    )


def test_held_deliveries_choose_the_unit_and_the_gaps_get_zero_bars(finished):
    # The gateway held one message until quiet hours ended: the campaign lasted
    # eight minutes, its deliveries six hours. Per minute that was 366 bars, four of
    # them drawn side by side as if 02:58 and 09:00 were a minute apart.
    deliver(finished, [at(10, 2, 55), at(10, 2, 57), at(10, 2, 58), at(10, 9, 0)])

    chart = campaign_delivery_chart(campaign=finished)

    assert chart.unit == "hour"
    assert chart.labels == [f"10.03 {hour:02d}:00" for hour in range(2, 10)]
    assert chart.values == [3, 0, 0, 0, 0, 0, 0, 1]


def test_minutes_without_deliveries_get_zero_bars(finished):
    deliver(finished, [at(10, 2, 55), at(10, 2, 55), at(10, 2, 58)])

    chart = campaign_delivery_chart(campaign=finished)

    assert chart.unit == "minute"
    assert chart.labels == ["10.03 02:55", "10.03 02:56", "10.03 02:57", "10.03 02:58"]
    assert chart.values == [2, 0, 0, 1]


def test_a_long_campaign_with_quick_deliveries_is_drawn_per_minute(make_campaign):
    # Launched ten days ago and finished now (it was per day): what was delivered
    # came within twenty minutes.
    campaign = make_campaign(
        state=Campaign.State.COMPLETED,
        launched_at=at(1, 9),
        finished_at=at(11, 9),
    )
    deliver(campaign, [at(1, 9, 5), at(1, 9, 25)])

    chart = campaign_delivery_chart(campaign=campaign)

    assert chart.unit == "minute"
    assert len(chart.labels) == 21
    assert (chart.labels[0], chart.labels[-1]) == ("01.03 09:05", "01.03 09:25")
    assert sum(chart.values) == 2


def test_read_messages_are_charted_as_delivered(finished):
    deliver(finished, [at(10, 3), at(10, 3, 1)])
    deliver(finished, [at(10, 3, 1)], status="read", prefix="+7913")
    deliver(finished, [at(10, 3, 2)], status="sent", prefix="+7914")  # not delivered

    chart = campaign_delivery_chart(campaign=finished)

    assert chart.values == [1, 2]


def test_without_deliveries_the_unit_follows_the_campaign(make_campaign):
    short = make_campaign(launched_at=at(10, 9), finished_at=at(10, 10))
    long = make_campaign(launched_at=at(1, 9), finished_at=at(4, 9))
    never = make_campaign()
    deliver(short, [at(10, 9, 30)], status="sent")

    assert campaign_delivery_chart(campaign=short).unit == "minute"
    assert campaign_delivery_chart(campaign=long).unit == "hour"
    assert campaign_delivery_chart(campaign=short).values == []
    assert campaign_delivery_chart(campaign=never) is None


def test_the_chart_is_one_aggregate_query(finished):
    deliver(finished, [at(10, 3) + timedelta(minutes=7 * i) for i in range(50)])

    with CaptureQueriesContext(connection) as queries:
        chart = campaign_delivery_chart(campaign=finished)

    assert len(queries) == 1
    assert "GROUP BY" in queries[0]["sql"].upper()
    assert sum(chart.values) == 50


@pytest.mark.parametrize(
    "span",
    [
        timedelta(0),
        timedelta(minutes=199),
        timedelta(minutes=200),
        timedelta(hours=30),
        timedelta(days=8, hours=7),
        timedelta(days=8, hours=9),
        timedelta(days=150),
        timedelta(days=400),
        timedelta(days=365 * 5),
    ],
)
def test_the_unit_is_the_finest_that_keeps_the_bars_bounded(span):
    first = datetime(2026, 3, 10, 2, 55)  # noqa: DTZ001  (local wall-clock minutes)
    last = first + span
    chart = series_from_minutes({first: 2, last: 1} if span else {first: 3})

    assert len(chart.labels) == len(chart.values) <= MAX_BUCKETS
    assert len(chart.values) == bucket_count(first, last, chart.unit)
    assert sum(chart.values) == 3
    assert chart.values[0] > 0  # the first and last bars are the deliveries
    assert chart.values[-1] > 0
    finer = UNITS[: UNITS.index(chart.unit)]
    assert all(bucket_count(first, last, unit) > MAX_BUCKETS for unit in finer)


def test_times_decades_apart_chart_only_the_months_with_deliveries():
    # A gateway's clock gone wrong: not 400 empty months between the two.
    first = datetime(1990, 1, 1, 12, 0)  # noqa: DTZ001
    last = datetime(2026, 3, 10, 12, 0)  # noqa: DTZ001

    chart = series_from_minutes({first: 1, last: 4})

    assert chart.unit == UNITS[-1]
    assert chart.labels == ["01.1990", "03.2026"]
    assert chart.values == [1, 4]


def test_buckets_are_the_site_s_local_time_across_a_dst_change(make_campaign, settings):
    settings.TIME_ZONE = "Europe/Berlin"  # clocks go back at 03:00 on 25 October
    berlin = ZoneInfo("Europe/Berlin")
    campaign = make_campaign(state=Campaign.State.COMPLETED)
    first_0230 = datetime(2026, 10, 25, 2, 30, tzinfo=berlin)  # CEST, 00:30 UTC
    second_0230 = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=berlin)  # CET
    deliver(campaign, [at(25, 2, month=10).astimezone(berlin), first_0230])
    deliver(campaign, [second_0230, second_0230 + timedelta(hours=2)], prefix="+7913")

    chart = campaign_delivery_chart(campaign=campaign)

    # Bars are wall-clock hours, as the labels say: 02:00 was lived twice, and is
    # one bar holding both half past twos, not two bars labelled alike.
    assert chart.unit == "hour"
    assert chart.labels == [f"25.10 {hour:02d}:00" for hour in range(1, 5)]
    assert chart.values == [1, 2, 0, 1]


def test_the_report_page_draws_the_filled_hours(viewer_client, finished, settings):
    settings.LANGUAGE_CODE = "en"
    deliver(finished, [at(10, 2, 55), at(10, 9, 0)])

    response = viewer_client.get(reverse("reports:campaign_report", args=[finished.pk]))

    assert response.context["chart_unit"] == "hour"
    data = response.context["chart_data"]
    assert len(data["labels"]) == len(data["values"]) == 8
    assert data["values"].count(0) == 6
    assert "Delivered per hour" in response.content.decode()

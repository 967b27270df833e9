"""The dashboard: balances, campaigns in flight, 30 days of traffic, unread replies."""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign, Message, Reply
from campaigns.report_selectors import BILLABLE_STATUSES
from tests.campaigns.report_data import MIX, make_reply, seed_messages

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_campaigns_in_flight_refresh_themselves_while_one_is_live(
    viewer_client, make_campaign
):
    # Nothing in flight: the block stays still.
    response = viewer_client.get("/")
    assert response.context["in_flight_poll"] is None
    assert 'hx-get="/in-flight/"' not in response.content.decode()

    scheduled = make_campaign(name="Tomorrow", state=Campaign.State.SCHEDULED)
    response = viewer_client.get("/")
    assert 'hx-get="/in-flight/" hx-trigger="every 10s"' in response.content.decode()

    sending = make_campaign(name="Flash sale", state=Campaign.State.SENDING)
    seed_messages(sending)
    # What the block fetches: itself, with the latest counts and a faster pace.
    response = viewer_client.get("/in-flight/")
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="in-flight-block"')
    assert 'hx-trigger="every 2s"' in content
    assert {i.campaign for i in response.context["in_flight"]} == {scheduled, sending}
    assert "<html" not in content


def test_the_in_flight_block_needs_the_view_permission(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x")
    client.force_login(user)
    assert client.get("/in-flight/").status_code == 403


def test_balances_with_when_they_were_read(viewer_client, account):
    account.balance = Decimal("1234.50")
    account.balance_currency = "RUB"
    account.balance_checked_at = timezone.now() - timedelta(minutes=5)
    account.save()
    response = viewer_client.get("/")
    content = response.content.decode()
    assert list(response.context["balances"]) == [account]
    # Grouped as Russian writes money: a no-break space between thousands.
    assert "1\xa0234,50 ₽" in content
    assert "получен 5\xa0минут назад" in content


def test_a_balance_read_seconds_ago_does_not_say_zero_minutes(viewer_client, account):
    account.balance = Decimal("10")
    account.balance_checked_at = timezone.now() - timedelta(seconds=20)
    account.save()
    content = viewer_client.get("/").content.decode()
    assert "0\xa0минут" not in content
    assert "секунд назад" in content


def test_campaigns_in_flight_show_progress_from_the_counts(
    viewer_client, make_campaign
):
    sending = make_campaign(name="Flash sale", state=Campaign.State.SENDING)
    seed_messages(sending)
    done = make_campaign(name="Old news", state=Campaign.State.COMPLETED)
    seed_messages(done, prefix="+7913")
    response = viewer_client.get("/")
    in_flight = response.context["in_flight"]
    assert [item.campaign for item in in_flight] == [sending]
    funnel = in_flight[0].funnel
    statuses = Counter(
        Message.objects.filter(campaign=sending).values_list("status", flat=True)
    )
    assert funnel.total == len(MIX)
    # The bar: everything past pending; "sent": what the gateway took, not the
    # rejected, cancelled or failed (a report said 100 % handed over of a campaign
    # whose quarter was cancelled before it went).
    assert funnel.processed == len(MIX) - statuses["pending"]
    assert funnel.handed_over == sum(statuses[s] for s in BILLABLE_STATUSES)
    assert funnel.handed_over < funnel.processed
    assert funnel.delivered == statuses["delivered"] + statuses["read"]
    assert "Flash sale" in response.content.decode()


def test_daily_traffic_equals_a_group_by_per_day(viewer_client, make_campaign):
    campaign = make_campaign(state=Campaign.State.COMPLETED)
    seed_messages(campaign)
    long_ago = timezone.now() - timedelta(days=40)
    Message.objects.filter(campaign=campaign, status="cancelled").update(
        submitted_at=long_ago
    )
    response = viewer_client.get("/")
    traffic = response.context["traffic"]
    assert len(traffic["labels"]) == 30
    recent = Message.objects.filter(
        submitted_at__gte=timezone.now() - timedelta(days=29)
    )
    # Sent as a campaign's report counts it: refused at submit never left.
    assert sum(traffic["sent"]) == recent.filter(status__in=BILLABLE_STATUSES).count()
    assert recent.exclude(status__in=BILLABLE_STATUSES).exists()
    assert (
        sum(traffic["delivered"])
        == recent.filter(status__in=["delivered", "read"]).count()
    )
    assert traffic["labels"][-1] == timezone.localdate().strftime("%d.%m")
    assert 'id="traffic-data"' in response.content.decode()


def test_the_traffic_chart_has_a_text_alternative(viewer_client, make_campaign):
    campaign = make_campaign(state=Campaign.State.COMPLETED)
    seed_messages(campaign)
    response = viewer_client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    content = response.content.decode()
    traffic = response.context["traffic"]
    canvas = re.search(r'<canvas id="traffic-chart"[^>]*>', content).group(0)
    assert 'role="img"' in canvas
    assert (
        f"{sum(traffic['sent'])} sent and {sum(traffic['delivered'])} delivered"
        in canvas
    )
    table = content.split('data-chart-data="traffic-chart"')[1].split("</details>")[0]
    assert table.count('<th scope="row"') == 30
    assert f">{traffic['labels'][-1]}</th>" in table


def test_unread_replies_and_the_latest_few(viewer_client, account):
    for i in range(7):
        make_reply(account, phone=f"+7912000000{i}", text=f"reply {i}", is_read=i < 2)
    response = viewer_client.get("/")
    assert response.context["unread"] == 5
    assert len(response.context["replies"]) == 5
    assert "reply 6" in response.content.decode()
    assert "reply 0" not in response.content.decode()
    # The word agrees with the number in Russian: 5 непрочитанных, 1 непрочитанный.
    ru = viewer_client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'id="unread-replies">5</span>' in ru
    assert 'text-secondary">непрочитанных</span>' in ru
    unread = Reply.objects.filter(is_read=False).order_by("pk")
    Reply.objects.filter(pk__in=list(unread.values_list("pk", flat=True)[:4])).delete()
    ru = viewer_client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'id="unread-replies">1</span>' in ru
    assert 'text-secondary">непрочитанный</span>' in ru


def test_users_without_campaign_rights_see_no_campaign_blocks(
    client, django_user_model
):
    client.force_login(django_user_model.objects.create_user("plain", password="x"))
    response = client.get("/")
    assert response.status_code == 200
    assert "in_flight" not in response.context
    assert "balances" not in response.context


def test_the_traffic_chart_is_live_and_reads_no_messages(viewer_client, make_campaign):
    campaign = make_campaign(state=Campaign.State.COMPLETED)
    seed_messages(campaign)
    handed_over = sum(1 for row in MIX if row[0] in BILLABLE_STATUSES)
    assert sum(viewer_client.get("/").context["traffic"]["sent"]) == handed_over
    # Messages sent a moment later show up on the next view: nothing is cached.
    seed_messages(campaign, prefix="+7915")
    with CaptureQueriesContext(connection) as queries:
        traffic = viewer_client.get("/").context["traffic"]
    assert sum(traffic["sent"]) == 2 * handed_over  # the pending ones were not
    assert not [q for q in queries if "campaigns_message" in q["sql"]]


def test_a_scheduled_campaign_in_flight_says_when_it_starts(
    viewer_client, make_campaign
):
    start = datetime(2031, 5, 1, 0, 0, tzinfo=UTC)  # 10:00 in Vladivostok
    make_campaign(name="Tomorrow", state=Campaign.State.SCHEDULED, start_at=start,
                  time_zone="Asia/Vladivostok")  # fmt: skip
    content = viewer_client.get("/in-flight/", HTTP_ACCEPT_LANGUAGE="en").content
    # In the campaign's zone, named, as its own page says it (not the site's 03:00).
    assert "Starts 01.05.2031 10:00 (Vladivostok)" in content.decode()
    assert "0 of 0 sent" not in content.decode()  # not expanded: nothing to count


def test_the_next_step_is_one_click_away_for_those_who_may_take_it(
    manager_client, viewer_user, client
):
    page = manager_client.get("/").content.decode()
    assert 'href="/campaigns/new/" data-action="new-campaign"' in page
    assert 'href="/contacts/import/" data-action="import"' in page

    client.force_login(viewer_user)
    page = client.get("/").content.decode()
    assert 'data-action="new-campaign"' not in page
    assert 'data-action="import"' not in page


def test_the_traffic_says_it_counts_one_off_and_test_sends(viewer_client, account):
    """A one-off message (campaign_id null) is in the chart and in no campaign's
    report: the dashboard says so, so the figures can be reconciled."""
    now = timezone.now()
    Message.objects.create(
        account=account, phone="+79120000001", text="Hi", channel="sms",
        status="delivered", planned_at=now, submitted_at=now,
    )  # fmt: skip

    response = viewer_client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert sum(response.context["traffic"]["sent"]) == 1
    note = response.content.decode().split("data-traffic-one-off>")[1].split("<")[0]
    assert note == (
        "Includes one-off messages and test sends, which no campaign report shows."
    )
    dated = response.content.decode().split("data-traffic-went-out>")[1].split("<")[0]
    assert dated == (
        "Messages the gateway holds for a later time count on the day they go out."
    )


def test_a_completed_campaign_the_gateway_still_holds_is_in_flight(
    viewer_client, make_campaign
):
    """Handed over whole (spread, quiet hours) it completes hours before its messages
    leave: the dashboard keeps it among those in flight until they are due, without
    reading the messages; one completed with nothing held is not there."""
    from tests.campaigns.conftest import add_messages

    now = timezone.now()
    held = make_campaign(
        name="Spread sale", state=Campaign.State.COMPLETED, finished_at=now
    )
    for i, message in enumerate(add_messages(held, ["queued"] * 3)):
        Message.objects.filter(pk=message.pk).update(
            gateway_message_id=f"g{i}", planned_at=now + timedelta(hours=i + 1)
        )
    done = make_campaign(
        name="Old news", state=Campaign.State.COMPLETED, finished_at=now
    )
    add_messages(done, ["delivered"], phone_prefix="+7915", gateway_message_id="d")

    with CaptureQueriesContext(connection) as queries:
        response = viewer_client.get("/in-flight/", HTTP_ACCEPT_LANGUAGE="en")
    assert [(i.campaign, i.held) for i in response.context["in_flight"]] == [(held, 3)]
    content = response.content.decode()
    assert "Handed to the gateway, 3 wait for their send time" in content
    assert "Old news" not in content
    assert not [q for q in queries if "campaigns_message" in q["sql"]]

    # As their times come, fewer wait; once the last has come, it is done.
    first = Message.objects.filter(campaign=held).order_by("planned_at").first()
    Message.objects.filter(pk=first.pk).update(planned_at=now - timedelta(minutes=5))
    in_flight = viewer_client.get("/in-flight/", HTTP_ACCEPT_LANGUAGE="en")
    assert [i.held for i in in_flight.context["in_flight"]] == [2]
    assert "Handed to the gateway, 2 wait" in in_flight.content.decode()

    Message.objects.filter(campaign=held).update(planned_at=now - timedelta(hours=1))
    assert viewer_client.get("/in-flight/").context["in_flight"] == []

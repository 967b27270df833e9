"""Every time a campaign's pages show names its zone, and a message's planned time is
shown wherever its other times are."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Message
from contacts.models import Contact
from tests.campaigns.conftest import add_messages
from tests.campaigns.test_views import url

pytestmark = pytest.mark.django_db

State = Campaign.State
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MOSCOW = "(Moscow, UTC+03:00)"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    cache.clear()  # the gateway wait is remembered for a minute


def moscow(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M")


def facts(html: str) -> dict[str, str]:
    pairs = re.findall(r'<dt class="col-sm-4">([^<]+)</dt>\s*<dd[^>]*>([^<·]+)', html)
    return {label.strip(): " ".join(value.split()) for label, value in pairs}


@pytest.fixture
def held(make_campaign):
    """Completed: its one message handed over, held by the gateway until tomorrow."""
    campaign = make_campaign(
        state=State.COMPLETED,
        time_zone="Asia/Vladivostok",
        launched_at=timezone.now() - timedelta(hours=1),
        finished_at=timezone.now(),
    )
    [message] = add_messages(
        campaign, ["queued"], gateway_message_id="gw-1",
        submitted_at=timezone.now() - timedelta(minutes=50),
    )  # fmt: skip
    planned = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    Message.objects.filter(pk=message.pk).update(planned_at=planned)
    return campaign, planned


# The planned time (item: held messages looked sent) ------------------------------


def test_the_report_table_shows_the_planned_time_in_a_named_zone(manager_client, held):
    campaign, planned = held

    page = manager_client.get(
        reverse("reports:campaign_report", args=[campaign.pk]), **EN
    ).content.decode()

    assert f"Planned {MOSCOW}" in page
    assert f"Submitted {MOSCOW}" in page
    assert f"Delivered {MOSCOW}" in page
    row = page[page.index("+79130000000") :].split("</tr>", 1)[0]
    assert moscow(planned) in row
    assert "waits at the gateway" in row


def test_the_export_has_the_planned_time(manager_client, held):
    campaign, planned = held

    response = manager_client.get(
        reverse("reports:campaign_export", args=[campaign.pk]) + "?format=csv", **EN
    )

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(body)))
    assert header[10:12] == [f"Planned {MOSCOW}", f"Submitted {MOSCOW}"]
    assert row[10] == timezone.localtime(planned).strftime("%Y-%m-%d %H:%M:%S")


def test_the_contact_history_tells_planned_from_sent(manager_client, held):
    campaign, planned = held
    contact = Contact.objects.create(phone="+79130000000")
    [waiting] = add_messages(campaign, ["pending"], phone_prefix="+7914")
    later = planned + timedelta(hours=1)
    Message.objects.filter(pk=waiting.pk).update(
        phone=contact.phone, campaign=None, planned_at=later
    )

    page = manager_client.get(
        reverse("contacts:detail", args=[contact.pk]), **EN
    ).content.decode()

    assert f"Sent {MOSCOW}" in page
    rows = page[page.index('id="contact-messages"') :].split("<tr>")[2:]
    cells = [
        " ".join(row.split("data-sent>")[1].split("</td>")[0].split()) for row in rows
    ]
    submitted = moscow(campaign.messages.get().submitted_at)
    # The one-off message not sent yet showed its planned time as its sending time;
    # the one the gateway holds showed only when it was handed over.
    assert sorted(re.sub("<[^>]+>", "", cell) for cell in cells) == sorted(
        [f"— planned for {moscow(later)}", f"{submitted} planned for {moscow(planned)}"]
    )


# Zones named on the campaign's pages ----------------------------------------------


def test_the_campaign_page_names_the_zone_of_every_time(manager_client, make_campaign):
    scheduled_at = datetime(2026, 4, 30, 9, 15, tzinfo=UTC)
    start = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)  # 10:00 in Vladivostok
    campaign = make_campaign(
        state=State.COMPLETED, launched_at=scheduled_at, start_at=start,
        expanded_at=start, finished_at=start + timedelta(hours=1),
        time_zone="Asia/Vladivostok",
    )  # fmt: skip

    shown = facts(manager_client.get(url("detail", campaign), **EN).content.decode())

    assert shown["Start"] == "01.05.2026 10:00 (Vladivostok)"
    assert shown["Scheduled"] == "30.04.2026 12:15 (Moscow)"
    assert shown["Started"] == "01.05.2026 03:00 (Moscow)"
    assert shown["Finished"] == "01.05.2026 04:00 (Moscow)"
    assert shown["Created"].endswith("(Moscow)")


def test_the_gateway_wait_names_its_zone(manager_client, held):
    campaign, planned = held

    page = manager_client.get(url("detail", campaign), **EN).content.decode()

    assert f"goes out by {moscow(planned)} (Moscow)." in page


def test_the_launch_button_names_the_start_s_zone(manager_client, make_campaign):
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    campaign = make_campaign(
        extra_numbers="+79120000001", start_at=start, time_zone="Asia/Vladivostok"
    )
    local = timezone.localtime(start, timezone.get_fixed_timezone(600))

    page = manager_client.get(url("preview", campaign), **EN).content.decode()

    assert f"Schedule for {local:%d.%m.%Y %H:%M} (Vladivostok)" in page


def test_the_report_header_names_its_zone(manager_client, held):
    campaign, _planned = held

    page = manager_client.get(
        reverse("reports:campaign_report", args=[campaign.pk]), **EN
    ).content.decode()

    assert f"launched {moscow(campaign.launched_at)} (Moscow)" in page
    assert f"Submitted {MOSCOW}" in page
    assert f"Delivered {MOSCOW}" in page


def test_a_time_no_zone_can_show_is_shown_in_utc_not_a_crash():
    from contacts.timezones import zoned

    last = datetime(9999, 12, 31, 20, 0, tzinfo=UTC)  # 01.01.10000 in Vladivostok

    assert zoned(last, "Asia/Vladivostok") == "31.12.9999 20:00 (UTC)"
    assert zoned(last, "Europe/Moscow") == "31.12.9999 23:00 (Moscow)"


def test_the_campaign_list_names_the_zone_of_its_times(manager_client, make_campaign):
    launched = datetime(2026, 4, 30, 9, 15, tzinfo=UTC)
    make_campaign(state=State.COMPLETED, launched_at=launched, expanded_at=launched,
                  time_zone="Asia/Vladivostok")  # fmt: skip

    page = manager_client.get(reverse("campaigns:list"), **EN).content.decode()

    headers = [
        " ".join(h.split()) for h in re.findall(r"<th[^>]*>(.*?)</th>", page, re.S)
    ]
    headers = [re.sub(r"<[^>]+>", "", h).strip() for h in headers]
    assert f"Created {MOSCOW}" in headers
    assert f"Started {MOSCOW}" in headers
    row = page[page.index("campaign-link-") :].split("</tr>", 1)[0]
    assert "30.04.2026 12:15" in row  # in Moscow, as the heading says

"""A start chosen on a day its zone moves the clocks: the wall time the user picked,
a time the change skips refused with a word on why, one it repeats read as its
first occurrence (an offset picks the second)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from django.urls import reverse
from django.utils import timezone

from campaigns.forms import CampaignForm
from campaigns.models import Campaign
from tests.campaigns.test_api import API, draft_body, post
from tests.campaigns.test_forms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def _next_change(zone: str, *, forward: bool) -> date:
    """The next day (within a year) on which `zone` puts its clocks forward (or
    back) between 01:00 and 04:00."""
    tz = ZoneInfo(zone)
    day = timezone.now().date() + timedelta(days=1)
    while True:
        before = datetime.combine(day, time(1), tz).utcoffset()
        after = datetime.combine(day, time(4), tz).utcoffset()
        if before != after and (after > before) == forward:
            return day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("zone", "skipped"),
    [("Europe/Berlin", time(2, 30)), ("America/New_York", time(2, 30))],
)
def test_a_start_the_zones_spring_change_skips_is_refused_saying_why(
    account, zone, skipped
):
    """02:30 on Berlin's spring change day does not exist there: it was saved as
    03:30 without a word, an hour after the time the user picked."""
    day = _next_change(zone, forward=True)
    form = CampaignForm(
        form_data(
            account,
            start_mode="at",
            start_local=f"{day:%Y-%m-%d}T{skipped:%H:%M}",
            time_zone=zone,
        )
    )

    assert not form.is_valid()
    message = form.errors["start_local"][0]
    assert f"{day:%d.%m.%Y} {skipped:%H:%M}" in message
    assert "put forward" in message
    assert "03:30" in message  # the time that moment has on the clocks


def test_the_api_refuses_a_skipped_start_naming_the_field(manager_client, account):
    day = _next_change("Europe/Berlin", forward=True)

    response = post(
        manager_client,
        API,
        draft_body(
            account, start_at=f"{day:%Y-%m-%d}T02:30:00", time_zone="Europe/Berlin"
        ),
    )

    assert response.status_code == 400, response.json()
    assert response.json()["where"] == "start_at"
    assert "does not exist" in response.json()["detail"]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Europe/Moscow"])
@pytest.mark.parametrize("picked", [time(1, 30), time(3, 30), time(10)])
def test_a_start_around_a_change_is_the_wall_time_picked(account, zone, picked):
    """Either side of the change (Moscow keeps no summer time: any day)."""
    tz = ZoneInfo(zone)
    days = (
        [timezone.now().date() + timedelta(days=d) for d in (30, 200)]
        if zone == "Europe/Moscow"
        else [_next_change(zone, forward=True), _next_change(zone, forward=False)]
    )
    for day in days:
        form = CampaignForm(
            form_data(
                account,
                start_mode="at",
                start_local=f"{day:%Y-%m-%d}T{picked:%H:%M}",
                time_zone=zone,
            )
        )
        assert form.is_valid(), form.errors
        start = form.save().start_at.astimezone(tz)
        assert (start.date(), start.time()) == (day, picked)


def test_a_start_the_autumn_change_repeats_is_its_first_unless_an_offset_says(
    manager_client, account
):
    """02:30 comes twice in Berlin that night: without an offset the first (summer
    time, +02:00), as documented; the API's offset picks either."""
    day = _next_change("Europe/Berlin", forward=False)
    at = f"{day:%Y-%m-%d}T02:30:00"

    starts, answers = {}, {}
    for given in ("", "+02:00", "+01:00"):
        response = post(
            manager_client,
            API,
            draft_body(account, start_at=at + given, time_zone="Europe/Berlin"),
        )
        assert response.status_code == 201, response.json()
        answers[given] = response.json()
        starts[given] = Campaign.objects.get(pk=response.json()["id"]).start_at

    assert starts[""] == starts["+02:00"] == datetime.fromisoformat(at + "+02:00")
    assert starts["+01:00"] == datetime.fromisoformat(at + "+01:00")
    # The answer's start_local tells the two apart by their offsets.
    assert answers[""]["start_local"] == at + "+02:00"
    assert answers["+01:00"]["start_local"] == at + "+01:00"


def _note(html: str) -> str:
    """The text of the page's start note(s), spaces collapsed."""
    import lxml.html

    notes = lxml.html.fromstring(html).xpath("//*[@data-start-note]")
    return " | ".join(" ".join(n.text_content().split()) for n in notes)


def test_a_start_the_autumn_change_repeats_is_saved_and_said_to_be_the_first(
    manager_client, account
):
    """02:30 on Berlin's autumn change night was taken as the summer one without a
    word: the composer and the campaign page now say which 02:30 it is."""
    day = _next_change("Europe/Berlin", forward=False)
    data = form_data(
        account,
        start_mode="at",
        start_local=f"{day:%Y-%m-%d}T02:30",
        time_zone="Europe/Berlin",
    )

    saved = manager_client.post(reverse("campaigns:create"), data)

    assert saved.status_code == 302, saved.content.decode()[-3000:]
    campaign = Campaign.objects.get()
    assert campaign.start_at == datetime.fromisoformat(f"{day}T02:30:00+02:00")
    said = (
        "02:30 the first time round (summer time, UTC+02:00): the clocks go back "
        "that night and show 02:30 twice."
    )
    composer = manager_client.get(saved.url).content.decode()
    assert _note(composer) == said
    page = manager_client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert _note(page.content.decode()) == said


def test_the_second_of_a_repeated_time_is_said_so_and_kept_by_the_composer(
    manager_client, account
):
    """Set through the API's offset, the winter 02:30 was shown as a bare 02:30, and
    saving the draft in the composer moved it an hour earlier, to the summer one."""
    day = _next_change("Europe/Berlin", forward=False)
    response = post(
        manager_client,
        API,
        draft_body(
            account,
            start_at=f"{day:%Y-%m-%d}T02:30:00+01:00",
            time_zone="Europe/Berlin",
        ),
    )
    assert response.status_code == 201, response.json()
    campaign = Campaign.objects.get()
    second = datetime.fromisoformat(f"{day}T02:30:00+01:00")
    edit = reverse("campaigns:edit", args=[campaign.pk])

    composer = manager_client.get(edit).content.decode()
    assert _note(composer) == (
        "02:30 the second time round (winter time, UTC+01:00): the clocks go back "
        "that night and show 02:30 twice."
    )
    saved = manager_client.post(
        edit,
        form_data(
            account,
            name="Renamed",
            start_mode="at",
            start_local=f"{day:%Y-%m-%d}T02:30",
            time_zone="Europe/Berlin",
            version=campaign.version,
        ),
    )

    assert saved.status_code == 302, saved.content.decode()[-3000:]
    campaign.refresh_from_db()
    assert (campaign.name, campaign.start_at) == ("Renamed", second)


def test_no_note_for_a_start_the_clocks_show_once(manager_client, account):
    day = _next_change("Europe/Berlin", forward=False)
    for at in ("01:30", "03:30"):
        response = post(
            manager_client,
            API,
            draft_body(
                account, start_at=f"{day:%Y-%m-%d}T{at}:00", time_zone="Europe/Berlin"
            ),
        )
        page = manager_client.get(
            reverse("campaigns:detail", args=[response.json()["id"]])
        )
        assert response.status_code == 201
        assert page.status_code == 200
        assert _note(page.content.decode()) == ""

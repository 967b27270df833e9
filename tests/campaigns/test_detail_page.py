"""The campaign page explains itself: why Launch is disabled, what a scheduled launch
does, what waits at the gateway, and only the actions the state allows."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from django.utils import formats, timezone

from campaigns.models import Campaign
from tests.campaigns.test_views import people, url

pytestmark = pytest.mark.django_db

State = Campaign.State


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def launch_button(body: str) -> str:
    return body[body.index('data-action="launch"') :].split(">", 1)[0]


def launch_form(body: str) -> str:
    """The launch form's opening tag and button, up to the form's end."""
    start = body.rindex("<form", 0, body.index('data-action="launch"'))
    return body[start : body.index("</form>", start)]


# Launch button ------------------------------------------------------------------


def test_launch_says_why_it_is_disabled_without_groups(manager_client, make_campaign):
    campaign = make_campaign()  # no group, no pasted numbers

    body = manager_client.get(url("preview", campaign)).content.decode()

    form = launch_form(body)
    assert "disabled" in launch_button(body)
    assert "data-launch-refusal" in form
    # The service's own words, the ones the API and a refused launch give.
    assert "Choose at least one group or paste numbers." in form


def test_launch_says_why_when_the_same_group_is_included_and_excluded(
    manager_client, make_group, make_campaign
):
    group = make_group("Clients", people(2))
    campaign = make_campaign([group])
    campaign.exclude_groups.set([group])

    body = manager_client.get(url("preview", campaign)).content.decode()

    assert "Nobody to send to: the audience is empty." in launch_form(body)
    # No "1 segment: 0 recipients" row for an empty audience.
    assert 'data-preview="histogram"' not in body
    assert 'data-preview="nobody"' in body


def test_a_launchable_draft_has_an_enabled_button_and_no_reason(
    manager_client, make_group, make_campaign
):
    campaign = make_campaign([make_group("Clients", people(2))])

    body = manager_client.get(url("preview", campaign)).content.decode()

    form = launch_form(body)
    assert "disabled" not in launch_button(body)
    assert "data-launch-refusal" not in form
    assert 'data-preview="histogram"' in body


def test_the_reason_is_translated(manager_client, make_campaign, settings):
    settings.LANGUAGE_CODE = "ru"
    campaign = make_campaign()

    body = manager_client.get(url("preview", campaign)).content.decode()

    assert "Выберите хотя бы одну группу или вставьте номера." in launch_form(body)


# Launch confirmation -------------------------------------------------------------


def test_a_scheduled_launch_asks_to_schedule_at_its_local_time(
    manager_client, make_group, make_campaign
):
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    campaign = make_campaign(
        [make_group("Clients", people(2))],
        start_at=start,
        time_zone="Asia/Yekaterinburg",
    )

    body = manager_client.get(url("preview", campaign)).content.decode()

    form = launch_form(body)
    local = start.astimezone(ZoneInfo("Asia/Yekaterinburg"))
    when = formats.date_format(local, "DATETIME_FORMAT")
    assert (
        f'data-confirm="Schedule this campaign for {when} (Asia/Yekaterinburg)?"'
        in (form.replace("&#x27;", "'"))
    )
    assert "Launch this campaign now" not in form


def test_a_launch_now_asks_to_send_now(manager_client, make_group, make_campaign):
    campaign = make_campaign([make_group("Clients", people(2))])

    form = launch_form(manager_client.get(url("preview", campaign)).content.decode())

    assert "Launch this campaign now?" in form

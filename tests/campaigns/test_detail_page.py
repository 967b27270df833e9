"""The campaign page explains itself: why Launch is disabled, what a scheduled launch
does, what waits at the gateway, and only the actions the state allows."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from django.urls import reverse
from django.utils import formats, timezone

from campaigns.models import Campaign, Message
from tests.campaigns.conftest import add_messages
from tests.campaigns.test_start_summer_time import _next_change
from tests.campaigns.test_views import composer_data, people, url

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
    assert (
        "Choose the whole contact book, at least one group, or paste numbers." in form
    )


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


@pytest.mark.parametrize(
    ("channel", "in_parts"), [("viber", False), ("voice", False), ("viber_sms", True)]
)
def test_sms_parts_are_counted_only_for_what_goes_as_sms(
    manager_client, make_group, make_campaign, channel, in_parts
):
    """Viber and voice previews showed «Parts a recipient 1 → 2, in all 2» above
    their own note that they are not billed per SMS part."""
    campaign = make_campaign(
        [make_group("Clients", people(2))], channel=channel, viber_text="Привет"
    )

    body = manager_client.get(url("preview", campaign)).content.decode()

    assert ('data-preview="histogram"' in body) is in_parts
    assert ('data-preview="segments"' in body) is in_parts
    assert 'data-preview="total">2<' in body


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

    assert (
        "Выберите всю книгу контактов, хотя бы одну группу или вставьте номера."
        in launch_form(body)
    )


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
    assert f'data-confirm="Schedule this campaign for {when} (Yekaterinburg)?"' in (
        form.replace("&#x27;", "'")
    )
    assert "Launch this campaign now" not in form


def first_0230_of_the_autumn_night() -> datetime:
    """The first 02:30 (summer time) on the night Berlin's clocks go back."""
    day = _next_change("Europe/Berlin", forward=False)
    return datetime.combine(day, time(2, 30), ZoneInfo("Europe/Berlin"))


def test_a_launch_at_a_repeated_time_says_which_it_is(
    manager_client, make_group, make_campaign
):
    """«Schedule for 25.10.2026 02:30 (Berlin)» did not say which of the two 02:30s:
    the button and its confirmation say it as the campaign page's note does."""
    campaign = make_campaign(
        [make_group("Clients", people(2))],
        start_at=first_0230_of_the_autumn_night(),
        time_zone="Europe/Berlin",
    )

    body = manager_client.get(url("preview", campaign)).content.decode()

    form = launch_form(body).replace("&#x27;", "'")
    assert "(Berlin; summer time, UTC+02:00)?" in form
    assert (
        "(Berlin; summer time, UTC+02:00)" in form.split('data-action="launch"', 1)[1]
    )


def test_a_scheduled_campaign_at_a_repeated_time_says_which_it_is(
    manager_client, make_group, make_campaign
):
    campaign = make_campaign(
        [make_group("Clients", people(2))],
        start_at=first_0230_of_the_autumn_night().replace(fold=1),
        time_zone="Europe/Berlin",
        state=State.SCHEDULED,
    )

    body = manager_client.get(url("detail", campaign)).content.decode()

    status = body[body.index("data-campaign-state") :].split("data-actions", 1)[0]
    assert "(Berlin; winter time, UTC+01:00)" in status
    ru = manager_client.get(url("detail", campaign), HTTP_ACCEPT_LANGUAGE="ru")
    assert "(Берлин; зимнее время, UTC+01:00)" in ru.content.decode()


def test_a_start_that_has_passed_offers_to_launch_now_and_says_so(
    manager_client, make_group, make_campaign
):
    """Not "Schedule for" a time gone by: launching then sends at once."""
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    campaign = make_campaign(
        [make_group("Clients", people(2))], start_at=start, time_zone="Europe/Moscow"
    )

    body = manager_client.get(url("preview", campaign)).content.decode()

    form = launch_form(body)
    assert "has passed. Launch this campaign now?" in form.replace("&#x27;", "'")
    assert "Schedule this campaign" not in form
    assert "Launch now" in form.split('data-action="launch"', 1)[1]


def test_a_launch_now_asks_to_send_now(manager_client, make_group, make_campaign):
    campaign = make_campaign([make_group("Clients", people(2))])

    form = launch_form(manager_client.get(url("preview", campaign)).content.decode())

    assert "Launch this campaign now?" in form


# Messages waiting at the gateway ---------------------------------------------------


def test_a_completed_campaign_says_what_waits_at_the_gateway_and_offers_no_delete(
    manager_client, make_campaign
):
    campaign = make_campaign(state=State.COMPLETED, finished_at=timezone.now())
    now = timezone.now()
    last = now + timedelta(hours=5)
    add_messages(campaign, ["queued", "queued", "queued"], gateway_message_id="g")
    for message, planned in zip(
        campaign.messages.order_by("id"),
        [now + timedelta(hours=1), last, now],
        strict=True,
    ):
        message.planned_at = planned
        message.save(update_fields=["planned_at"])
    add_messages(campaign, ["delivered"], phone_prefix="+7914")

    body = manager_client.get(url("detail", campaign)).content.decode()

    # The one planned for now has gone out; two are still held, the last at `last`.
    assert 'data-gateway-wait="2"' in body
    assert formats.date_format(timezone.localtime(last), "DATETIME_FORMAT") in body
    assert "the last goes out at" in body
    # Deleting would be refused (services.campaign_undeletable_because): not offered.
    assert 'data-action="delete"' not in body


def _held_campaign(make_campaign, account, waiting: int):
    campaign = make_campaign(
        state=State.COMPLETED, finished_at=timezone.now(), account=account
    )
    held = add_messages(campaign, ["queued"] * waiting, gateway_message_id="g")
    Message.objects.filter(pk__in=[m.pk for m in held]).update(
        planned_at=timezone.now() + timedelta(hours=3)
    )
    add_messages(campaign, ["delivered"], phone_prefix="+7914")
    return campaign


def test_a_completed_campaign_with_messages_held_says_so_in_the_list_and_page(
    manager_client, make_campaign, smsc_account
):
    campaign = _held_campaign(make_campaign, smsc_account, waiting=4)

    listed = manager_client.get(reverse("campaigns:list")).content.decode()
    page = manager_client.get(url("detail", campaign)).content.decode()

    report = manager_client.get(reverse("reports:campaign_report", args=[campaign.pk]))
    report = report.content.decode()

    for body in (listed, page):
        assert "Handed to the gateway, 4 wait for their send time" in body
        assert "cancelling the campaign withdraws them at the gateway" in body
    assert ">Completed<" not in page
    assert 'data-action="cancel"' in page  # and the page offers it
    # The report said «Completed · finished 11:49» beside the page's «Handed to…».
    assert "Handed to the gateway, 4 wait for their send time" in report
    assert ">Completed<" not in report
    assert "· handed over " in report


def test_the_list_counts_held_messages_once_a_minute_and_shares_it_with_the_page(
    manager_client, make_campaign, smsc_account
):
    """The list refreshes every few seconds while a campaign sends; the count reads
    every queued row of a campaign (a second at a million): remembered for a minute,
    and the same answer on the campaign's page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = _held_campaign(make_campaign, smsc_account, waiting=3)

    def held_counts(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            body = manager_client.get(path).content.decode()
        assert "Handed to the gateway, 3 wait for their send time" in body
        return sum(
            '"planned_at" >' in q["sql"] and "COUNT(" in q["sql"]
            for q in queries.captured_queries
        )

    assert held_counts(reverse("campaigns:list")) == 1
    assert held_counts(reverse("campaigns:list")) == 0
    assert held_counts(url("detail", campaign)) == 0


def test_the_composer_says_a_spread_campaign_is_handed_over_at_once(
    manager_client, make_group, account
):
    group = make_group("Clients", people(2))
    preview = reverse("campaigns:compose_preview")

    spread = composer_data(account, include_groups=[group.pk], spread_hours=3)
    body = manager_client.post(preview, spread).content.decode()
    at_once = composer_data(account, include_groups=[group.pk], spread_hours=0)
    unspread = manager_client.post(preview, at_once).content.decode()

    assert 'data-preview="handed-over-at-once"' in body
    assert "cannot be paused, only cancelled" in body
    # Paused it can be, before its start: the note used to say otherwise.
    assert (
        "Until then (a scheduled campaign, before its start) it can be paused" in body
    )
    assert "handed-over-at-once" not in unspread


def test_the_gateway_wait_costs_three_queries_and_none_without_queued_messages(
    manager_client, make_campaign, django_assert_num_queries
):
    from campaigns.selectors import campaign_gateway_wait, campaign_progress

    campaign = make_campaign(state=State.COMPLETED)
    add_messages(campaign, ["delivered"])
    progress = campaign_progress(campaign=campaign)
    with django_assert_num_queries(0):
        assert campaign_gateway_wait(campaign=campaign, progress=progress) is None

    held = add_messages(
        campaign, ["queued"], gateway_message_id="g", phone_prefix="+7914"
    )
    Message.objects.filter(pk=held[0].pk).update(
        planned_at=timezone.now() + timedelta(hours=2)
    )
    progress = campaign_progress(campaign=campaign)
    # The held tally's minutes ahead, the current minute's messages, the last one's
    # time in its minute (campaigns.held_tally): however many messages it has.
    with django_assert_num_queries(3):
        wait = campaign_gateway_wait(campaign=campaign, progress=progress)
    assert wait.count == 1


def test_the_gateway_wait_is_not_looked_for_where_none_can_be(
    make_campaign, django_assert_num_queries
):
    """Only a completed campaign is counted, and only within SCHEDULE_AHEAD of its
    finish: nothing is handed over further ahead than that."""
    from campaigns.dispatch import SCHEDULE_AHEAD
    from campaigns.selectors import campaign_gateway_wait, campaign_progress

    long_done = make_campaign(
        state=State.COMPLETED,
        finished_at=timezone.now() - SCHEDULE_AHEAD - timedelta(hours=1),
    )
    paused = make_campaign(state=State.PAUSED)
    for campaign in (long_done, paused):
        add_messages(campaign, ["queued"], gateway_message_id="g")
        progress = campaign_progress(campaign=campaign)
        with django_assert_num_queries(0):
            assert campaign_gateway_wait(campaign=campaign, progress=progress) is None


def test_a_finished_campaign_with_nothing_held_offers_delete(
    manager_client, make_campaign
):
    campaign = make_campaign(state=State.COMPLETED, finished_at=timezone.now())
    add_messages(campaign, ["delivered", "queued"], gateway_message_id="g")

    body = manager_client.get(url("detail", campaign)).content.decode()

    assert "data-gateway-wait" not in body  # queued, but its time has come
    assert 'data-action="delete"' in body


# Draft and scheduled campaigns ---------------------------------------------------------


def test_a_draft_offers_edit_delete_launch_not_cancel(manager_client, make_campaign):
    campaign = make_campaign()

    body = manager_client.get(url("detail", campaign)).content.decode()

    assert 'data-action="edit"' in body
    assert 'data-action="delete"' in body
    assert 'data-action="cancel"' not in body
    # No lone "—" for the progress of a campaign without messages, nor "Total 0".
    assert 'data-status="total"' not in body
    assert '<small class="text-body-secondary">—</small>' not in body


def test_a_scheduled_campaign_without_messages_says_so(manager_client, make_campaign):
    campaign = make_campaign(
        state=State.SCHEDULED, start_at=timezone.now() + timedelta(days=1)
    )

    body = manager_client.get(url("detail", campaign)).content.decode()

    assert "data-no-messages" in body
    assert 'data-action="cancel"' in body


def test_a_scheduled_campaign_says_when_it_was_scheduled_not_launched(
    manager_client, make_campaign
):
    campaign = make_campaign(
        state=State.SCHEDULED, start_at=timezone.now() + timedelta(days=1),
        launched_at=timezone.now(),
    )  # fmt: skip

    body = manager_client.get(url("detail", campaign)).content.decode()

    assert '<dt class="col-sm-4">Scheduled</dt>' in body
    assert '<dt class="col-sm-4">Launched</dt>' not in body


def test_pausing_a_scheduled_campaign_says_it_will_not_start(
    manager_client, make_campaign
):
    campaign = make_campaign(
        state=State.SCHEDULED, start_at=timezone.now() + timedelta(days=1)
    )

    response = manager_client.post(url("pause", campaign), follow=True)

    body = response.content.decode()
    assert "it will not start until you resume it" in body
    assert "the batch in progress finishes" not in body


def test_a_campaign_paused_before_its_start_still_shows_the_planned_start(
    manager_client, make_campaign
):
    start = timezone.now() + timedelta(days=1)
    campaign = make_campaign(state=State.SCHEDULED, start_at=start)
    manager_client.post(url("pause", campaign))

    body = manager_client.get(url("detail", campaign)).content.decode()

    when = formats.date_format(
        timezone.localtime(start, ZoneInfo(campaign.time_zone)), "DATETIME_FORMAT"
    )
    assert "data-planned-start" in body
    assert f"planned start {when}" in body


def test_pausing_a_sending_campaign_says_the_batch_finishes(
    manager_client, make_campaign
):
    campaign = make_campaign(state=State.SENDING)

    response = manager_client.post(url("pause", campaign), follow=True)

    assert "the batch in progress finishes" in response.content.decode()


def test_the_gateway_wait_reads_in_russian(manager_client, make_campaign, settings):
    settings.LANGUAGE_CODE = "ru"
    campaign = make_campaign(state=State.COMPLETED, finished_at=timezone.now())
    held = add_messages(campaign, ["queued"] * 5, gateway_message_id="g")
    Message.objects.filter(pk__in=[m.pk for m in held]).update(
        planned_at=timezone.now() + timedelta(hours=3)
    )

    body = manager_client.get(url("detail", campaign)).content.decode()

    assert "5 сообщений ждут в шлюзе своего времени отправки, последнее уйдёт" in body


# Sending settings ----------------------------------------------------------------------


def setting(body: str, name: str) -> str | None:
    marker = f'data-setting="{name}">'
    if marker not in body:
        return None
    return " ".join(body.split(marker, 1)[1].split("</dd>", 1)[0].split())


def test_the_page_names_spread_validity_and_transliteration_when_set(
    manager_client, make_campaign, settings
):
    campaign = make_campaign(spread_hours=2, validity_hours=1, translit=True)
    plain = make_campaign()

    body = manager_client.get(url("detail", campaign)).content.decode()
    assert setting(body, "spread") == "evenly over 2 hours"
    assert setting(body, "validity") == "1 hour after sending"
    assert setting(body, "translit") == "Cyrillic sent in Latin letters"

    body = manager_client.get(url("detail", plain)).content.decode()
    assert [setting(body, name) for name in ("spread", "validity", "translit")] == [
        None, None, None,
    ]  # fmt: skip

    settings.LANGUAGE_CODE = "ru"
    Campaign.objects.filter(pk=campaign.pk).update(spread_hours=5, validity_hours=21)
    body = manager_client.get(url("detail", campaign)).content.decode()
    assert setting(body, "spread") == "равномерно в течение 5 часов"
    assert setting(body, "validity") == "21 час после отправки"
    assert setting(body, "translit") == "кириллица уходит латиницей"


def test_the_segments_histogram_groups_its_counts(
    manager_client, make_group, make_campaign
):
    campaign = make_campaign([make_group("Clients", people(1234))])

    body = manager_client.get(url("preview", campaign)).content.decode()

    histogram = body[body.index('data-preview="histogram"') :].split("</table>")[0]
    assert '<td class="text-end">1,234</td>' in histogram


@pytest.mark.parametrize("state", [State.SENDING, State.PAUSED])
def test_a_pause_says_it_leaves_what_the_gateway_holds_for_later(
    manager_client, make_campaign, smsc_account, state
):
    """Handed over with later send times (quiet hours, spreading), messages go out
    whatever the campaign's state: the pause button and the page said nothing."""
    campaign = make_campaign(state=state, account=smsc_account,
                             respect_quiet_hours=True)  # fmt: skip
    held = add_messages(campaign, ["queued"] * 2, gateway_message_id="g")
    Message.objects.filter(pk__in=[m.pk for m in held]).update(
        planned_at=timezone.now() + timedelta(hours=3)
    )
    add_messages(campaign, ["pending"], phone_prefix="+7914")

    page = manager_client.get(url("detail", campaign)).content.decode()
    listed = manager_client.get(reverse("campaigns:list")).content.decode()

    assert 'data-gateway-wait="2"' in page
    assert "Pausing does not stop them" in page
    assert "Cancelling the campaign withdraws them at the gateway." in page
    # The state stays the badge: the held label is a completed campaign's.
    assert f">{campaign.get_state_display()}<" in page
    assert "wait for their send time" not in listed
    if state == State.SENDING:
        pause_form = page[page.rindex("<form", 0, page.index('data-action="pause"')) :]
        question = pause_form.split("data-confirm=", 1)[1].split('"')[1]
        assert question.startswith("2 messages are already at the gateway")
        assert question.endswith("Pause the campaign?")


def test_a_sending_campaign_without_later_send_times_is_not_asked_about(
    manager_client, make_campaign, smsc_account
):
    """Queued now is sent now: no question about held messages."""
    campaign = make_campaign(state=State.SENDING, account=smsc_account,
                             respect_quiet_hours=False)  # fmt: skip
    add_messages(campaign, ["queued"] * 2, gateway_message_id="g")

    page = manager_client.get(url("detail", campaign)).content.decode()

    assert "data-gateway-wait" not in page
    pause_form = page[page.rindex("<form", 0, page.index('data-action="pause"')) :]
    assert "data-confirm" not in pause_form.split(">", 1)[0]

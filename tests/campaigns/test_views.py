import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign, Message
from campaigns.services import campaign_start
from contacts.models import Contact, StopListEntry
from providers.models import ProviderAccount
from tests.campaigns.conftest import add_messages
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = pytest.mark.django_db
# The message text's counter; a Viber text has its own (characters only).
TEXT_COUNTER = "[data-segment-counter]:not([data-characters-only])"

State = Campaign.State


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def people(n: int, prefix: str = "+7912") -> list[tuple[str, str, str]]:
    return [(f"{prefix}{i:07d}", f"Name{i}", "Europe/Moscow") for i in range(n)]


def url(name: str, campaign=None) -> str:
    return reverse(f"campaigns:{name}", args=[campaign.pk] if campaign else [])


def composer_data(account, **overrides) -> dict:
    data = {
        "name": "Spring sale",
        "account": account.pk,
        "sender": account.default_sender,
        "channel": "sms",
        "text": "Hello {first_name}",
        "extra_numbers": "+79120000001",
        "start_mode": "now",
        "time_zone": "Europe/Moscow",
        "window_start": "09:00",
        "window_end": "21:00",
        "spread_hours": "0",
    }
    data.update(overrides)
    return data


ACTIONS = ["launch", "pause", "resume", "cancel", "resend", "delete", "decide"]


# Permissions -------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client, make_campaign):
    campaign = make_campaign()
    for address in (url("list"), url("create"), url("detail", campaign)):
        response = client.get(address)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    response = client.post(url("launch", campaign))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == State.DRAFT


def test_viewer_sees_pages_without_write_buttons(viewer_client, make_campaign):
    campaign = make_campaign()

    listing = viewer_client.get(url("list"))
    detail = viewer_client.get(url("detail", campaign))

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert reverse("campaigns:create") not in listing.content.decode()
    body = detail.content.decode()
    for action in ("edit", "cancel", "delete", "test_send"):
        assert f'data-action="{action}"' not in body


@pytest.mark.parametrize("action", ACTIONS)
def test_viewer_gets_403_on_every_write(viewer_client, make_campaign, action):
    campaign = make_campaign()

    response = viewer_client.post(url(action, campaign), {"decision": "resend"})

    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.state == State.DRAFT


@pytest.mark.parametrize("name", ["edit", "test_send"])
def test_viewer_gets_403_on_composer_and_test_send(viewer_client, make_campaign, name):
    campaign = make_campaign()

    assert viewer_client.get(url(name, campaign)).status_code == 403
    assert viewer_client.post(url(name, campaign), {}).status_code == 403


def test_viewer_cannot_create(viewer_client, account):
    assert viewer_client.get(url("create")).status_code == 403
    response = viewer_client.post(url("create"), composer_data(account))
    assert response.status_code == 403
    assert not Campaign.objects.exists()


# List --------------------------------------------------------------------------


def test_list_shows_state_and_progress_from_the_counts(manager_client, make_campaign):
    sending = make_campaign(name="Running one", state=State.SENDING)
    add_messages(sending, ["delivered", "delivered", "failed", "pending"])
    make_campaign(name="Still a draft")

    response = manager_client.get(url("list"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Running one" in body
    assert "Still a draft" in body
    assert 'data-state="sending"' in body
    assert 'data-progress-percent="75"' in body
    assert "3 of 4 processed" in body


def test_campaign_states_read_as_said_of_a_campaign_in_russian(
    manager_client, make_campaign
):
    from django.utils import translation

    from providers.base import DeliveryStatus

    # A рассылка is feminine; a message's statuses (сообщение) stay neuter.
    with translation.override("ru"):
        labels = {state.value: str(state.label) for state in State}
        message_cancelled = str(DeliveryStatus.CANCELLED.label)
    assert labels == {
        "draft": "Черновик",
        "scheduled": "Запланирована",
        "sending": "Отправляется",
        "paused": "Приостановлена",
        "completed": "Завершена",
        "cancelled": "Отменена",
        "failed": "Ошибка",
    }
    assert message_cancelled == "Отменено"
    make_campaign(name="Withdrawn", state=State.CANCELLED)
    body = manager_client.get(url("list"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Отменена" in body
    assert "Отменено" not in body


def test_list_queries_do_not_grow_with_its_rows(manager_client, make_campaign):
    def queries_for_list() -> tuple[list[str], str]:
        with CaptureQueriesContext(connection) as captured:
            body = manager_client.get(url("list")).content.decode()
        return [q["sql"] for q in captured], body

    add_messages(make_campaign(name="First", state=State.COMPLETED), ["delivered"])
    few, _body = queries_for_list()
    for index in range(12):
        campaign = make_campaign(name=f"More {index}", state=State.SENDING)
        add_messages(campaign, ["delivered", "pending"])
    many, body = queries_for_list()

    assert len(many) == len(few)
    assert not [sql for sql in many if "campaigns_message" in sql]
    assert body.count('data-progress-percent="50"') == 12
    assert body.count('data-progress-percent="100"') == 1
    assert body.count('data-state="sending"') == 12
    assert "1 of 2 processed (50%)" in body


def test_list_refreshes_its_table_while_a_campaign_on_the_page_is_in_flight(
    manager_client, make_campaign
):
    make_campaign(name="Done", state=State.COMPLETED)
    body = manager_client.get(url("list")).content.decode()
    assert 'id="campaign-table"' in body
    assert "hx-trigger" not in body.split('id="campaign-table"')[1].split(">")[0]

    make_campaign(name="Tomorrow", state=State.SCHEDULED)
    response = manager_client.get(url("list"), {"sort": "name"})
    assert response.context["list_poll"] == 10
    # The table asks for the same page (its sort and filters) and keeps its own part.
    assert (
        'hx-get="/campaigns/?sort=name" hx-trigger="every 10s" '
        'hx-select="#campaign-table"' in response.content.decode()
    )

    make_campaign(name="Running", state=State.SENDING)
    assert manager_client.get(url("list")).context["list_poll"] == 2
    # Only the page shown counts: a filter without the live ones stays still.
    still = manager_client.get(url("list"), {"state": "completed"})
    assert still.context["list_poll"] is None


def test_list_sorts_by_a_column(manager_client, make_campaign):
    make_campaign(name="Bravo")
    make_campaign(name="Alpha")
    make_campaign(name="Charlie")

    body = manager_client.get(url("list"), {"sort": "name"}).content.decode()

    assert body.index("Alpha") < body.index("Bravo") < body.index("Charlie")


def test_list_says_so_when_empty(manager_client):
    body = manager_client.get(url("list")).content.decode()

    assert "No campaigns yet." in body


def test_list_filters_by_state_and_account(manager_client, make_campaign, simulator):
    other = simulated_account(simulator, "smsc")
    make_campaign(name="Draft on webcom")
    make_campaign(name="Done on webcom", state=State.COMPLETED)
    make_campaign(name="Draft on smsc", account=other)

    by_state = manager_client.get(url("list"), {"state": "completed"}).content.decode()
    by_account = manager_client.get(url("list"), {"account": other.pk}).content.decode()

    assert "Done on webcom" in by_state
    assert "Draft on webcom" not in by_state
    assert "Draft on smsc" in by_account
    assert "Done on webcom" not in by_account


# Composer ----------------------------------------------------------------------


def test_manager_creates_a_draft_with_lf_newlines(
    manager_client, manager_user, account
):
    response = manager_client.post(
        url("create"), composer_data(account, text="Hi {first_name}\r\nBye")
    )

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response.url == url("edit", campaign)
    assert campaign.text == "Hi {first_name}\nBye"
    assert campaign.created_by == manager_user
    assert campaign.state == State.DRAFT


def test_composer_shows_the_counter_and_placeholder_buttons(manager_client, account):
    body = manager_client.get(url("create")).content.decode()

    assert "data-segment-counter" in body
    assert 'data-textarea-id="id_text"' in body
    assert 'data-insert-placeholder="first_name"' in body
    assert "js/campaigns.js" in body
    assert "<script>" not in body  # no inline scripts


def test_unknown_placeholder_is_shown_on_the_text_field(manager_client, account):
    response = manager_client.post(
        url("create"), composer_data(account, text="Hi {nmae}")
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-error-for="text"' in body
    assert "Unknown placeholder {nmae}" in body
    assert not Campaign.objects.exists()


def test_channel_the_gateway_lacks_is_refused_on_the_page(manager_client, account):
    response = manager_client.post(
        url("create"), composer_data(account, channel="voice")
    )

    assert response.status_code == 200
    assert 'data-error-for="channel"' in response.content.decode()
    assert not Campaign.objects.exists()


def test_account_change_reloads_sender_and_channel(manager_client, simulator):
    websms = simulated_account(simulator, "websms", default_sender="WEBSENDER")

    response = manager_client.get(url("account_fields"), {"account": websms.pk})

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="account-fields"' in body
    assert '<option value="WEBSENDER"' in body
    assert '<option value="voice"' in body
    assert '<option value="flash"' not in body


def test_edit_saves_a_draft(manager_client, make_campaign, account):
    campaign = make_campaign()

    response = manager_client.post(
        url("edit", campaign), composer_data(account, name="Renamed")
    )

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Renamed"


def test_edit_keeps_a_zone_the_select_no_longer_offers(
    manager_client, make_campaign, account
):
    # W-SU is an old alias of Europe/Moscow, no longer in the select.
    campaign = make_campaign(time_zone="W-SU")

    page = manager_client.get(url("edit", campaign)).content.decode()
    assert '<option value="W-SU" selected>' in page
    response = manager_client.post(
        url("edit", campaign), composer_data(account, name="Renamed", time_zone="W-SU")
    )

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.time_zone) == ("Renamed", "W-SU")


def test_launched_campaign_cannot_be_edited(manager_client, make_campaign, account):
    campaign = make_campaign(state=State.SENDING)

    response = manager_client.post(
        url("edit", campaign), composer_data(account, name="Renamed"), follow=True
    )

    campaign.refresh_from_db()
    assert campaign.name == "Test campaign"
    assert "Only a draft can be edited" in response.content.decode()


# Preview -----------------------------------------------------------------------


def test_preview_counts_the_audience(manager_client, make_group, make_campaign):
    group = make_group("Clients", people(4))
    StopListEntry.objects.create(phone="+79120000003")
    campaign = make_campaign(
        [group],
        text="Hello {first_name}",
        # one valid new number, one already in the group, one repeat, one invalid
        extra_numbers="+79990000001\n+79120000000\n+79990000001\n12",
    )

    response = manager_client.get(url("preview", campaign))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-preview-total="4"' in body  # 3 reachable contacts + 1 pasted
    assert 'data-preview="stop_listed">1<' in body
    assert 'data-preview="invalid">1<' in body
    assert 'data-preview="duplicates">2<' in body
    assert 'data-segments="1"' in body
    assert "Hello Name0" in body
    # The pasted number has no contact, so no first name: "Hello " it gets.
    empty = re.search(r'data-preview-empty="first_name">(.*?)</dd>', body, re.S)
    assert "{first_name}" in empty[1]
    assert empty[1].rstrip().endswith(">1")
    # 4 recipients x 1 segment x 2.50 from the account's tariff
    assert "10.00" in body
    assert 'data-action="launch"' in body


def test_a_viber_campaign_without_text_is_sent_back_with_a_linked_summary(
    manager_client, account
):
    data = composer_data(account, channel="viber", text="")

    response = manager_client.post(reverse("campaigns:create"), data)

    body = response.content.decode()
    summary = body.split("data-error-summary")[1].split("</div>")[0]
    assert 'role="alert"' in body.split("data-error-summary")[0][-200:]
    assert '<a href="#id_text"' in summary
    # Which text Viber sends is said beside both texts.
    assert "Viber sends the “Viber text” below" in body
    assert "Left empty, Viber sends the SMS “Text” above" in body


def test_the_composer_names_its_groups_and_says_what_opens_a_new_tab(
    manager_client, account
):
    body = manager_client.get(reverse("campaigns:create")).content.decode()

    placeholders = re.search(r"<div[^>]*Insert a placeholder[^>]*>", body).group(0)
    assert 'role="group"' in placeholders
    template_link = body.split("js-save-template")[1].split("</a>")[0]
    assert "(opens in a new tab)" in template_link
    assert body.count("hold Ctrl (⌘ on a Mac) while clicking") == 2  # in and out


def test_the_list_bar_says_its_counts_in_words(manager_client, make_campaign):
    campaign = make_campaign(state=State.SENDING)
    add_messages(campaign, ["delivered", "delivered", "queued", "rejected"])

    body = manager_client.get(reverse("campaigns:list")).content.decode()

    counts = body.split("data-progress-counts>")[1].split("</span>")[0]
    # Read on from the caption "4 of 4 processed (100%)": a sentence of its own.
    assert counts == ". Delivered: 2, Awaiting a report: 1, Failed: 1"
    assert 'title="Delivered: 2"' in body


def test_an_empty_bar_says_no_counts(manager_client, make_campaign):
    make_campaign(state=State.SENDING)

    body = manager_client.get(reverse("campaigns:list")).content.decode()

    assert "data-progress-counts" not in body


def test_live_preview_counts_the_unsaved_form(manager_client, make_group, account):
    group = make_group("Clients", people(3))
    StopListEntry.objects.create(phone="+79120000002")
    data = composer_data(
        account, name="", include_groups=[group.pk], extra_numbers="+79990000001"
    )

    response = manager_client.post(reverse("campaigns:compose_preview"), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert "data-preview-live" in body
    assert 'data-preview-total="3"' in body  # 2 reachable members + 1 pasted
    assert 'data-preview="stop_listed">1<' in body
    assert "Hello Name0" in body
    assert 'data-action="launch"' not in body  # launching takes the saved draft
    assert not Campaign.objects.exists()


def cost_summary(body: str) -> str:
    """The composer's line by its Save button, as a preview answers it (out of band)."""
    found = re.search(
        r'<p id="campaign-cost-summary" hx-swap-oob="true".*?</p>', body, re.S
    )
    assert found, "no summary in the answer"
    return " ".join(found.group(0).split())


def test_the_live_preview_puts_the_sum_by_the_save_button(
    manager_client, make_group, account, settings
):
    """QA: on a phone the preview comes below the whole form, so the cost was seen
    only after Save. Each preview now also fills a line by the button, shown below
    the wide layout, that says when the balance does not cover it."""
    settings.LANGUAGE_CODE = "en"
    group = make_group("Clients", people(2))
    data = composer_data(account, include_groups=[group.pk])
    page = manager_client.get(reverse("campaigns:create")).content.decode()
    assert '<p id="campaign-cost-summary" class="d-xl-none small"' in page

    line = cost_summary(
        manager_client.post(reverse("campaigns:compose_preview"), data).content.decode()
    )
    assert "2 recipients, estimated cost 5.00" in line
    assert 'href="#campaign-preview"' in line
    assert "cannot-afford" not in line

    ProviderAccount.objects.filter(pk=account.pk).update(
        balance=Decimal("1.00"), balance_currency="RUB"
    )
    line = cost_summary(
        manager_client.post(reverse("campaigns:compose_preview"), data).content.decode()
    )
    assert "estimated cost 5.00 RUB" in line
    assert "The balance does not cover it." in line

    # A text the preview cannot count empties the line rather than keep an old sum.
    data["text"] = "Hello {nobody}"
    line = cost_summary(
        manager_client.post(reverse("campaigns:compose_preview"), data).content.decode()
    )
    assert "recipients" not in line


def test_the_saved_drafts_preview_fills_the_line_only_in_the_composer(
    manager_client, make_group, make_campaign, account
):
    """The detail page has no such line: an out-of-band part without its place would
    be an error in the browser's console."""
    campaign = make_campaign([make_group("Clients", people(2))], account=account)
    url = reverse("campaigns:preview", args=[campaign.pk])
    edit = manager_client.get(reverse("campaigns:edit", args=[campaign.pk]))
    assert f"{url}?in_form=1" in edit.content.decode()

    in_form = manager_client.get(url, {"in_form": "1"}).content.decode()
    assert "2 recipients" in cost_summary(in_form)
    on_its_page = manager_client.get(url).content.decode()
    assert "campaign-cost-summary" not in on_its_page
    # "Save to see your changes" only beside the form that saves them.
    assert "save to see your changes here" in in_form
    assert "save to see your changes here" not in on_its_page


def test_live_preview_asks_the_gateway_for_its_price_once(
    manager_client, simulator, make_group
):
    # SMSC refuses a sixth identical cost request within a minute (error 9); the
    # preview is asked on every pause in typing.
    account = simulated_account(simulator, "smsc", tariff=None)
    group = make_group("Clients", people(2))
    simulator.state.request_log.clear()
    for n in range(7):
        data = composer_data(
            account, text=f"Hello {{first_name}} {n}", include_groups=[group.pk]
        )
        response = manager_client.post(reverse("campaigns:compose_preview"), data)
        assert response.context["preview"].estimated_cost is not None
    cost_requests = [p for _g, p, _t in simulator.state.request_log if "send" in p]
    assert len(cost_requests) == 1


@pytest.mark.parametrize(
    ("channel", "note"),
    [("sms", None), ("viber", "billed at the gateway's own tariff")],
)
def test_live_preview_prices_sms_parts_only(
    manager_client, make_group, account, settings, channel, note
):
    settings.LANGUAGE_CODE = "en"
    group = make_group("Clients", people(2))
    data = composer_data(account, channel=channel, include_groups=[group.pk])

    response = manager_client.post(reverse("campaigns:compose_preview"), data)

    cost = response.context["preview"].estimated_cost
    body = response.content.decode()
    if note is None:
        assert cost == Decimal("5.00")  # 2 recipients x 1 part x 2.50
        assert 'data-preview="cost-unknown"' not in body
    else:
        assert cost is None
        assert note in body.replace("&#x27;", "'")


def test_live_preview_of_a_draft_follows_the_edit_not_the_saved_text(
    manager_client, make_group, make_campaign, account
):
    group = make_group("Clients", people(2))
    campaign = make_campaign([group], text="Saved {first_name}")
    data = composer_data(account, text="Edited {first_name}", include_groups=[group.pk])

    response = manager_client.post(url("compose_preview", campaign), data)

    body = response.content.decode()
    assert "Edited Name0" in body
    assert 'data-preview="save-to-launch"' in body
    campaign.refresh_from_db()
    assert campaign.text == "Saved {first_name}"


def test_live_preview_names_what_keeps_it_from_counting(manager_client, account):
    data = composer_data(account, text="Hello {nobody}")

    response = manager_client.post(reverse("campaigns:compose_preview"), data)

    body = response.content.decode()
    assert "data-preview-error" in body
    assert "Text: Unknown placeholder {nobody}" in body


def test_live_preview_of_a_launched_campaign_is_refused(
    manager_client, make_campaign, account
):
    campaign = make_campaign(state=State.SENDING)

    response = manager_client.post(
        url("compose_preview", campaign), composer_data(account)
    )

    assert "Only a draft can be changed." in response.content.decode()


def test_live_preview_needs_the_right_to_compose(viewer_client, make_campaign, account):
    campaign = make_campaign()
    for target in (
        reverse("campaigns:compose_preview"),
        url("compose_preview", campaign),
    ):
        assert viewer_client.post(target, composer_data(account)).status_code == 403


def test_preview_counts_a_stop_listed_member_pasted_again_once(
    manager_client, make_group, make_campaign
):
    StopListEntry.objects.create(phone="+79120000000")
    campaign = make_campaign([make_group("G", people(2))], extra_numbers="+79120000000")

    body = manager_client.get(url("preview", campaign)).content.decode()

    assert 'data-preview-total="1"' in body
    assert 'data-preview="stop_listed">1<' in body
    assert 'data-preview="duplicates">1<' in body


# 12:00 UTC: 15:00 in Moscow, 22:00 in Vladivostok.
NOON_UTC = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)


def test_preview_defers_pasted_numbers_and_shows_their_texts(
    manager_client, make_campaign
):
    # Mobile numbers map to no single zone: they are read in the campaign's.
    campaign = make_campaign(
        text="Your number: {phone}",
        extra_numbers="+79140000001\n+79140000002",
        start_at=NOON_UTC,
        time_zone="Asia/Vladivostok",
        respect_quiet_hours=True,
    )

    body = manager_client.get(url("preview", campaign)).content.decode()

    assert 'data-preview-total="2"' in body
    assert 'data-preview="deferred">2<' in body
    assert "Your number: +79140000001" in body


def test_preview_counts_recipients_whose_local_time_is_unknown(
    manager_client, make_group, make_campaign
):
    from tests.contacts.test_numbering import load

    group = make_group("G", [("+79240000001", "Mobile", ""),
                             ("+74232223344", "Landline", "Asia/Vladivostok")])  # fmt: skip
    # 12:00 UTC is 15:00 in Moscow and 22:00 in Vladivostok.
    campaign = make_campaign(
        [group], start_at=NOON_UTC, respect_quiet_hours=True,
        extra_numbers="+79240000002",
    )  # fmt: skip

    body = manager_client.get(url("preview", campaign)).content.decode()
    # The mobile contact and the pasted mobile: no zone, the campaign's (Moscow).
    assert 'data-preview="zone-unknown">2<' in body
    assert 'data-preview="deferred">1<' in body
    assert f'href="{reverse("contacts:numbering_plan")}"' in body

    load()  # 924 0000000-0999999 is Primorye's: both are Vladivostok numbers
    body = manager_client.get(url("preview", campaign)).content.decode()
    assert 'data-preview="zone-unknown"' not in body
    assert 'data-preview="deferred">3<' in body


def test_preview_counts_what_spreading_pushes_into_quiet_hours(
    manager_client, make_group, make_campaign
):
    # Sent 15:00, 18:00, 21:00 and 24:00 Moscow time: the last two wait for 09:00.
    campaign = make_campaign(
        [make_group("G", people(4))],
        start_at=NOON_UTC,
        spread_hours=12,
        respect_quiet_hours=True,
        window_start=time(9),
        window_end=time(21),
    )

    body = manager_client.get(url("preview", campaign)).content.decode()

    assert 'data-preview="deferred">2<' in body


def test_preview_blocks_launch_when_the_balance_is_short(
    manager_client, make_group, make_campaign, account
):
    account.balance = Decimal("1.00")
    account.balance_currency = "RUB"
    account.save(update_fields=["balance", "balance_currency"])
    campaign = make_campaign([make_group("G", people(3))])

    body = manager_client.get(url("preview", campaign)).content.decode()

    assert 'data-preview="cannot-afford"' in body
    # Both sums with their currency, as the rest of the page writes money.
    assert "The balance (1.00 RUB) does not cover the estimated cost (7.50 RUB)" in body
    launch_button = body[body.index('data-action="launch"') :].split(">", 1)[0]
    assert "disabled" in launch_button
    # The button is described by the balance alert, which is on the page.
    described_by = re.search(r'aria-describedby="([^"]+)"', launch_button).group(1)
    assert f'id="{described_by}"' in body


def test_a_balance_refusal_without_a_currency_has_no_empty_one(
    manager_client, make_group, make_campaign, account
):
    """An account whose gateway named no currency read «(100 000,00 )»: the sums stand
    alone now, on the preview and in the launch refusal."""
    account.balance = Decimal("1.00")
    account.balance_currency = ""
    account.save(update_fields=["balance", "balance_currency"])
    campaign = make_campaign([make_group("G", people(3))])

    preview = manager_client.get(url("preview", campaign)).content.decode()
    refusal = manager_client.post(url("launch", campaign), follow=True)

    expected = "The balance (1.00) does not cover the estimated cost (7.50)"
    assert expected in " ".join(preview.split())
    assert expected in refusal.content.decode()


def test_launch_is_refused_with_the_balance_message(
    manager_client, make_group, make_campaign, account
):
    account.balance = Decimal("1.00")
    account.balance_currency = "RUB"
    account.save(update_fields=["balance", "balance_currency"])
    campaign = make_campaign([make_group("G", people(3))])

    response = manager_client.post(url("launch", campaign), follow=True)

    campaign.refresh_from_db()
    assert campaign.state == State.DRAFT
    body = response.content.decode()
    assert "does not cover the estimated cost" in body
    assert "(1.00 RUB)" in body
    assert "Provider account:" in body  # the flash names where the problem is


# Actions -----------------------------------------------------------------------


def test_launch_sends_through_the_simulator(
    manager_client, manager_user, simulator, make_group, make_campaign
):
    account = simulated_account(simulator, "websms")
    campaign = make_campaign([make_group("G", people(3))], account=account)

    response = manager_client.post(url("launch", campaign))

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == State.SENDING
    assert campaign.launched_by == manager_user
    # The test transaction never commits: run what the on-commit task would.
    campaign_start(campaign_id=campaign.pk)
    assert {s.phone for s in simulator.state.submissions} == {
        "79120000000",
        "79120000001",
        "79120000002",
    }
    detail = manager_client.get(url("detail", campaign)).content.decode()
    assert 'data-status="total">3<' in detail


def test_launch_of_an_empty_audience_names_the_problem(manager_client, make_campaign):
    campaign = make_campaign()

    response = manager_client.post(url("launch", campaign), follow=True)

    assert (
        "Choose the whole contact book, at least one group, or paste numbers"
        in response.content.decode()
    )


def test_pause_and_resume(manager_client, make_campaign):
    campaign = make_campaign(state=State.SENDING)

    manager_client.post(url("pause", campaign))
    campaign.refresh_from_db()
    assert campaign.state == State.PAUSED

    manager_client.post(url("resume", campaign))
    campaign.refresh_from_db()
    assert campaign.state == State.SENDING


def test_resume_of_a_draft_is_refused_with_a_message(manager_client, make_campaign):
    campaign = make_campaign()

    response = manager_client.post(url("resume", campaign), follow=True)

    assert "Only a paused campaign can be resumed" in response.content.decode()


def test_cancel_withdraws_pending_messages(manager_client, make_campaign):
    campaign = make_campaign(state=State.SENDING)
    add_messages(campaign, ["pending", "pending", "delivered"])

    response = manager_client.post(url("cancel", campaign), follow=True)

    campaign.refresh_from_db()
    assert campaign.state == State.CANCELLED
    assert Message.objects.filter(campaign=campaign, status="cancelled").count() == 2
    assert "Withdrawn here: 2" in response.content.decode()


def test_cancel_button_asks_for_confirmation(manager_client, make_campaign):
    campaign = make_campaign(state=State.SENDING)

    body = manager_client.get(url("detail", campaign)).content.decode()

    form = body[: body.index('data-action="cancel"')].rsplit("<form", 1)[1]
    assert "data-confirm=" in form
    assert 'method="post"' in form


def test_resend_to_failed_creates_a_follow_up_draft(
    manager_client, manager_user, make_campaign
):
    campaign = make_campaign(state=State.COMPLETED)
    add_messages(campaign, ["failed", "delivered"])

    page = manager_client.get(url("detail", campaign)).content.decode()
    response = manager_client.post(url("resend", campaign))

    assert 'data-action="resend"' in page
    follow_up = Campaign.objects.get(parent=campaign)
    assert follow_up.state == State.DRAFT
    assert follow_up.created_by == manager_user
    assert response.url == url("edit", follow_up)


def test_a_follow_up_draft_says_who_it_goes_to_and_keeps_them_when_saved(
    manager_client, make_campaign, settings
):
    """The follow-up's composer showed no groups nor numbers, though its preview
    counted the parent's failed recipients."""
    settings.LANGUAGE_CODE = "en"
    campaign = make_campaign(name="Winter sale", state=State.COMPLETED)
    add_messages(campaign, ["failed", "undelivered", "delivered"])
    follow_up = services.campaign_resend_failed(campaign=campaign)

    page = manager_client.get(url("edit", follow_up)).content.decode()
    saved = manager_client.post(
        url("edit", follow_up),
        composer_data(
            campaign.account, name="Winter sale again", extra_numbers="",
            version=follow_up.version,
        ),
    )  # fmt: skip

    note = page.split("data-follow-up-audience")[1].split("</div>")[0]
    assert "the 2 recipients of" in note
    assert "whose messages failed" in note
    assert f'href="{url("detail", campaign)}"' in note
    assert saved.status_code == 302, saved.content.decode()[:2000]
    follow_up.refresh_from_db()
    assert follow_up.parent_id == campaign.pk
    assert services.campaign_preview(campaign=follow_up).total == 2


def test_a_resend_with_only_invalid_numbers_failed_says_why_nothing_is_resent(
    manager_client, make_campaign, settings
):
    settings.LANGUAGE_CODE = "en"
    campaign = make_campaign(state=State.COMPLETED)
    add_messages(campaign, ["rejected"], reason="invalid_number")

    response = manager_client.post(url("resend", campaign), follow=True)

    shown = [str(m) for m in response.context["messages"]]
    assert any("invalid numbers are not resent" in m for m in shown)
    assert not Campaign.objects.filter(parent=campaign).exists()


def test_a_second_resend_says_why_without_naming_the_page_it_is_on(
    manager_client, make_campaign, settings
):
    """'Campaign: These failed recipients already have a follow-up' on the
    campaign's own page read oddly: the refusal says what it is about itself."""
    settings.LANGUAGE_CODE = "en"
    campaign = make_campaign(state=State.COMPLETED)
    add_messages(campaign, ["failed"])
    manager_client.post(url("resend", campaign))

    again = manager_client.post(url("resend", campaign), follow=True)

    shown = [str(m) for m in again.context["messages"]]
    refusal = [m for m in shown if "already have a follow-up" in m]
    assert refusal
    assert refusal[0].startswith("These failed recipients already have a follow-up")


def test_resend_is_offered_only_when_it_would_be_made(
    manager_client, make_campaign, settings
):
    """The button stayed after the follow-up was made, and on a campaign whose only
    unreached were withdrawn by its cancel; each click only told why not."""
    settings.LANGUAGE_CODE = "en"
    failed = make_campaign(name="Failed", state=State.COMPLETED)
    add_messages(failed, ["failed"])
    cancelled = make_campaign(name="Cancelled", state=State.CANCELLED)
    add_messages(cancelled, ["cancelled", "delivered"])
    resend = 'action="{}"'

    before = manager_client.get(url("detail", failed)).content.decode()
    manager_client.post(url("resend", failed))
    after = manager_client.get(url("detail", failed)).content.decode()
    withdrawn = manager_client.get(url("detail", cancelled)).content.decode()
    refused = manager_client.post(url("resend", cancelled), follow=True)

    assert resend.format(url("resend", failed)) in before
    assert resend.format(url("resend", failed)) not in after
    # Gone without a word, the button left the reader looking for the resend.
    follow_up = Campaign.objects.get(parent=failed)
    followups = after.split('data-setting="followups">')[1].split("</dd>")[0]
    assert (
        f'href="{url("detail", follow_up)}">{follow_up.name}</a> (draft)' in followups
    )
    assert 'data-setting="followups"' not in before
    assert resend.format(url("resend", cancelled)) not in withdrawn
    assert any(
        "nor messages withdrawn by a cancel" in str(m)
        for m in refused.context["messages"]
    )


def test_delete_a_draft(manager_client, make_campaign):
    campaign = make_campaign()

    response = manager_client.post(url("delete", campaign))

    assert response.url == url("list")
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_sending_campaign_cannot_be_deleted(manager_client, make_campaign):
    campaign = make_campaign(state=State.SENDING)

    response = manager_client.post(url("delete", campaign), follow=True)

    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert "Pause or cancel the campaign first" in response.content.decode()


def test_test_send_shows_each_message_status(manager_client, simulator, make_campaign):
    account = simulated_account(simulator, "webcom")
    campaign = make_campaign(account=account, text="Test {first_name}")

    response = manager_client.post(
        url("test_send", campaign), {"phones": "+79120000001\n+79120000002"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-phone="+79120000001"' in body
    assert 'data-phone="+79120000002"' in body
    assert 'data-status="queued"' in body
    assert len(simulator.state.submissions) == 2
    assert not Message.objects.filter(campaign=campaign).exists()


def test_test_send_results_poll_until_delivered_and_name_the_gateway_id(
    manager_client, simulator, make_campaign
):
    """The result stayed «Queued» with a bare «— id …» though the message was
    delivered: it now refreshes itself until each message has its outcome."""
    account = simulated_account(simulator, "webcom")
    campaign = make_campaign(account=account, text="Test")

    first = manager_client.post(
        url("test_send", campaign), {"phones": "+79120000001"}
    ).content.decode()
    message = Message.objects.get(phone="+79120000001")
    results = reverse("campaigns:test_send_results", args=[campaign.pk])
    assert f'hx-get="{results}?id={message.pk}"' in first
    assert "Message id at the gateway:" in first
    assert "—\n" not in first.split("data-gateway-says>")[1].split("</td>")[0]

    Message.objects.filter(pk=message.pk).update(status="delivered")
    polled = manager_client.get(results, {"id": message.pk}).content.decode()

    assert 'data-status="delivered"' in polled
    assert "hx-get" not in polled  # done: no more polling


def test_test_send_results_stop_polling_an_old_test_and_ignore_odd_ids(
    manager_client, simulator, make_campaign
):
    """A test the gateway never reports on does not keep an open page asking every
    3 s for ever; an id that is no number (a "²") is left out, not a server error."""
    from datetime import timedelta

    account = simulated_account(simulator, "webcom")
    campaign = make_campaign(account=account, text="Test")
    manager_client.post(url("test_send", campaign), {"phones": "+79120000001"})
    message = Message.objects.get(phone="+79120000001")
    results = reverse("campaigns:test_send_results", args=[campaign.pk])

    fresh = manager_client.get(results, {"id": [message.pk, "²"]})
    Message.objects.filter(pk=message.pk).update(
        submitted_at=timezone.now() - timedelta(hours=2)
    )
    old = manager_client.get(results, {"id": message.pk}).content.decode()

    assert fresh.status_code == 200
    assert "hx-get" in fresh.content.decode()
    assert 'data-status="queued"' in old
    assert "hx-get" not in old


def test_test_send_results_show_no_campaigns_messages(manager_client, make_campaign):
    campaign = make_campaign()
    other = Message.objects.create(
        campaign=campaign, account=campaign.account, phone="+79120000003", text="x",
        channel="sms", planned_at=timezone.now(),
    )  # fmt: skip

    polled = manager_client.get(
        reverse("campaigns:test_send_results", args=[campaign.pk]), {"id": other.pk}
    ).content.decode()

    assert "+79120000003" not in polled


def test_a_test_send_form_sent_twice_sends_once_and_the_next_test_goes(
    manager_client, simulator, make_campaign
):
    import re

    account = simulated_account(simulator, "webcom")
    campaign = make_campaign(account=account, text="Test")
    page = manager_client.get(url("test_send", campaign)).content.decode()
    token = re.search(r'name="submission" value="([0-9a-f]{32})"', page).group(1)
    form = {"phones": "+79120000001", "submission": token}

    first = manager_client.post(url("test_send", campaign), form).content.decode()
    again = manager_client.post(url("test_send", campaign), form, follow=True)
    fresh = re.search(r'name="submission" value="([0-9a-f]{32})"', first).group(1)
    next_test = manager_client.post(
        url("test_send", campaign), {"phones": "+79120000001", "submission": fresh}
    )

    assert "sent already: the form came twice" in again.content.decode()
    assert fresh != token
    assert next_test.status_code == 200
    assert len(simulator.state.submissions) == 2


def test_a_test_message_to_a_contact_shows_in_its_history(
    manager_client, simulator, make_campaign
):
    account = simulated_account(simulator, "webcom")
    contact = Contact.objects.create(phone="+79120000001", first_name="Anna")
    campaign = make_campaign(account=account, text="Test {first_name}")

    manager_client.post(url("test_send", campaign), {"phones": "+79120000001"})
    page = manager_client.get(reverse("contacts:detail", args=[contact.pk]))

    message = Message.objects.get(phone="+79120000001")
    assert message.contact == contact
    assert "Test Anna" in page.content.decode()


def test_test_send_with_a_bad_number_says_which(manager_client, make_campaign):
    campaign = make_campaign()

    response = manager_client.post(url("test_send", campaign), {"phones": "+7912, 12"})

    body = response.content.decode()
    assert 'data-error-for="phones"' in body
    assert "Test number 1 (+7912)" in body
    assert "Test number 2 (12)" in body  # every bad number at once
    # Each ends where the next begins ("…too few digits Test number 2…" ran on).
    assert re.search(r"Test number 1 \(\+7912\): [^<]*; Test number 2 \(12\)", body)


def test_a_number_written_twice_counts_once_towards_the_ten(
    manager_client, make_campaign, simulator
):
    campaign = make_campaign(account=simulated_account(simulator, "webcom"))
    numbers = [f"+7912000000{i}" for i in range(10)] + ["8 912 000-00-00"]

    response = manager_client.post(
        url("test_send", campaign), {"phones": ", ".join(numbers)}
    )

    eleven = manager_client.post(
        url("test_send", campaign), {"phones": ", ".join([*numbers, "+79120000011"])}
    )

    assert "Give one to ten test numbers." not in response.content.decode()
    assert len(simulator.state.submissions) == 10
    assert "At most 10 test numbers at a time; you gave 11." in eleven.content.decode()


def test_test_send_names_a_control_character_in_a_number_by_its_code(
    manager_client, make_campaign, simulator
):
    campaign = make_campaign()

    response = manager_client.post(
        url("test_send", campaign), {"phones": "+79120000001, +7912000\x070002"}
    )

    body = response.content.decode()
    assert "Test number 2: Character 9: the control character U+0007" in body
    error = body[body.index("Test number 2") :].split("<", 1)[0]
    assert "\x07" not in error  # named, not echoed (the textarea keeps the input)
    assert simulator.state.submissions == []


# Live progress and banners ------------------------------------------------------


def test_progress_partial_polls_while_sending(manager_client, make_campaign):
    campaign = make_campaign(state=State.SENDING)
    add_messages(campaign, ["queued", "delivered", "pending", "pending"])

    response = manager_client.get(url("progress", campaign), HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'hx-trigger="every 2s"' in body
    assert 'data-status="delivered"' in body
    assert 'data-progress-percent="50"' in body


def test_a_campaign_scheduled_for_tomorrow_is_polled_slowly(
    manager_client, make_campaign
):
    tomorrow = make_campaign(
        state=State.SCHEDULED, start_at=timezone.now() + timedelta(days=1)
    )
    imminent = make_campaign(
        state=State.SCHEDULED, start_at=timezone.now() + timedelta(seconds=5)
    )

    slow = manager_client.get(url("progress", tomorrow)).content.decode()
    fast = manager_client.get(url("progress", imminent)).content.decode()

    assert 'hx-trigger="every 30s"' in slow
    assert 'hx-trigger="every 2s"' in fast  # about to start: sending comes next


def test_progress_controls_keep_their_ids_across_refreshes(
    manager_client, make_campaign
):
    """htmx gives focus back to a swapped control by its id."""
    campaign = make_campaign(state=State.SENDING)
    add_messages(campaign, ["pending"])

    body = manager_client.get(url("progress", campaign)).content.decode()

    assert 'id="campaign-action-pause" data-action="pause"' in body
    assert 'id="campaign-action-cancel" data-action="cancel"' in body


def test_progress_partial_stops_polling_when_finished(manager_client, make_campaign):
    campaign = make_campaign(state=State.COMPLETED)
    add_messages(campaign, ["delivered", "undelivered", "rejected"])

    body = manager_client.get(url("progress", campaign)).content.decode()

    assert "hx-trigger" not in body


def test_a_completed_campaign_keeps_refreshing_while_reports_are_awaited(
    manager_client, make_campaign
):
    """Sending is over once every message is handed over, but the delivery reports
    come later: the page must not freeze at "queued"."""
    campaign = make_campaign(state=State.COMPLETED)
    add_messages(campaign, ["queued", "sent", "delivered"])

    body = manager_client.get(url("detail", campaign)).content.decode()

    assert 'hx-trigger="every 10s"' in body
    assert url("progress", campaign) in body


def test_pause_reason_banner_says_what_to_fix(viewer_client, make_campaign):
    campaign = make_campaign(
        state=State.PAUSED,
        pause_reason="The account is out of money: top up the balance.",
    )

    body = viewer_client.get(url("detail", campaign)).content.decode()

    banner = body[body.index("data-pause-reason") :]
    assert "top up the balance" in banner
    assert reverse("providers:detail", args=[campaign.account_id]) in banner
    assert "Resume" in banner


def test_buttons_follow_the_state(manager_client, make_campaign):
    paused = make_campaign(state=State.PAUSED)
    draft = make_campaign(name="Draft")

    paused_page = manager_client.get(url("detail", paused)).content.decode()
    draft_page = manager_client.get(url("detail", draft)).content.decode()

    assert 'data-action="resume"' in paused_page
    assert 'data-action="pause"' not in paused_page
    assert 'data-action="edit"' not in paused_page
    assert reverse("reports:campaign_report", args=[paused.pk]) in paused_page
    assert 'data-action="report"' not in draft_page
    assert 'data-action="edit"' in draft_page
    assert 'data-action="delete"' in draft_page
    assert url("preview", draft) in draft_page


# Messages in doubt --------------------------------------------------------------


def test_messages_in_doubt_are_shown_and_can_be_given_up(manager_client, make_campaign):
    campaign = make_campaign(state=State.SENDING)
    long_ago = timezone.now() - timedelta(hours=1)
    doubtful = add_messages(campaign, ["pending", "pending"], claimed_at=long_ago)

    page = manager_client.get(url("detail", campaign)).content.decode()
    manager_client.post(
        url("decide", campaign), {"decision": "give_up", "ids": [doubtful[0].pk]}
    )

    assert "data-in-doubt" in page
    assert f'data-message="{doubtful[0].pk}"' in page
    statuses = dict(Message.objects.values_list("pk", "status"))
    assert statuses == {doubtful[0].pk: "failed", doubtful[1].pk: "pending"}


def test_messages_in_doubt_can_be_sent_again(manager_client, make_campaign):
    campaign = make_campaign(state=State.SENDING)
    long_ago = timezone.now() - timedelta(hours=1)
    add_messages(campaign, ["pending", "pending"], claimed_at=long_ago)

    manager_client.post(url("decide", campaign), {"decision": "resend"})

    assert not Message.objects.filter(claimed_at__isnull=False).exists()


@pytest.mark.parametrize(("dialect", "shown"), [("xml", False), ("get", True)])
def test_a_person_is_asked_only_about_what_the_reconciler_cannot_settle(
    manager_client, make_campaign, account, dialect, shown
):
    """Webcom's XML ignores a repeated client_id_sms: the reconciler releases such
    messages at its next run, and a "send again" offered before that could send them
    twice. Its GET dialect cannot be asked: a person decides after the grace time."""
    account.dialect = dialect
    account.save(update_fields=["dialect"])
    campaign = make_campaign(state=State.SENDING)
    five_minutes_ago = timezone.now() - timedelta(minutes=5)
    add_messages(campaign, ["pending"], claimed_at=five_minutes_ago)

    page = manager_client.get(url("detail", campaign)).content.decode()
    manager_client.post(url("decide", campaign), {"decision": "resend"})

    assert ("data-in-doubt" in page) is shown
    released = not Message.objects.filter(claimed_at__isnull=False).exists()
    assert released is shown


def test_an_account_the_gateway_cannot_be_built_for_still_shows_its_doubts(
    manager_client, make_campaign, account
):
    ProviderAccount.objects.filter(pk=account.pk).update(dialect="smpp")  # none such
    campaign = make_campaign(state=State.SENDING)
    add_messages(
        campaign, ["pending"], claimed_at=timezone.now() - timedelta(minutes=5)
    )

    response = manager_client.get(url("detail", campaign))

    assert response.status_code == 200
    assert "data-in-doubt" in response.content.decode()


def _queries_of(client, page_url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(page_url).status_code == 200
    return [q["sql"] for q in captured]


def test_a_sending_campaigns_page_reads_no_message_while_none_is_in_doubt(
    manager_client, make_campaign
):
    """Its figures come from the kept counts and tallies: reading the pending
    messages for those in doubt took a second at a million, on every view."""
    campaign = make_campaign(state=State.SENDING)
    add_messages(campaign, ["delivered", "queued", "pending", "pending"])
    add_messages(campaign, ["pending"], claimed_at=timezone.now(), phone_prefix="+7914")

    for name in ("detail", "progress"):
        queries = _queries_of(manager_client, url(name, campaign))
        assert not [sql for sql in queries if "campaigns_message" in sql], name


def test_a_cancelled_campaigns_page_counts_what_is_left_from_the_tallies(
    manager_client, make_campaign
):
    """What its withdrawal could still stop (held at the gateway for later, in
    doubt) comes from the held and claim tallies; the page counted the messages,
    0.3 s a view at a million while it polled for reports. Only the current
    minute's held ones are counted, through their minute's index."""
    campaign = make_campaign(state=State.CANCELLED, finished_at=timezone.now())
    queued = add_messages(campaign, ["queued", "queued", "sent", "cancelled"])
    ahead = timezone.now() + timedelta(hours=2)
    Message.objects.filter(pk=queued[0].pk).update(
        gateway_message_id="g1", planned_at=ahead
    )
    Message.objects.filter(pk=queued[1].pk).update(gateway_message_id="g2")

    for name in ("detail", "progress"):
        queries = _queries_of(manager_client, url(name, campaign))
        counts = [
            sql for sql in queries if "campaigns_message" in sql and "COUNT(" in sql
        ]
        assert all("date_bin" in sql for sql in counts), (name, counts)
    page = manager_client.get(url("detail", campaign)).content.decode()
    assert 'id="campaign-action-withdraw-again"' in page  # the one held ahead
    Message.objects.filter(pk=queued[0].pk).update(status="delivered")
    page = manager_client.get(url("detail", campaign)).content.decode()
    assert 'id="campaign-action-withdraw-again"' not in page


@pytest.mark.parametrize("name", ["detail", "progress"])
def test_the_campaign_pages_queries_do_not_grow_with_its_messages(
    manager_client, make_campaign, name
):
    """Nor with its messages in doubt: no query per row comes back."""
    long_ago = timezone.now() - timedelta(hours=1)
    few = make_campaign(state=State.SENDING, name="Few")
    add_messages(few, ["delivered", "pending"])
    add_messages(few, ["pending"], claimed_at=long_ago, phone_prefix="+7914")
    many = make_campaign(state=State.SENDING, name="Many")
    add_messages(many, ["delivered", "queued", "failed", "pending"] * 10)
    add_messages(many, ["pending"] * 30, claimed_at=long_ago, phone_prefix="+7914")
    _queries_of(manager_client, url(name, few))  # what a session caches once

    queries_few = _queries_of(manager_client, url(name, few))
    queries_many = _queries_of(manager_client, url(name, many))

    assert len(queries_many) == len(queries_few)
    # The detail page reads the messages in doubt with one query, the fragment none.
    reads = [sql for sql in queries_many if "campaigns_message" in sql]
    assert len(reads) == (1 if name == "detail" else 0)


# In a browser ---------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.mark.e2e
@pytest.mark.skipif(
    not __import__("pathlib").Path(CHROMIUM).exists(), reason="no Debian chromium"
)
def test_composer_in_a_browser(live_server, client, django_user_model, account):
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    user = django_user_model.objects.create_superuser("root-e2e", password="x")
    client.force_login(user)
    campaign = Campaign.objects.create(
        name="Browser draft",
        account=account,
        sender="SMSPORTAL",
        text="Hi ",
        extra_numbers="+79120000001\n+79120000002",
    )
    websms = ProviderAccount.objects.create(
        name="WEBSMS",
        kind="websms",
        base_url="http://127.0.0.1:9/",
        default_sender="WEB",
    )
    cookie = {
        "name": "sessionid",
        "value": client.cookies["sessionid"].value,
        "url": live_server.url,
    }
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context()
            context.add_cookies([cookie])
            page = context.new_page()
            page.goto(live_server.url + url("edit", campaign))

            # The placeholder goes in at the cursor and the counter recounts.
            page.locator("#id_text").evaluate(
                "el => el.setSelectionRange(el.value.length, el.value.length)"
            )
            page.click('[data-insert-placeholder="first_name"]')
            assert page.input_value("#id_text") == "Hi {first_name}"
            # 15 characters; the braces are GSM-7 extension characters, two units each.
            expect(page.locator('[data-sc-field="units"]').first).to_have_text("17")

            # Viber fields appear only for Viber channels.
            viber = page.locator('fieldset[data-channels="viber viber_sms"]')
            expect(viber).to_be_hidden()
            page.select_option("#id_channel", "viber_sms")
            expect(viber).to_be_visible()

            # The start time field appears for a scheduled start.
            start_at = page.locator("[data-start-at]")
            expect(start_at).to_be_hidden()
            page.check('input[name="start_mode"][value="at"]')
            expect(start_at).to_be_visible()

            # The preview loads by htmx and tells the counter the audience size.
            expect(page.locator('[data-preview="total"]')).to_have_text("2")
            counter = page.locator(TEXT_COUNTER)
            expect(counter).to_have_attribute("data-recipients", "2")
            expect(page.locator('[data-action="launch"]')).to_be_enabled()

            # Another account: sender and channel reload, the counter follows its table.
            page.select_option("#id_account", str(websms.pk))
            expect(page.locator('#id_channel option[value="voice"]')).to_have_count(1)
            expect(page.locator('#id_sender option[value="WEB"]')).to_have_count(1)
            expect(counter).to_have_attribute("data-table", "websms")

            # A voice reads the text aloud: no SMS count, no transliteration.
            translit = page.locator("#id_translit")
            offer = counter.locator('[data-sc-show="transliterate"]')
            page.fill("#id_text", "Ваш заказ готов")
            # WEBSMS's cascade repeats the Viber text as the SMS: nothing to offer.
            expect(page.locator("#id_channel")).to_have_value("viber_sms")
            expect(offer).to_be_hidden()
            page.select_option("#id_channel", "sms")
            expect(offer).to_be_visible()
            page.select_option("#id_channel", "voice")
            expect(offer).to_be_hidden()
            expect(counter.locator("[data-sc-sms]")).to_be_hidden()
            expect(counter.locator('[data-sc-field="characters"]')).to_have_text("15")
            expect(translit).to_be_hidden()
            expect(translit).to_be_disabled()  # not posted either
            page.select_option("#id_channel", "sms")
            expect(offer).to_be_visible()
            expect(translit).to_be_enabled()
        finally:
            browser.close()


def test_a_new_campaign_from_the_groups_page_has_its_group_chosen(
    manager_client, viewer_user, client, make_group
):
    group = make_group("Clients", people(2))
    groups_page = manager_client.get(reverse("contacts:group_list")).content.decode()
    composer = manager_client.get(url("create"), {"group": [group.pk, "x", 999999]})

    assert f'href="/campaigns/new/?group={group.pk}"' in groups_page
    assert composer.context["form"].initial["include_groups"] == [group.pk]
    assert f'<option value="{group.pk}" selected>' in composer.content.decode()
    # The preview counts the group at once, not only after the first change.
    assert 'hx-trigger="load, input' in composer.content.decode()

    client.force_login(viewer_user)
    viewer_page = client.get(reverse("contacts:group_list")).content.decode()
    assert 'data-action="new-campaign"' not in viewer_page


def test_the_live_preview_counts_the_audience_before_any_text(
    manager_client, account, make_group
):
    group = make_group("Clients", people(3))
    data = composer_data(account, text="", extra_numbers="", include_groups=[group.pk])

    body = manager_client.post(url("compose_preview"), data).content.decode()

    assert 'data-preview="total">3<' in body
    assert 'data-preview="no-text"' in body
    assert 'data-preview="histogram"' not in body
    assert 'data-preview="cost"' not in body
    assert "data-preview-error" not in body


def test_a_saved_draft_with_groups_shows_its_saved_preview_with_launch(
    manager_client, make_group, make_campaign
):
    # Its form's initial holds the groups too: that must not turn on the live
    # preview at load, which has no launch button and would replace the saved one.
    campaign = make_campaign([make_group("Clients", people(2))])

    page = manager_client.get(url("edit", campaign)).content.decode()

    assert 'hx-trigger="load, input' not in page
    assert f'hx-get="{url("preview", campaign)}?in_form=1"' in page


def test_the_campaign_list_filters_like_the_other_tables(manager_client):
    page = manager_client.get(url("list"), {"q": "x"}).content.decode()

    bar = page[
        page.index('role="search"') : page.index("</form>", page.index('role="search"'))
    ]
    assert f'href="{url("list")}"' in bar  # Reset
    assert "form-control form-control-sm" in bar


def test_the_page_of_a_campaign_that_waited_says_when_it_was_scheduled_and_started(
    manager_client, make_campaign
):
    scheduled_at = datetime(2031, 4, 30, 9, 15, tzinfo=UTC)
    start = datetime(2031, 5, 1, 0, 0, tzinfo=UTC)
    waited = make_campaign(
        name="Waited", state=State.COMPLETED, launched_at=scheduled_at,
        start_at=start, expanded_at=start,
    )  # fmt: skip
    at_once = make_campaign(name="At once", state=State.COMPLETED,
                            launched_at=scheduled_at)  # fmt: skip

    def facts(campaign) -> dict[str, str]:
        html = manager_client.get(
            url("detail", campaign), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
        pairs = re.findall(
            r'<dt class="col-sm-4">([^<]+)</dt>\s*<dd[^>]*>([^<·]+)', html
        )
        return {label.strip(): value.strip() for label, value in pairs}

    waited_facts, at_once_facts = facts(waited), facts(at_once)

    # It said "Launched" at the moment it was scheduled, a day before it began.
    assert "Launched" not in waited_facts
    assert waited_facts["Scheduled"].startswith("30.04.2031")
    assert waited_facts["Started"].startswith("01.05.2031")
    assert at_once_facts["Launched"].startswith("30.04.2031")
    assert "Started" not in at_once_facts


def test_list_says_when_a_campaign_started_not_when_it_was_scheduled(
    manager_client, make_campaign
):
    """The «Запущена» column showed, for a campaign only scheduled, the moment it
    was scheduled; its own page calls that «Запланирована»."""
    from datetime import UTC, datetime

    from django.utils import timezone

    scheduled_at = datetime(2031, 4, 30, 9, 15, tzinfo=UTC)
    start = datetime(2031, 5, 1, 0, 0, tzinfo=UTC)  # 10:00 in Vladivostok
    make_campaign(
        name="Tomorrow", state=State.SCHEDULED, launched_at=scheduled_at,
        start_at=start, time_zone="Asia/Vladivostok",
    )  # fmt: skip
    waited = make_campaign(
        name="Waited", state=State.COMPLETED, launched_at=scheduled_at,
        start_at=start, expanded_at=start, time_zone="Asia/Vladivostok",
    )  # fmt: skip
    at_once = make_campaign(
        name="At once", state=State.COMPLETED, launched_at=scheduled_at
    )
    make_campaign(
        name="Cancelled before its start", state=State.CANCELLED,
        launched_at=scheduled_at, start_at=start, finished_at=scheduled_at,
    )  # fmt: skip

    response = manager_client.get(url("list"), HTTP_ACCEPT_LANGUAGE="en")
    rows = {
        row.split("</a>", 1)[0].rsplit(">", 1)[1]: row.rsplit("<td>", 1)[1]
        for row in response.content.decode().split("<tr>")[2:]
    }

    def shown(moment):
        return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M")

    assert "Started" in response.content.decode()
    # In the column's zone (Moscow) as every time in it; the campaign's own in the
    # tooltip. It said "01.05.2031 10:00 (Vladivostok)" under a Moscow heading.
    assert rows["Tomorrow"].startswith(
        '<span class="text-secondary" data-planned-start title="01.05.2031 10:00 '
        'in the campaign&#x27;s zone (Vladivostok)">planned for 01.05.2031 03:00</span>'
    )
    assert shown(scheduled_at) not in rows["Tomorrow"]
    assert rows["Waited"].startswith(shown(waited.start_at))
    assert rows["At once"].startswith(shown(at_once.launched_at))
    assert rows["Cancelled before its start"].startswith("—")


def test_composer_marks_accounts_whose_gateway_failed_them_last_time(
    manager_client, account
):
    """«Аккаунт провайдера» listed an account that could not reach its gateway like
    any other."""
    import respx

    ProviderAccount.objects.create(
        name="SMSC down", kind="smsc", base_url="http://127.0.0.1:9/smsc",
        last_error="The gateway could not be reached: no connection to its address; "
        "check the address and network",
        last_error_at=timezone.now(),
    )  # fmt: skip
    ProviderAccount.objects.create(
        name="Wrong password", kind="smsc", base_url="http://127.0.0.1:9/smsc",
        last_error="Ошибка авторизации: шлюз не принял логин, пароль или токен.",
        last_error_at=timezone.now(),
    )  # fmt: skip

    with respx.mock(assert_all_called=False) as gateway:  # no route: any call fails
        html = manager_client.get(url("create"), HTTP_ACCEPT_LANGUAGE="en")
    assert not gateway.calls

    options = dict(
        re.findall(
            r'<option value="(\d+)"[^>]*>([^<]*)</option>', html.content.decode()
        )
    )
    by_name = {a.name: str(a.pk) for a in ProviderAccount.objects.all()}
    assert options[by_name["SMSC down"]] == (
        "SMSC down — the gateway could not be reached"
    )
    assert options[by_name["Wrong password"]] == (
        "Wrong password — ошибка авторизации"  # as the error was stored
    )
    assert options[by_name[account.name]] == account.name


def test_an_error_head_is_short_and_keeps_an_initialism():
    from providers.selectors import account_error_head

    def head(error: str) -> str:
        return account_error_head(ProviderAccount(last_error=error))

    assert head("") == ""
    assert head("Шлюз отклонил запрос: ERR_BALANCE (код 3)") == "шлюз отклонил запрос"
    assert head("SMSC refused: no") == "SMSC refused"
    assert len(head("Очень " * 40)) == 60


def test_a_cancel_says_how_many_were_being_sent_at_that_moment(
    manager_client, make_campaign
):
    """A pump's claimed batch still goes after a cancel (the confirm says so); the
    message after it said only what was withdrawn, and two more then showed as sent
    under a campaign the page called cancelled."""
    campaign = make_campaign(state=State.SENDING)
    add_messages(campaign, ["pending", "pending", "pending", "delivered"])
    claimed = Message.objects.filter(campaign=campaign, status="pending")[:2]
    Message.objects.filter(pk__in=[m.pk for m in claimed]).update(
        claimed_at=timezone.now()
    )

    response = manager_client.post(url("cancel", campaign), follow=True)

    body = response.content.decode()
    assert "Withdrawn here: 1" in body
    assert "2 were being sent at that moment" in body

from datetime import UTC, datetime

import pytest

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from campaigns import services
from campaigns.models import Campaign, CampaignStatusCount, Message
from contacts.timezones import zoned
from tests.campaigns.conftest import add_messages

pytestmark = pytest.mark.django_db

State = Campaign.State
CHANGELIST = "admin:campaigns_campaign_changelist"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def admin_data(account, **overrides):
    data = {
        "name": "Admin draft",
        "account": account.pk,
        "sender": account.default_sender,
        "channel": "sms",
        "text": "Hello {first_name}",
        "extra_numbers": "+79120000001",
        "start_mode": "now",
        "time_zone": "Europe/Moscow",
        "respect_quiet_hours": "on",
        "window_start": "09:00",
        "window_end": "21:00",
        "spread_hours": "0",
    }
    data.update(overrides)
    return data


def run_action(client, action, campaigns):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [c.pk for c in campaigns]},
        follow=True,
    )


def test_anonymous_is_sent_to_the_admin_login(client, make_campaign):
    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 302
    assert "login" in response.url


def test_changelist_shows_campaigns(manager_client, make_campaign):
    make_campaign(name="Autumn news", state=State.SENDING)

    response = manager_client.get(reverse(CHANGELIST), {"q": "Autumn"})

    assert response.status_code == 200
    assert "Autumn news" in response.content.decode()


def test_draft_is_editable_with_the_composer_rules(manager_client, account):
    add_url = reverse("admin:campaigns_campaign_add")

    refused = manager_client.post(add_url, admin_data(account, text="Hi {nmae}"))
    created = manager_client.post(add_url, admin_data(account, text="Hi\r\nthere"))

    assert refused.status_code == 200
    assert "Unknown placeholder {nmae}" in refused.content.decode()
    assert created.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.text == "Hi\nthere"
    assert campaign.state == State.DRAFT


def test_the_add_form_offers_every_channel_and_saving_checks_the_account(
    manager_client, account
):
    """The first account's channels were offered whatever account was chosen."""
    from providers.models import ProviderAccount

    ProviderAccount.objects.create(
        name="AAA SMSC", kind="smsc", base_url="http://127.0.0.1:9/smsc"
    )  # first by name: its channels were the list
    add_url = reverse("admin:campaigns_campaign_add")

    page = manager_client.get(add_url).context["adminform"].form
    cascade = manager_client.post(add_url, admin_data(account, channel="viber_sms",
                                                      viber_text="Hi"))  # fmt: skip
    voice = manager_client.post(add_url, admin_data(account, channel="voice"))

    offered = {value for value, _label in page.fields["channel"].widget.choices}
    assert {"sms", "flash", "viber", "viber_sms", "voice"} <= offered
    assert cascade.status_code == 302  # Webcom has the cascade
    assert Campaign.objects.get().channel == "viber_sms"
    assert voice.status_code == 200
    assert "cannot send" in voice.content.decode()


def test_launched_campaign_is_read_only(manager_client, make_campaign, account):
    campaign = make_campaign(state=State.COMPLETED)
    change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])

    page = manager_client.get(change_url)
    manager_client.post(change_url, admin_data(account, name="Changed"))

    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode()
    campaign.refresh_from_db()
    assert campaign.name == "Test campaign"


def test_a_sent_campaign_shows_its_audience_counts_in_words(
    manager_client, make_campaign
):
    campaign = make_campaign(
        state=State.COMPLETED,
        audience_stats={"created": 2, "stop_listed": 1, "invalid": 0, "duplicates": 3},
    )

    page = manager_client.get(
        reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    ).content.decode()

    assert (
        "messages made: 2; on the stop list: 1; invalid numbers: 0; duplicates: 3"
        in page
    )
    assert '{"created": 2' not in page


def test_every_audience_count_has_a_label(manager_client, make_campaign):
    """ "excluded" had none: a Russian page read "…; дубликатов: 0; excluded: 0"."""
    from campaigns.expansion import ExpansionStats

    stats = ExpansionStats(created=2, excluded=4).as_dict()
    campaign = make_campaign(state=State.COMPLETED, audience_stats=stats)

    page = manager_client.get(
        reverse("admin:campaigns_campaign_change", args=[campaign.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()

    assert "duplicates: 0; pasted numbers in an excluded group: 4" in page
    assert "excluded: " not in page


def test_a_viewer_sees_a_draft_read_only(viewer_client, make_campaign, account):
    # The composer form was built for a page that shows no field to edit: KeyError.
    campaign = make_campaign(name="Viewer's look")
    change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])

    page = viewer_client.get(change_url)
    viewer_client.post(change_url, admin_data(account, name="Changed"))

    assert page.status_code == 200
    assert "Viewer&#x27;s look" in page.content.decode()
    assert 'name="name"' not in page.content.decode()
    campaign.refresh_from_db()
    assert campaign.name == "Viewer's look"


def test_actions_pause_resume_and_cancel_through_services(
    manager_client, make_campaign
):
    sending = make_campaign(name="Sending", state=State.SENDING)
    draft = make_campaign(name="Draft")

    response = run_action(manager_client, "pause_campaigns", [sending, draft])
    sending.refresh_from_db()
    assert sending.state == State.PAUSED
    assert "Only a sending or scheduled campaign can be paused" in (
        response.content.decode()
    )

    run_action(manager_client, "resume_campaigns", [sending])
    sending.refresh_from_db()
    assert sending.state == State.SENDING

    add_messages(sending, ["pending"])
    run_action(manager_client, "cancel_campaigns", [sending])
    sending.refresh_from_db()
    assert sending.state == State.CANCELLED
    assert Message.objects.get(campaign=sending).status == "cancelled"


def test_viewer_cannot_run_actions(viewer_client, make_campaign):
    campaign = make_campaign(state=State.SENDING)

    page = viewer_client.get(reverse(CHANGELIST))
    run_action(viewer_client, "pause_campaigns", [campaign])

    assert page.status_code == 200
    assert "pause_campaigns" not in page.content.decode()
    campaign.refresh_from_db()
    assert campaign.state == State.SENDING


def test_delete_removes_messages_and_counts(manager_client, make_campaign):
    campaign = make_campaign(state=State.COMPLETED)
    add_messages(campaign, ["delivered", "failed"])
    delete_url = reverse("admin:campaigns_campaign_delete", args=[campaign.pk])

    response = manager_client.post(delete_url, {"post": "yes"})

    assert response.status_code == 302
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert not Message.objects.exists()
    assert not CampaignStatusCount.objects.filter(campaign_id=campaign.pk).exists()


def test_sending_campaign_cannot_be_deleted_and_the_page_says_why(
    manager_client, make_campaign, settings
):
    """It answered 403 "your role does not give access", blaming the user's role."""
    settings.LANGUAGE_CODE = "en"
    campaign = make_campaign(state=State.SENDING)
    delete_url = reverse("admin:campaigns_campaign_delete", args=[campaign.pk])
    reason = services.campaign_undeletable_because(campaign=campaign)

    response = manager_client.post(delete_url, {"post": "yes"})

    assert response.status_code == 200
    assert reason
    assert escape(reason) in response.content.decode()
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_a_kept_campaign_is_not_called_a_protected_related_object_of_itself(
    manager_client, make_campaign, settings
):
    """The page read "Cannot delete the campaign “Live”: these protected related
    objects would have to be deleted too: Live: pause or cancel it first", the
    campaign listed as an object of its own that stood in the way."""
    settings.LANGUAGE_CODE = "en"
    sending = make_campaign(name="Live", state=State.SENDING)
    done = make_campaign(name="Done", state=State.COMPLETED)

    single = manager_client.get(
        reverse("admin:campaigns_campaign_delete", args=[sending.pk])
    ).content.decode()
    bulk = manager_client.post(
        reverse("admin:campaigns_campaign_changelist"),
        {"action": "delete_selected", "_selected_action": [sending.pk, done.pk]},
    ).content.decode()

    assert "Cannot delete the campaign “Live”:</p>" in single
    assert "Nothing was deleted: these of the selected objects" in bulk
    for page in (single, bulk):
        assert "protected related objects" not in page


def test_the_bulk_delete_keeps_what_cannot_go_and_never_says_it_deleted(
    manager_client, make_campaign, settings
):
    """It said "Successfully deleted 1 campaign" beside the refusal, deleting none."""
    settings.LANGUAGE_CODE = "en"
    sending = make_campaign(name="Live", state=State.SENDING)
    done = make_campaign(name="Done", state=State.COMPLETED)

    response = manager_client.post(
        reverse("admin:campaigns_campaign_changelist"),
        {"action": "delete_selected", "_selected_action": [sending.pk, done.pk],
         "post": "yes"},
        follow=True,
    )  # fmt: skip

    page = response.content.decode()
    assert "Successfully deleted" not in page
    assert escape(services.campaign_undeletable_because(campaign=sending)) in page
    assert Campaign.objects.count() == 2


def test_a_campaign_with_messages_in_doubt_cannot_be_deleted(
    manager_client, make_campaign
):
    campaign = make_campaign(state=State.PAUSED)
    add_messages(campaign, ["queued", "pending"], claimed_at=timezone.now())
    delete_url = reverse("admin:campaigns_campaign_delete", args=[campaign.pk])

    response = manager_client.post(delete_url, {"post": "yes"})

    assert response.status_code == 200  # the page, with the reason
    assert Message.objects.filter(campaign=campaign).count() == 2


# Messages -----------------------------------------------------------------------


def test_messages_are_read_only(manager_client, make_campaign):
    campaign = make_campaign(state=State.COMPLETED)
    [message] = add_messages(
        campaign, ["undelivered"], vendor_code="13", vendor_text="Абонент недоступен"
    )
    change_url = reverse("admin:campaigns_message_change", args=[message.pk])

    add = manager_client.get(reverse("admin:campaigns_message_add"))
    page = manager_client.get(change_url)
    manager_client.post(change_url, {"status": "delivered"})

    assert add.status_code == 403
    assert page.status_code == 200
    body = page.content.decode()
    assert "Абонент недоступен" in body
    assert 'name="vendor_text"' not in body
    message.refresh_from_db()
    assert message.status == "undelivered"


def test_messages_filter_by_status_and_search_by_phone(manager_client, make_campaign):
    campaign = make_campaign(state=State.COMPLETED)
    add_messages(campaign, ["delivered", "failed"], gateway_message_id="")
    changelist = reverse("admin:campaigns_message_changelist")

    failed = manager_client.get(changelist, {"status__exact": "failed"})
    typed = manager_client.get(changelist, {"q": "8 913 000-00-00"})

    assert "+79130000001" in failed.content.decode()
    assert "+79130000000" not in failed.content.decode()
    assert "+79130000000" in typed.content.decode()
    assert "+79130000001" not in typed.content.decode()


def test_the_message_list_filters_by_campaign_without_listing_every_one(
    manager_client, make_campaign
):
    chosen = make_campaign(name="Chosen one", state=State.COMPLETED)
    others = [
        make_campaign(name=f"Other {i}", state=State.COMPLETED) for i in range(30)
    ]
    add_messages(chosen, ["delivered"])
    add_messages(others[0], ["failed"], phone_prefix="+7914")
    changelist = reverse("admin:campaigns_message_changelist")

    every = manager_client.get(changelist, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    one = manager_client.get(
        changelist, {"campaign": chosen.pk}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    campaigns = manager_client.get(
        reverse("admin:campaigns_campaign_changelist")
    ).content.decode()

    assert "Other 29" not in every  # no sidebar entry per campaign
    assert "+79140000000" in every
    assert "+79130000000" in one
    assert "+79140000000" not in one
    sidebar = one.split('id="changelist-filter"', 1)[1]
    assert "Chosen one" in sidebar
    assert "Other 0" not in sidebar
    assert f"{changelist}?campaign={chosen.pk}" in campaigns


def test_the_message_list_counts_a_bounded_number_of_rows(
    manager_client, make_campaign, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campaigns import admin as campaigns_admin

    monkeypatch.setattr(campaigns_admin, "MESSAGE_COUNT_CAP", 3)
    campaign = make_campaign(state=State.COMPLETED)
    add_messages(campaign, ["delivered"] * 5)

    with CaptureQueriesContext(connection) as queries:
        page = manager_client.get(
            reverse("admin:campaigns_message_changelist"), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()

    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts
    assert all("LIMIT 3" in sql for sql in counts), counts
    assert "<span data-result-count>Messages: 3</span>" in page


def test_the_message_list_sorts_nothing_but_newest_first(manager_client, make_campaign):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = make_campaign(state=State.COMPLETED)
    add_messages(campaign, ["failed", "delivered", "queued"])
    changelist = reverse("admin:campaigns_message_changelist")

    # A header's link, as an older page or a bookmark has it: by status.
    with CaptureQueriesContext(connection) as queries:
        page = manager_client.get(changelist, {"o": "-4"}).content.decode()

    # No index orders the whole ledger by anything but its id: every other order
    # sorted all the messages, for the page and again for its capped count.
    reads = [q["sql"] for q in queries if 'FROM "campaigns_message"' in q["sql"]]
    assert reads
    for sql in reads:
        order = sql.split("ORDER BY", 1)[1]
        assert order.split("LIMIT")[0].strip() == '"campaigns_message"."id" DESC'
    assert page.index("+79130000002") < page.index("+79130000001")
    assert page.index("+79130000001") < page.index("+79130000000")
    assert "sortable" not in page.split('id="result_list"', 1)[1].split("</thead>")[0]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("text", "Hi {first_name}\nbye\x07",
         "Line 2, column 4: the control character U+0007"),
        ("text", "Price\x00", "Line 1, column 6: the control character U+0000"),
        ("sender", "SHOP\x1b", "Character 5: the control character U+001B"),
        ("viber_button_text", "Buy\x7f", "Character 4: the control character U+007F"),
    ],
)  # fmt: skip
def test_admin_refuses_characters_no_gateway_can_carry(
    manager_client, account, field, value, error
):
    add_url = reverse("admin:campaigns_campaign_add")
    data = admin_data(account, **{field: value})
    if field.startswith("viber"):
        data.update(channel="viber", viber_text="Sale", viber_button_url="shop.ru")

    response = manager_client.post(add_url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors[field] == [f"{error} cannot be sent by any gateway. Remove it."]
    assert not Campaign.objects.exists()


def test_admin_change_refuses_a_control_character_on_its_field(
    manager_client, make_campaign, account
):
    campaign = make_campaign()
    change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])

    response = manager_client.post(
        change_url,
        admin_data(account, viber_text="Sale\x1b[1m", channel="viber_sms",
                   viber_button_text="Go", viber_button_url="shop.ru"),
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "viber_text": [
            "Line 1, column 5: the control character U+001B cannot be sent by any "
            "gateway. Remove it."
        ]
    }
    assert "the control character U+001B" in response.content.decode()
    campaign.refresh_from_db()
    assert (campaign.channel, campaign.viber_text) == ("sms", "")


def test_a_read_only_start_is_shown_in_the_campaigns_zone_and_named(
    manager_client, make_campaign
):
    """The start read 06:00 (Moscow, the site's zone, unsaid) beside «Time zone:
    Asia/Novosibirsk», for a campaign set to start at 10:00 in Novosibirsk."""
    start = datetime(2030, 12, 8, 3, 0, tzinfo=UTC)
    campaign = make_campaign(
        state=State.SCHEDULED, start_at=start, time_zone="Asia/Novosibirsk"
    )

    page = manager_client.get(
        reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    ).content.decode()

    assert zoned(start, "Asia/Novosibirsk") in page
    assert "10:00 (Novosibirsk)" in page
    assert "06:00" not in page
    assert "Asia/Novosibirsk" not in page

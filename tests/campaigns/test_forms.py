from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from django.utils import timezone, translation

from campaigns.forms import (
    SMS_TEXT_MAX,
    CampaignForm,
    TestSendForm,
    campaign_draft_save,
    campaign_form_data,
)
from campaigns.models import Campaign
from contacts.models import CustomField
from providers.models import ProviderAccount, SenderName
from smsportal.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def form_data(account, **overrides):
    data = {
        "name": "Spring sale",
        "account": account.pk,
        "sender": account.default_sender,
        "channel": "sms",
        "text": "Hello {first_name}!",
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


def make_account(name, kind, **fields):
    defaults = {"base_url": "http://127.0.0.1:9/x", "default_sender": "SMSPORTAL"}
    defaults.update(fields)
    return ProviderAccount.objects.create(name=name, kind=kind, **defaults)


def test_valid_draft_is_saved_with_its_groups(account, make_group):
    group = make_group("Clients", [("+79120000002", "Ann", "Europe/Moscow")])
    form = CampaignForm(form_data(account, include_groups=[group.pk]))

    assert form.is_valid(), form.errors
    campaign = form.save()

    assert campaign.state == Campaign.State.DRAFT
    assert list(campaign.include_groups.all()) == [group]
    assert campaign.start_at is None
    assert campaign.window_start == time(9, 0)


def test_a_group_both_chosen_and_left_out_is_refused(account, make_group):
    """Its people were left out, which nobody choosing it twice meant; with it the
    only group, the composer saved it and the launch said the audience was empty."""
    group = make_group("Clients", [("+79120000002", "Ann", "Europe/Moscow")])
    form = CampaignForm(
        form_data(account, include_groups=[group.pk], exclude_groups=[group.pk])
    )

    assert not form.is_valid()
    assert form.errors["exclude_groups"] == [
        "“Clients” is both chosen and left out: choose it in one list."
    ]


def test_crlf_in_the_text_is_saved_as_lf(account):
    form = CampaignForm(form_data(account, text="Line one\r\nLine two\rthree"))

    assert form.is_valid(), form.errors
    assert form.save().text == "Line one\nLine two\nthree"


def test_the_length_cap_counts_a_posted_crlf_as_one_character(account):
    """The browser posts CRLF; the counter, which agreed with the cap, counts LF."""
    text = ("x" * 99 + "\r\n") * 49 + "x" * 100  # 5,000 as counted, 5,049 posted
    form = CampaignForm(form_data(account, text=text))
    assert form.is_valid(), form.errors
    assert len(form.cleaned_data["text"]) == SMS_TEXT_MAX


def test_unknown_placeholder_is_an_error_on_the_text(account):
    form = CampaignForm(form_data(account, text="Hi {frist_name}"))

    assert not form.is_valid()
    assert "text" in form.errors
    message = form.errors["text"][0]
    assert "{frist_name}" in message
    assert "{first_name}" in message  # the known ones are listed


def test_custom_field_keys_are_known_placeholders(account):
    CustomField.objects.create(key="car_model", label="Car")
    form = CampaignForm(form_data(account, text="Your {car_model} is ready"))

    assert form.is_valid(), form.errors
    # Each button says what its key holds: a custom field's label.
    assert ("car_model", "Car") in form.placeholders
    assert ("first_name", "First name") in form.placeholders


def test_channel_the_gateway_cannot_send_is_refused(account):
    # Webcom has no voice messages.
    form = CampaignForm(form_data(account, channel="voice"))

    assert not form.is_valid()
    assert "channel" in form.errors
    assert "Webcom" in form.errors["channel"][0]


def test_channel_choices_follow_the_accounts_gateway(account):
    smsc = make_account("SMSC", "smsc")

    webcom_form = CampaignForm(initial={"account": account.pk})
    webcom_choices = {c for c, _ in webcom_form.fields["channel"].widget.choices}
    smsc_form = CampaignForm(initial={"account": smsc.pk})
    smsc_choices = {c for c, _ in smsc_form.fields["channel"].widget.choices}

    assert "voice" not in webcom_choices
    assert "viber_sms" in webcom_choices
    assert "voice" in smsc_choices
    assert "viber_sms" not in smsc_choices


def test_voice_settings_are_kept_for_a_voice_campaign():
    websms = make_account("WEBSMS", "websms")
    form = CampaignForm(
        form_data(
            websms,
            channel="voice",
            voice_language="ru",
            voice_voice="female",
            voice_speed="",
        )
    )

    assert form.is_valid(), form.errors
    # "female" is stored as the document's voice it means: 3, Алиса.
    assert form.save().voice_options == {"language": "ru", "voice": "3"}


def test_inactive_accounts_are_not_offered(account):
    inactive = make_account("Old", "smsc", is_active=False)

    form = CampaignForm(form_data(inactive))

    assert inactive not in form.fields["account"].queryset
    assert not form.is_valid()
    assert "account" in form.errors


def test_sender_must_be_a_usable_name_of_the_account(account):
    SenderName.objects.create(account=account, name="SHOP", usable=True)
    SenderName.objects.create(
        account=account, name="PENDING", usable=False, state="moderation"
    )

    choices = [c for c, _ in CampaignForm().fields["sender"].widget.choices]
    refused = CampaignForm(form_data(account, sender="PENDING"))
    unknown = CampaignForm(form_data(account, sender="NOBODY"))
    accepted = CampaignForm(form_data(account, sender="SHOP"))

    assert choices == ["SMSPORTAL", "SHOP"]
    assert not refused.is_valid()
    # A name awaiting approval says so: "not a usable name" read as a typo.
    assert refused.errors["sender"] == [
        "The gateway has not approved the sender name “PENDING” (In moderation): choose "
        "an approved one, or wait for the approval."
    ]
    assert "is not a usable sender name" in unknown.errors["sender"][0]
    assert accepted.is_valid(), accepted.errors


@pytest.mark.parametrize(
    ("sender", "error"),
    [
        ("SHOP2026", None),
        ("79021100083", None),
        ("Shop Name", "“Shop Name” cannot be a sender name at WEBSMS: only Latin "
                      "letters and digits, at most 11."),
        ("Магазин", "“Магазин” cannot be a sender name at WEBSMS"),
        ("SHOPSHOPSHOP", "at most 11"),
    ],
)  # fmt: skip
def test_a_typed_sender_is_held_to_the_gateways_documented_rule(sender, error):
    """WEBSMS lists no names to choose from (an account without a default sender
    has the name typed); its document allows Latin letters and digits, at most 11:
    anything else was refused (error 23) only after the launch."""
    account = make_account("WEBSMS", "websms", default_sender="")

    form = CampaignForm(form_data(account, sender=sender))

    if error is None:
        assert form.is_valid(), form.errors
    else:
        assert not form.is_valid()
        assert (
            form.errors["sender"][0].startswith(error)
            or error in (form.errors["sender"][0])
        )


def test_start_time_is_read_in_the_chosen_time_zone(account):
    day = (timezone.now() + timedelta(days=60)).date()  # a start is within a year
    form = CampaignForm(
        form_data(
            account,
            start_mode="at",
            start_local=f"{day:%Y-%m-%d}T10:00",
            time_zone="Asia/Vladivostok",
        )
    )

    assert form.is_valid(), form.errors
    campaign = form.save()
    # 10:00 in Vladivostok (UTC+10) is midnight UTC.
    assert campaign.start_at == datetime(day.year, day.month, day.day, tzinfo=UTC)
    assert campaign.time_zone == "Asia/Vladivostok"
    shown = CampaignForm(instance=campaign)
    assert shown.initial["start_local"].isoformat() == f"{day:%Y-%m-%d}T10:00:00"
    assert shown.initial["start_mode"] == "at"


def _next_summer_time_change(zone: str) -> date:
    """The next day (within a year) on which `zone` moves its clocks at 02:00-03:00."""
    tz = ZoneInfo(zone)
    day = timezone.now().date() + timedelta(days=1)
    while (
        datetime.combine(day, time(1), tz).utcoffset()
        == datetime.combine(day, time(4), tz).utcoffset()
    ):
        day += timedelta(days=1)
    return day


@pytest.mark.parametrize(
    "given", ["text", "datetime"], ids=["typed", "api-without-offset"]
)
def test_a_start_the_servers_summer_time_skips_or_repeats_is_read_in_its_zone(
    account, given
):
    """A server on Berlin time (TIME_ZONE) refused 02:30 on the day Berlin's clocks
    change, for a campaign on Moscow time: the field read it in Berlin first, where
    that time does not exist (or exists twice), and said so naming Berlin. Moscow
    keeps no summer time: 02:30 there is 23:30 UTC the day before."""
    day = _next_summer_time_change("Europe/Berlin")
    typed = datetime.combine(day, time(2, 30))
    with timezone.override("Europe/Berlin"):
        form = CampaignForm(
            form_data(
                account,
                start_mode="at",
                start_local=typed.strftime("%Y-%m-%dT%H:%M")
                if given == "text"
                else typed,  # the API hands a naive datetime, not text
                time_zone="Europe/Moscow",
            )
        )
        assert form.is_valid(), form.errors
    assert form.save().start_at == datetime.combine(
        day - timedelta(days=1), time(23, 30), UTC
    )


def test_start_time_in_the_past_or_missing_is_refused(account):
    past = CampaignForm(
        form_data(account, start_mode="at", start_local="2020-01-01T10:00")
    )
    missing = CampaignForm(form_data(account, start_mode="at", start_local=""))

    assert not past.is_valid()
    assert "start_local" in past.errors
    assert not missing.is_valid()
    assert "start_local" in missing.errors


def test_a_send_window_may_run_overnight(account):
    form = CampaignForm(form_data(account, window_start="22:00", window_end="06:00"))

    assert form.is_valid(), form.errors
    campaign = form.save()
    assert (campaign.window_start, campaign.window_end) == (time(22), time(6))


def test_an_empty_send_window_is_refused_on_its_end(account):
    form = CampaignForm(form_data(account, window_start="09:00", window_end="09:00"))

    assert not form.is_valid()
    assert form.errors["window_end"] == [
        "The send window is empty: it ends at 09:00, when it starts. Give another "
        "end (before the start for a window overnight), or untick “Respect quiet "
        "hours” to send at any hour."
    ]


def test_an_empty_send_window_is_no_matter_without_quiet_hours(account):
    data = form_data(account, window_start="09:00", window_end="09:00")
    data.pop("respect_quiet_hours")

    assert CampaignForm(data).is_valid()


def test_pasted_numbers_in_common_formats_are_accepted(account):
    pasted = "8 (916) 123-45-67\n+7 916 123 45 68; 89161234569\n\n+79161234567"
    form = CampaignForm(form_data(account, extra_numbers=pasted))

    assert form.is_valid(), form.errors
    assert form.save().extra_numbers == pasted  # kept as typed


def test_pasted_garbage_is_refused_naming_each_line(account):
    pasted = "+79161234567\nhello\n+7 916 123 45 68, 12\n"
    form = CampaignForm(form_data(account, extra_numbers=pasted))

    assert not form.is_valid()
    assert form.errors["extra_numbers"] == [
        "Line 2 (hello): no digits in the phone number",
        "Line 3 (12): too few digits",
    ]


def test_many_garbage_lines_are_summed_up(account):
    pasted = "\n".join(f"bad{i}" for i in range(8))
    form = CampaignForm(form_data(account, extra_numbers=pasted))

    assert not form.is_valid()
    errors = form.errors["extra_numbers"]
    assert errors[0] == "Line 1 (bad0): not a phone number"
    assert len(errors) == 6
    assert errors[-1] == "…and 3 more invalid numbers."


@pytest.mark.parametrize(
    ("kind", "hours", "error"),
    [
        ("smsc", "24", None),
        ("smsc", "72", "SMSC keeps a message for at most 24 hours."),
        ("websms", "25", "WEBSMS keeps a message for at most 24 hours."),
        ("webcom", "72", None),
        ("smsc", "0", "Give at least 1 hour, or leave it empty."),
        ("smsc", "-5", "Give at least 1 hour, or leave it empty."),  # said alike
        # Typed past any timedelta: an answer, not an OverflowError.
        ("smsc", "99999999999999999999", "SMSC keeps a message for at most 24 hours."),
    ],
)
def test_validity_is_refused_beyond_what_the_gateway_keeps(kind, hours, error):
    gateway = make_account(kind.upper(), kind)
    form = CampaignForm(form_data(gateway, validity_hours=hours))

    if error is None:
        assert form.is_valid(), form.errors
        assert form.save().validity_hours == int(hours)
    else:
        assert not form.is_valid()
        assert form.errors["validity_hours"] == [error]


def test_text_longer_than_the_gateway_takes_is_refused_as_the_counter_says():
    websms = make_account("WEBSMS", "websms")
    fits = CampaignForm(form_data(websms, text="a" * (9 * 156)))
    too_long = CampaignForm(form_data(websms, text="a" * (9 * 156 + 1)))
    # Counted with the placeholders empty: the shortest any recipient can get.
    too_long_alone = CampaignForm(form_data(websms, text="я" * 595 + "{first_name}"))

    assert fits.is_valid(), fits.errors
    assert not too_long.is_valid()
    assert too_long.errors["text"] == [
        "Too long: WEBSMS accepts at most 9 segments; this text takes 10."
    ]
    assert not too_long_alone.is_valid()
    assert "text" in too_long_alone.errors


def test_text_longer_than_smsc_takes_is_refused_in_characters():
    smsc = make_account("SMSC", "smsc")
    fits = CampaignForm(form_data(smsc, text="ж" * 1000))
    too_long = CampaignForm(form_data(smsc, text="ж" * 1200))

    assert fits.is_valid(), fits.errors
    assert not too_long.is_valid()
    assert too_long.errors["text"] == [
        "Too long: SMSC accepts at most 1,000 characters; this text has 1,200."
    ]


def test_long_text_is_fine_where_the_gateway_states_no_limit(account):
    form = CampaignForm(form_data(account, text="a" * 2000))

    assert form.is_valid(), form.errors


def test_viber_text_cannot_hold_placeholders(account):
    form = CampaignForm(
        form_data(account, channel="viber_sms", viber_text="Hi {first_name}")
    )

    assert not form.is_valid()
    assert "viber_text" in form.errors


def test_a_viber_text_with_a_placeholder_gets_one_error_naming_the_field(account):
    """With the SMS text empty, a second error («write the text, or the Viber
    text») came with it, though the Viber text had been written."""
    form = CampaignForm(
        form_data(account, channel="viber", text="", viber_text="{first_name}, hi")
    )

    assert not form.is_valid()
    assert list(form.errors) == ["viber_text"]
    assert form.errors["viber_text"] == [
        "“Viber text” goes out as typed, so {first_name} would reach everyone as it "
        "stands. Remove it, or leave “Viber text” empty and write the personalised "
        "text in “Text” above."
    ]
    assert "placeholders such as {first_name} are not filled here" in str(
        form.fields["viber_text"].help_text
    )


def test_a_placeholder_with_a_fallback_is_refused_in_the_viber_text_too(account):
    form = CampaignForm(
        form_data(account, channel="viber", viber_text="{first_name|Клиент}, hi")
    )

    assert not form.is_valid()
    assert "{first_name|Клиент}" in form.errors["viber_text"][0]


def test_viber_button_needs_text_and_link(account):
    form = CampaignForm(
        form_data(account, channel="viber", viber_button_text="Open", viber_text="Hi")
    )

    assert not form.is_valid()
    assert "viber_button_url" in form.errors


@pytest.mark.parametrize(
    ("extra", "field", "error"),
    [
        ({"viber_text": "я" * 1001}, "viber_text",
         "A Viber message holds at most 1000 characters; this one has 1001."),
        # An empty Viber text sends the SMS text to Viber: that one is held to it.
        ({"text": "a" * 1001}, "text",
         "A Viber message holds at most 1000 characters; this one has 1001."),
        ({"viber_image_url": "ftp://example.com/a.png"}, "viber_image_url",
         "Give a link that starts with https:// or http://."),
        ({"viber_button_text": "Open", "viber_button_url": "ftp://example.com/"},
         "viber_button_url", "Give a link that starts with https:// or http://."),
    ],
)  # fmt: skip
def test_viber_content_is_held_to_what_viber_takes(
    account, settings, extra, field, error
):
    settings.LANGUAGE_CODE = "en"
    form = CampaignForm(form_data(account, channel="viber", **extra))

    assert not form.is_valid()
    assert form.errors[field] == [error]


def test_a_long_sms_text_is_fine_beside_a_viber_text_of_its_own(account):
    form = CampaignForm(
        form_data(account, channel="viber_sms", text="a" * 1500, viber_text="Hi",
                  viber_image_url="https://example.com/a.png")
    )  # fmt: skip

    assert form.is_valid(), form.errors


@pytest.mark.parametrize(("hours", "valid"), [("168", True), ("169", False)])
def test_a_spread_is_at_most_a_week(account, settings, hours, valid):
    settings.LANGUAGE_CODE = "en"
    form = CampaignForm(form_data(account, spread_hours=hours))

    assert form.is_valid() is valid, form.errors
    if not valid:
        assert form.errors["spread_hours"][0].startswith(
            "Spread a campaign over at most 168 hours"
        )


def test_form_data_of_a_draft_validates_unchanged(make_campaign, make_group):
    group = make_group("G", [("+79120000003", "Bo", "Europe/Moscow")])
    campaign = make_campaign([group])

    form = CampaignForm(campaign_form_data(campaign), instance=campaign)

    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ("+79120000001", True),
        ("+79120000001, 89120000002\n+79120000003", True),
        ("", False),
        # Ten numbers are counted by the service once read ("8 912…" and "+7912…"
        # are one); the form stops only a paste far past any test.
        (",".join(f"+791200{i:05d}" for i in range(101)), False),
    ],
)
def test_test_send_takes_one_to_ten_numbers(raw, valid):
    assert TestSendForm({"phones": raw}).is_valid() is valid


def test_draft_launched_meanwhile_is_not_overwritten(make_campaign, account):
    campaign = make_campaign()
    form = CampaignForm(form_data(account, name="Late edit"), instance=campaign)
    assert form.is_valid(), form.errors
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)

    with pytest.raises(ApplicationError) as caught:
        campaign_draft_save(form=form)

    assert caught.value.where == "state"
    campaign.refresh_from_db()
    assert campaign.name == "Test campaign"


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("text", "Hello {first_name}!\r\nSee you\x07 soon", "Line 2, column 8: the control character U+0007"),
        ("text", "Price\x00", "Line 1, column 6: the control character U+0000"),
        ("text", "Bad half \ud83d", "Line 1, column 10: the invalid character U+D83D"),
        ("viber_text", "Hi\x1b[0m", "Line 1, column 3: the control character U+001B"),
        ("viber_button_text", "Open\x7f", "Character 5: the control character U+007F"),
        ("viber_button_url", "https://example.com/a\x07b", "Character 22: the control character U+0007"),
    ],
)  # fmt: skip
def test_characters_no_gateway_can_carry_are_refused_naming_the_place(
    account, field, value, where
):
    data = form_data(account, channel="viber_sms", viber_button_text="Open",
                     viber_button_url="https://example.com/")  # fmt: skip
    data[field] = value
    form = CampaignForm(data)

    assert not form.is_valid()
    assert form.errors[field] == [f"{where} cannot be sent by any gateway. Remove it."]


def test_typed_sender_name_with_a_control_character_is_refused_once(account):
    form = CampaignForm(form_data(account, sender="SHOP\x07"))

    assert not form.is_valid()
    assert form.errors["sender"] == [
        "Character 5: the control character U+0007 cannot be sent by any gateway. "
        "Remove it."
    ]

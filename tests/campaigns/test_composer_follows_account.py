"""The composer's Viber parts, voice settings and channel help follow the chosen
account's gateway: reloaded with its sender and channel when the account changes."""

from pathlib import Path

import pytest

from django.urls import reverse

from campaigns.models import Campaign
from providers.models import ProviderAccount

pytestmark = pytest.mark.django_db
CHROMIUM = "/usr/bin/chromium"


def make(kind: str, sender: str = "SHOP") -> ProviderAccount:
    return ProviderAccount.objects.create(
        name=kind.upper(), kind=kind, base_url="http://127.0.0.1:9/",
        default_sender=sender,
    )  # fmt: skip


def fields_for(client, account: ProviderAccount, **typed) -> str:
    response = client.get(
        reverse("campaigns:account_fields"),
        {"account": account.pk, **typed},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    return response.content.decode()


def test_switching_to_websms_offers_its_voice_settings(manager_client):
    body = fields_for(manager_client, make("websms"), channel="voice")

    assert '<fieldset id="voice-fields"' in body
    assert 'hx-swap-oob="true"' in body
    assert '<option value="5">Захар</option>' in body
    for name in ("voice_language", "voice_speed", "voice_tone"):
        assert f'name="{name}"' in body
    assert '<fieldset id="voice-fields"' in body


def test_switching_to_smsc_offers_only_its_voices_and_drops_websms_choices(
    manager_client,
):
    # Typed for WEBSMS: Алиса (3), fast, English, friendly.
    body = fields_for(
        manager_client, make("smsc"), channel="voice", voice_voice="3",
        voice_speed="1.5", voice_language="en", voice_tone="good",
    )  # fmt: skip

    assert '<option value="male">Male</option>' in body
    assert 'value="3"' not in body
    for name in ("voice_language", "voice_speed", "voice_tone"):
        assert f'name="{name}"' not in body


def test_the_websms_fields_save_after_switching_from_smsc(manager_client, account):
    smsc, websms = make("smsc"), make("websms")
    fields_for(manager_client, smsc, channel="voice", voice_voice="male")
    body = fields_for(manager_client, websms, channel="voice", voice_voice="male")
    # What the page then posts: WEBSMS's own voice select, "male" no choice of it.
    assert '<option value="5">Захар</option>' in body
    assert 'value="male"' not in body

    response = manager_client.post(
        reverse("campaigns:create"),
        {
            "name": "Call", "account": websms.pk, "sender": "SHOP", "channel": "voice",
            "text": "Ваш заказ готов", "extra_numbers": "+79120000001",
            "start_mode": "now", "time_zone": "Europe/Moscow", "window_start": "09:00",
            "window_end": "21:00", "spread_hours": "0", "voice_voice": "5",
            "voice_speed": "1.2", "voice_tone": "good", "voice_language": "ru",
        },
    )  # fmt: skip

    assert response.status_code == 302
    assert Campaign.objects.get().voice_options == {
        "voice": "5", "speed": "1.2", "tone": "good", "language": "ru",
    }  # fmt: skip


def test_viber_parts_a_gateway_cannot_carry_are_not_offered(manager_client):
    body = fields_for(manager_client, make("smsc"), channel="viber")

    assert 'name="viber_image_url"' in body
    assert 'name="viber_button_text"' not in body
    assert 'name="viber_button_url"' not in body
    assert (
        "SMSC cannot carry these in a Viber message, so they are not offered: "
        "Viber button text, Viber button link, Viber gallery picture number." in body
    )
    websms = fields_for(manager_client, make("websms"), channel="viber")
    assert 'name="viber_image_id"' in websms
    assert 'name="viber_image_url"' not in websms


def test_a_viber_part_typed_before_the_switch_stays_to_be_refused(manager_client):
    # Hidden, it would be saved empty without a word: shown, saving says why not.
    body = fields_for(
        manager_client, make("smsc"), channel="viber", viber_button_text="Open"
    )

    assert 'name="viber_button_text"' in body
    assert 'value="Open"' in body
    assert 'name="viber_button_url"' not in body


def test_a_websms_cascade_offers_one_text(manager_client, account):
    websms = fields_for(manager_client, make("websms"), channel="viber_sms")
    webcom = fields_for(manager_client, account, channel="viber_sms")

    assert '<div data-channels="viber" hidden>' in websms
    assert (
        "WEBSMS sends this one text by Viber and, to whoever Viber does not reach, "
        "by SMS." in websms
    )
    assert '<div data-channels="viber viber_sms" >' in webcom
    assert "whoever Viber does not reach gets this text by SMS." in webcom


def test_a_channel_the_new_account_lacks_stays_chosen_to_be_refused(
    manager_client, account
):
    """Flash SMS chosen for SMSC, then WEBSMS picked: the select showed SMS in its
    place without a word (a voice campaign switched to Webcom went out as SMS).
    Kept, the preview and saving say the gateway cannot send it."""
    websms = make("websms", sender="SMSPORTAL")
    body = fields_for(manager_client, websms, channel="flash")

    assert '<option value="flash" selected>Flash SMS</option>' in body
    assert '<option value="viber_sms">' in body
    response = manager_client.post(
        reverse("campaigns:create"),
        {
            "name": "Flash", "account": websms.pk, "sender": "SMSPORTAL",
            "channel": "flash", "text": "Sale", "extra_numbers": "+79120000001",
            "start_mode": "now", "time_zone": "Europe/Moscow", "window_start": "09:00",
            "window_end": "21:00", "spread_hours": "0",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors["channel"] == [
        "WEBSMS cannot send Flash SMS. It can send: SMS; Viber; Viber, then SMS; "
        "Voice message."
    ]
    assert not Campaign.objects.exists()
    # A channel the account sends is offered as before, nothing added.
    smsc = fields_for(manager_client, make("smsc"), channel="flash")
    assert smsc.count('<option value="flash"') == 1


@pytest.mark.e2e
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Debian chromium")
def choose_account(page, value: str) -> None:
    """Pick the account and wait for the fields it brings: a channel chosen while
    the swap is on its way was undone by it (a race under load)."""
    with page.expect_response(lambda r: "/account-fields/" in r.url):
        page.select_option("#id_account", value)
    page.wait_for_load_state("networkidle")


def test_the_voice_and_viber_fields_follow_the_account_in_a_browser(
    live_server, client, django_user_model
):
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    client.force_login(django_user_model.objects.create_superuser("e2e", password="x"))
    smsc, websms = make("smsc"), make("websms")
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value,
              "url": live_server.url}  # fmt: skip
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(locale="en-US")
            context.add_cookies([cookie])
            page = context.new_page()
            page.goto(live_server.url + reverse("campaigns:create"))
            choose_account(page, str(smsc.pk))
            expect(page.locator('#id_voice_voice option[value="male"]')).to_have_count(
                1
            )
            page.select_option("#id_channel", "voice")
            page.select_option("#id_voice_voice", "male")

            # WEBSMS: its six voices, its speed, language and tone.
            choose_account(page, str(websms.pk))
            expect(page.locator("#id_voice_speed")).to_be_visible()
            expect(page.locator("#id_voice_voice option")).to_have_count(7)
            page.select_option("#id_voice_voice", "5")
            page.fill("#id_voice_speed", "1.5")

            # Back to SMSC: no speed, language or tone left to refuse.
            choose_account(page, str(smsc.pk))
            expect(page.locator("#id_voice_speed")).to_have_count(0)
            expect(page.locator("#id_voice_tone")).to_have_count(0)
            expect(page.locator("#id_voice_voice option")).to_have_count(3)

            # A Viber button SMSC cannot carry is not offered; WEBSMS takes a caption.
            page.select_option("#id_channel", "viber")
            expect(page.locator("#id_viber_image_url")).to_be_visible()
            expect(page.locator("#id_viber_button_text")).to_have_count(0)
            choose_account(page, str(websms.pk))
            expect(page.locator("#id_viber_button_text")).to_be_visible()
            expect(page.locator("#id_viber_button_url")).to_have_count(0)
            expect(page.locator("#id_viber_image_url")).to_have_count(0)
        finally:
            browser.close()

"""What a claimed message becomes for the gateway: the campaign's Viber content, voice
settings and validity, the send time of a message planned ahead, the account's default
sender where the message has none (campaigns.sending.outgoing_for, no database)."""

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.models import Campaign
from campaigns.sending import ClaimedMessage, outgoing_for
from providers.base import MessageChannel, ViberContent, VoiceOptions
from providers.models import ProviderAccount
from providers.registry import gateway_for

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen_now(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)


def account(kind: str) -> ProviderAccount:
    return ProviderAccount(kind=kind, base_url="http://127.0.0.1:9/x", login="l",
                           password="p", default_sender="DEFAULT")  # fmt: skip


def claimed(mid: int, *, sender: str = "SHOP", channel: str = "sms", planned=None):
    return ClaimedMessage(mid, f"+7903000000{mid}", f"Текст {mid}", sender, channel,
                          planned, 1)  # fmt: skip


def test_a_viber_cascade_carries_the_campaign_content_and_validity(frozen_now):
    webcom = account("webcom")
    campaign = Campaign(
        account=webcom, channel=MessageChannel.VIBER_THEN_SMS, viber_text="",
        viber_button_text="Open", viber_button_url="https://e.ru/1",
        viber_image_url="https://e.ru/i.png", validity_hours=3,
    )  # fmt: skip
    later = NOW + timedelta(hours=5)
    chunk = [
        claimed(1, channel="viber_sms"),
        claimed(2, sender="", channel="viber_sms", planned=later),
    ]
    first, second = outgoing_for(chunk, campaign, webcom, gateway_for(webcom))
    assert first.viber == ViberContent(
        text="Текст 1", sender="SHOP", button_text="Open",
        button_url="https://e.ru/1", image_url="https://e.ru/i.png",
    )  # fmt: skip
    assert (first.send_at, first.valid_until) == (None, NOW + timedelta(hours=3))
    # No sender of its own: the account's, for the SMS and the Viber part alike.
    assert (second.sender, second.viber.sender) == ("DEFAULT", "DEFAULT")
    # Planned ahead: sent with its time, valid for three hours from then.
    assert (second.send_at, second.valid_until) == (later, later + timedelta(hours=3))
    assert (first.voice, first.channel) == (None, MessageChannel.VIBER_THEN_SMS)


def test_the_viber_text_of_the_campaign_replaces_the_sms_text_in_viber(frozen_now):
    webcom = account("webcom")
    campaign = Campaign(account=webcom, channel=MessageChannel.VIBER,
                        viber_text="Скидка в Viber")  # fmt: skip
    [sms] = outgoing_for([claimed(1, channel="viber")], campaign, webcom,
                         gateway_for(webcom))  # fmt: skip
    assert (sms.text, sms.viber.text) == ("Текст 1", "Скидка в Viber")


def test_a_voice_campaign_carries_its_settings_and_sms_none(frozen_now):
    websms = account("websms")
    voice = Campaign(account=websms, channel=MessageChannel.VOICE,
                     voice_options={"voice": "female", "speed": "slow"})  # fmt: skip
    [call] = outgoing_for([claimed(1, channel="voice")], voice, websms,
                          gateway_for(websms))  # fmt: skip
    assert call.voice == VoiceOptions(voice="female", speed="slow")
    assert (call.viber, call.valid_until) == (None, None)

    sms_campaign = Campaign(account=websms, channel=MessageChannel.SMS)
    [sms] = outgoing_for([claimed(2)], sms_campaign, websms, gateway_for(websms))
    assert (sms.voice, sms.viber, sms.valid_until) == (None, None, None)


def test_a_one_off_message_has_no_campaign_settings(frozen_now):
    webcom = account("webcom")
    [sms] = outgoing_for([claimed(1, sender="")], None, webcom, gateway_for(webcom))
    assert (sms.reference, sms.phone, sms.sender) == ("1", "+79030000001", "DEFAULT")
    assert (sms.viber, sms.voice, sms.valid_until, sms.send_at) == (
        None, None, None, None,
    )  # fmt: skip


def test_a_message_planned_ahead_goes_now_to_a_gateway_that_cannot_schedule(
    frozen_now, monkeypatch
):
    webcom = account("webcom")
    gateway = gateway_for(webcom)
    monkeypatch.setattr(type(gateway), "capabilities", frozenset())
    later = NOW + timedelta(hours=5)
    [sms] = outgoing_for([claimed(1, planned=later)], None, webcom, gateway)
    assert sms.send_at is None

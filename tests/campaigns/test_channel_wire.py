"""Viber, cascade and voice campaigns composed as a user does, launched, and read back
from what the simulator received over HTTP: every field the user set reaches the
gateway in its protocol's own words, and each message stores the text that went."""

import pytest

from django.utils import translation

from campaigns.forms import CampaignForm
from campaigns.models import Message
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_forms import form_data
from tests.campaigns.test_sending import launch

pytestmark = pytest.mark.django_db

BUTTON = {"viber_button_text": "Открыть", "viber_button_url": "https://shop.ru/o/1"}
IMAGE = {"viber_image_url": "https://shop.ru/img/sale.png"}


def compose_and_send(simulator, kind: str, **fields):
    """A campaign saved through the composer's form, launched, and what the
    simulator recorded for its one recipient, with the message row."""
    account = simulated_account(simulator, kind, default_sender="SMSPORTAL")
    data = form_data(account, sender="SMSPORTAL", **fields)
    data["extra_numbers"] = "+79120000001"
    with translation.override("en"):
        form = CampaignForm(data)
        assert form.is_valid(), form.errors
    launch(form.save())
    [submitted] = simulator.state.submissions
    return submitted, Message.objects.get()


# Webcom ----------------------------------------------------------------------------


def test_webcom_viber_carries_its_text_button_link_and_image(simulator):
    sent, message = compose_and_send(
        simulator, "webcom", channel="viber", text="", viber_text="Скидка 10%",
        **BUTTON, **IMAGE,
    )  # fmt: skip

    assert sent.extra["type_send_1"] == "viber"
    assert "type_send_2" not in sent.extra
    assert sent.extra["text_viber"] == message.text == "Скидка 10%"
    # <text> is required: it repeats the Viber text, no SMS text travels.
    assert sent.extra["text"] == "Скидка 10%"
    assert (sent.extra["button_viber"], sent.extra["action_viber"]) == (
        "Открыть", "https://shop.ru/o/1",
    )  # fmt: skip
    assert sent.extra["image_viber"] == "https://shop.ru/img/sale.png"
    assert sent.extra["sender_viber"] == "SMSPORTAL"


def test_webcom_cascade_carries_both_texts(simulator):
    sent, message = compose_and_send(
        simulator, "webcom", channel="viber_sms", text="SMS: заказ {first_name}",
        viber_text="Viber: заказ готов", **BUTTON,
    )  # fmt: skip

    assert (sent.extra["type_send_1"], sent.extra["type_send_2"]) == ("viber", "sms")
    assert sent.extra["text_viber"] == "Viber: заказ готов"
    assert sent.extra["text"] == message.text == "SMS: заказ "
    assert sent.extra["action_viber"] == "https://shop.ru/o/1"


# SMSC ------------------------------------------------------------------------------


def test_smsc_viber_carries_its_text_and_image(simulator):
    sent, message = compose_and_send(
        simulator, "smsc", channel="viber", text="", viber_text="Скидка 10%", **IMAGE
    )

    assert (sent.channel, sent.extra["viber"]) == ("viber", "1")
    assert sent.text == message.text == "Скидка 10%"
    assert sent.extra["fileurl"] == "https://shop.ru/img/sale.png"


def test_smsc_voice_carries_the_voice_chosen(simulator):
    sent, message = compose_and_send(
        simulator, "smsc", channel="voice", text="Ваш заказ готов",
        voice_voice="female",
    )  # fmt: skip

    assert (sent.channel, sent.extra["call"], sent.extra["voice"]) == (
        "voice", "1", "w",
    )  # fmt: skip
    assert sent.text == message.text == "Ваш заказ готов"


# WEBSMS ----------------------------------------------------------------------------


def test_websms_cascade_sends_one_text_by_viber_and_sms(simulator):
    sent, message = compose_and_send(
        simulator, "websms", channel="viber_sms", text="Заказ готов, {first_name}",
        viber_button_text="Открыть",
    )  # fmt: skip

    assert (sent.channel, sent.extra["to_sms"]) == ("viber_sms", "3")
    # The one `message` the request carries is the text stored for the message.
    assert sent.text == message.text == "Заказ готов, "
    assert sent.extra["button"] == "Открыть"
    assert "mode=viber" in sent.extra["raw_body"] + sent.extra["raw_query"]


def test_websms_viber_sends_the_viber_text(simulator):
    sent, message = compose_and_send(
        simulator, "websms", channel="viber", text="", viber_text="Только Viber"
    )

    assert sent.channel == "viber"
    assert "to_sms" not in sent.extra
    assert sent.text == message.text == "Только Viber"


def test_websms_voice_carries_voice_language_speed_and_tone(simulator):
    sent, message = compose_and_send(
        simulator, "websms", channel="voice", text="Ваш заказ готов",
        voice_voice="5", voice_language="en", voice_speed="1.5", voice_tone="good",
    )  # fmt: skip

    assert sent.channel == "voice"
    assert {k: sent.extra[k] for k in ("voice", "lang", "temp", "emotion")} == {
        "voice": "5", "lang": "2", "temp": "1.5", "emotion": "good",
    }  # fmt: skip
    assert sent.text == message.text == "Ваш заказ готов"


def test_websms_viber_carries_a_picture_of_the_cabinets_gallery(simulator):
    sent, message = compose_and_send(
        simulator, "websms", channel="viber", text="", viber_text="Скидка 10%",
        viber_button_text="Купить", viber_image_id="17",
    )  # fmt: skip

    assert (sent.channel, sent.extra["id_fileid"]) == ("viber", "17")
    assert "&id_fileid=17&" in sent.extra["raw_body"]
    assert sent.text == message.text == "Скидка 10%"
    assert message.campaign.viber_image_id == 17

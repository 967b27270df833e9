"""A voice message's settings: only what the gateway's document allows."""

import lxml.html
import pytest

from django.utils import translation

from campaigns.forms import CampaignForm
from providers.models import ProviderAccount
from tests.campaigns.test_api import API, draft_body, post
from tests.campaigns.test_forms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def voice_form(account, **voice):
    fields = {f"voice_{key}": value for key, value in voice.items()}
    return CampaignForm(form_data(account, channel="voice", **fields))


def test_the_api_refuses_values_the_document_does_not_allow(manager_client, websms):
    body = draft_body(
        websms,
        channel="voice",
        voice_options={"language": "xx", "speed": "abc", "tone": "zzz"},
    )

    response = post(manager_client, API, body)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {
        "voice_options.language", "voice_options.speed", "voice_options.tone",
    }  # fmt: skip
    assert (
        "Russian (ru), English (en), Turkish (tr)"
        in errors["voice_options.language"][0]
    )
    assert "from 0.5 to 2.0" in errors["voice_options.speed"][0]
    assert (
        "Friendly (good), Neutral (neutral), Stern (evil)"
        in errors["voice_options.tone"][0]
    )


@pytest.mark.parametrize("speed", ["0.4", "2.1", "NaN", "1e9"])
def test_speed_outside_the_documents_range_is_refused(websms, speed):
    form = voice_form(websms, speed=speed)

    assert not form.is_valid()
    assert list(form.errors) == ["voice_speed"]


def test_the_documents_values_are_stored_as_the_gateway_takes_them(websms):
    form = voice_form(websms, language="EN", voice="Ермил", speed="1,50", tone="Evil")

    assert form.is_valid(), form.errors
    assert form.save().voice_options == {
        "language": "en", "voice": "6", "speed": "1.5", "tone": "evil",
    }  # fmt: skip


def test_a_voice_beyond_the_six_named_is_refused(websms):
    form = voice_form(websms, voice="7")

    assert not form.is_valid()
    assert "Жанна (1)" in form.errors["voice_voice"][0]


def test_the_page_offers_the_documents_voices_with_help(manager_client, websms):
    form = CampaignForm(initial={"account": websms.pk})
    voices = dict(form.fields["voice_voice"].widget.choices)
    speed = form.fields["voice_speed"]

    assert [voices[str(n)] for n in range(1, 7)] == [
        "Жанна", "Оксана", "Алиса", "Оммаж", "Захар", "Ермил",
    ]  # fmt: skip
    assert set(dict(form.fields["voice_tone"].widget.choices)) == {
        "", "good", "neutral", "evil",
    }  # fmt: skip
    assert (speed.widget.attrs["min"], speed.widget.attrs["max"]) == ("0.5", "2.0")
    assert "0.5" in str(speed.help_text)
    page = manager_client.get("/campaigns/new/").content.decode()
    (speed_input,) = lxml.html.fromstring(page).xpath('//input[@name="voice_speed"]')
    assert speed_input.get("type") == "number"
    assert '<option value="evil">' in page


def test_a_draft_saved_with_female_shows_the_same_voice(make_campaign, websms):
    campaign = make_campaign(
        account=websms, channel="voice", voice_options={"voice": "female"}
    )

    assert CampaignForm(instance=campaign).initial["voice_voice"] == "3"  # Алиса


def test_a_gateway_without_those_settings_refuses_them(db):
    smsc = ProviderAccount.objects.create(
        name="SMSC", kind="smsc", base_url="http://127.0.0.1:9/x", default_sender="S"
    )
    form = voice_form(smsc, voice="female", speed="1.2", language="ru")

    assert not form.is_valid()
    assert set(form.errors) == {"voice_speed", "voice_language"}
    assert "leave it empty" in form.errors["voice_speed"][0]

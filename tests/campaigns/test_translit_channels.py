"""Transliteration applies only to text that leaves as an SMS of its own."""

import pytest

from django.utils import translation

from campaigns.forms import CampaignForm
from campaigns.planning import SendPlan
from tests.campaigns.test_api import API, draft_body, post
from tests.campaigns.test_forms import form_data

pytestmark = pytest.mark.django_db

CYRILLIC = "Ваш заказ готов"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def test_the_api_refuses_translit_for_a_voice_message(manager_client, websms):
    body = draft_body(websms, channel="voice", text=CYRILLIC, translit=True)

    response = post(manager_client, API, body)

    assert response.status_code == 400
    assert response.json()["where"] == "translit"
    assert "Voice message" in response.json()["detail"]


@pytest.mark.parametrize("channel", ["voice", "viber", "viber_sms"])
def test_the_form_refuses_translit_where_the_text_is_not_an_sms_of_its_own(
    websms, channel
):
    # WEBSMS's cascade repeats the Viber message's text as the SMS.
    form = CampaignForm(
        form_data(websms, channel=channel, text=CYRILLIC, translit="on")
    )

    assert not form.is_valid()
    assert list(form.errors) == ["translit"]


def test_translit_still_applies_to_sms_and_flash(websms, account):
    # WEBSMS has no flash SMS; Webcom has.
    for chosen, channel in ((websms, "sms"), (account, "flash")):
        form = CampaignForm(
            form_data(chosen, channel=channel, text=CYRILLIC, translit="on")
        )
        assert form.is_valid(), form.errors


def test_webcom_cascade_transliterates_its_own_sms_text_beside_a_viber_text(account):
    with_viber_text = CampaignForm(
        form_data(account, channel="viber_sms", viber_text=CYRILLIC, translit="on")
    )
    without = CampaignForm(form_data(account, channel="viber_sms", translit="on"))

    assert with_viber_text.is_valid(), with_viber_text.errors
    assert not without.is_valid()
    assert "Viber text" in without.errors["translit"][0]


def test_a_voice_campaign_flagged_translit_is_sent_as_written(make_campaign, websms):
    """A draft saved before the rule keeps its flag; the voice still gets Cyrillic."""
    voice = make_campaign(account=websms, channel="voice", text=CYRILLIC, translit=True)
    sms = make_campaign(account=websms, channel="sms", text=CYRILLIC, translit=True)

    assert SendPlan.for_campaign(voice).text_for({}) == CYRILLIC
    assert SendPlan.for_campaign(sms).text_for({}) == "Vash zakaz gotov"


def test_the_channel_select_lists_where_the_counter_counts_sms_and_translit(
    account, websms
):
    websms_attrs = CampaignForm(initial={"account": websms.pk}).fields["channel"]
    webcom_attrs = CampaignForm(initial={"account": account.pk}).fields["channel"]

    assert websms_attrs.widget.attrs["data-translit"].split() == ["flash", "sms"]
    assert webcom_attrs.widget.attrs["data-translit"].split() == [
        "flash", "sms", "viber_sms",
    ]  # fmt: skip
    assert websms_attrs.widget.attrs["data-sms"].split() == [
        "flash", "sms", "viber_sms",
    ]  # fmt: skip

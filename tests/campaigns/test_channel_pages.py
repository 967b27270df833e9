"""A campaign's page shows what its channel sends besides the text (Viber button,
link and image; voice, language, speed and tone), and its report names the channel."""

import re

import pytest

from django.urls import reverse

from tests.campaigns.test_forms import make_account

pytestmark = pytest.mark.django_db


def page(client, name: str, campaign) -> str:
    response = client.get(reverse(name, args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def settings_shown(body: str) -> list[tuple[str, str]]:
    """The (label, value) rows of the channel's settings, their markup dropped."""
    rows = re.findall(
        r'<dt class="col-sm-4">([^<]*)</dt>\s*<dd class="col-sm-8 text-break" '
        r'data-setting="channel">(.*?)</dd>',
        body,
        re.S,
    )
    return [(label, " ".join(re.sub(r"<[^>]+>", " ", value).split()))
            for label, value in rows]  # fmt: skip


def test_a_viber_campaign_shows_its_button_link_and_image(
    manager_client, make_campaign
):
    campaign = make_campaign(
        channel="viber", text="", viber_text="Скидка 10%", viber_button_text="Open",
        viber_button_url="https://shop.ru/o/1", viber_image_url="https://shop.ru/i.png",
    )  # fmt: skip

    body = page(manager_client, "campaigns:detail", campaign)

    assert settings_shown(body) == [
        ("Viber button", "Open https://shop.ru/o/1"),
        ("Viber image", "https://shop.ru/i.png"),
    ]
    assert 'href="https://shop.ru/o/1"' in body
    assert "Скидка 10%" in body


def test_a_websms_voice_campaign_shows_its_settings(manager_client, make_campaign):
    websms = make_account("WEBSMS", "websms")
    campaign = make_campaign(
        account=websms, channel="voice", text="Ваш заказ готов",
        voice_options={"voice": "5", "language": "en", "speed": "1.5"},
    )  # fmt: skip

    body = page(manager_client, "campaigns:detail", campaign)

    assert settings_shown(body) == [
        ("Voice", "Захар"), ("Language", "English"), ("Speed", "1.5"),
        ("Tone", "Gateway default"),
    ]  # fmt: skip


def test_an_smsc_voice_campaign_shows_only_what_smsc_takes(
    manager_client, make_campaign
):
    smsc = make_account("SMSC", "smsc")
    campaign = make_campaign(
        account=smsc, channel="voice", voice_options={"voice": "female"}
    )

    body = page(manager_client, "campaigns:detail", campaign)

    assert settings_shown(body) == [("Voice", "Female")]


def test_the_report_names_the_channel(manager_client, make_campaign):
    campaign = make_campaign(channel="viber_sms", viber_text="Hi")

    body = page(manager_client, "reports:campaign_report", campaign)

    assert re.search(r"Channel: <span data-report-channel>Viber, then SMS</span>", body)


def test_an_sms_campaign_does_not_show_a_viber_text_it_keeps(
    manager_client, make_campaign
):
    """Switched from Viber to SMS in the composer, a draft keeps the Viber text typed
    (for a switch back); its page showed it as if it went out by Viber."""
    campaign = make_campaign(
        channel="sms", text="Sale 20% today", viber_text="Viber sale",
        viber_image_url="https://shop.ru/i.png",
    )  # fmt: skip

    body = page(manager_client, "campaigns:detail", campaign)

    assert "Sale 20% today" in body
    assert "Viber text" not in body
    assert "Viber sale" not in body
    assert settings_shown(body) == []


def test_a_voice_speed_and_its_range_are_written_as_the_reader_writes_numbers(
    manager_client, make_campaign
):
    """«0.8» and «От 0.5 до 2.0» on Russian pages, whose numbers have a comma."""
    websms = make_account("WEBSMS", "websms")
    campaign = make_campaign(
        account=websms, channel="voice", voice_options={"voice": "5", "speed": "0.8"}
    )

    detail = manager_client.get(
        reverse("campaigns:detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    editor = manager_client.get(
        reverse("campaigns:edit", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    assert ("Скорость", "0,8") in settings_shown(detail)
    assert "От 0,5" in editor
    assert "0.5 (" not in editor


def test_the_previews_spoken_summary_goes_on_in_lower_case_after_its_semicolon(
    manager_client, make_campaign
):
    campaign = make_campaign(text="Ваш заказ готов")

    body = manager_client.get(
        reverse("campaigns:preview", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    status = re.search(
        r'data-announce="campaign-preview-status">(.*?)</p>', body, re.S
    ).group(1)
    assert "; ориентировочная стоимость" in " ".join(status.split())

"""What a Viber or cascade campaign sends, per gateway: the composer asks for the
text the channel needs and refuses a second one that would go nowhere; each message
stores the text that goes out; Viber parts a gateway cannot carry are refused
(composer, API, launch), never dropped; an image link must look like a picture."""

import pytest

from django.urls import reverse
from django.utils import translation

from campaigns.expansion import campaign_expand
from campaigns.forms import CampaignForm
from campaigns.models import Campaign, Message
from campaigns.services import campaign_launch, campaign_preview
from providers.models import ProviderAccount
from smsportal.exceptions import ApplicationError
from tests.campaigns.test_forms import form_data, make_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def websms(db):
    return make_account("WEBSMS", "websms", default_sender="SHOP")


@pytest.fixture
def smsc(db):
    return make_account("SMSC", "smsc", default_sender="SHOP")


def errors(account: ProviderAccount, **fields) -> dict[str, list[str]]:
    form = CampaignForm(form_data(account, **fields))
    form.is_valid()
    return dict(form.errors)


# Item 1: a WEBSMS cascade sends one text ------------------------------------------


def test_a_websms_cascade_refuses_a_second_text_it_would_not_send(websms):
    found = errors(websms, channel="viber_sms", text="SMS text", viber_text="Viber")

    assert found == {
        "viber_text": [
            "WEBSMS sends one text in a “Viber, then SMS” message: the SMS repeats "
            "the Viber message. Leave the Viber text empty to send the text above "
            "by Viber and by SMS, or make the two the same."
        ]
    }


@pytest.mark.parametrize(
    "texts",
    [{"text": "Hello", "viber_text": ""}, {"text": "", "viber_text": "Hello"},
     {"text": "Hello", "viber_text": "Hello"}],
)  # fmt: skip
def test_a_websms_cascade_takes_its_one_text_in_either_field(websms, texts):
    assert errors(websms, channel="viber_sms", **texts) == {}


def test_a_webcom_cascade_keeps_two_texts_and_needs_the_sms_one(account):
    assert errors(account, channel="viber_sms", text="SMS", viber_text="Viber") == {}
    assert errors(account, channel="viber_sms", text="", viber_text="Viber") == {
        "text": ["Write the text."]
    }


def test_a_websms_cascade_stores_the_text_both_parts_carry(
    websms, make_campaign, make_group
):
    group = make_group("G", [("+79120000001", "Ann", "Europe/Moscow")])
    campaign = make_campaign(
        [group], account=websms, sender="SHOP", channel="viber_sms", text="",
        viber_text="Скидка {{10%}}",
    )  # fmt: skip

    campaign_expand(campaign=campaign)

    # Sent as typed: no placeholders in a Viber text, its braces are its own.
    message = Message.objects.get()
    assert (message.text, message.segments) == ("Скидка {{10%}}", 1)


# Item 2: a Viber message is its Viber text ----------------------------------------


def test_a_viber_message_needs_only_the_viber_text(account):
    assert errors(account, channel="viber", text="", viber_text="Hello") == {}
    assert errors(account, channel="viber", text="", viber_text="") == {
        "text": ["Write the text, or the Viber text."]
    }


def test_a_viber_message_refuses_an_sms_text_that_would_go_nowhere(account):
    found = errors(account, channel="viber", text="Hi {first_name}", viber_text="Hi")

    assert list(found) == ["text"]
    assert found["text"][0].startswith(
        "A Viber message sends only the “Viber text”, so this text would go nowhere."
    )


def test_an_sms_needs_its_text_whatever_the_viber_fields_hold(account):
    assert errors(account, channel="sms", text="", viber_text="Hello") == {
        "text": ["Write the text."]
    }


def test_a_viber_message_stores_and_counts_the_viber_text(
    account, make_campaign, make_group
):
    group = make_group("G", [("+79120000001", "Ann", "Europe/Moscow")])
    viber_text = "Длинный текст для Viber. " * 4  # 100 characters, 2 SMS parts
    campaign = make_campaign([group], channel="viber", text="", viber_text=viber_text)

    preview = campaign_preview(campaign=campaign)
    campaign_expand(campaign=campaign)

    message = Message.objects.get()
    assert message.text == viber_text
    assert message.segments == preview.estimated_segments == 2
    assert [sample["text"] for sample in preview.samples] == [viber_text]


def test_a_viber_message_without_a_viber_text_sends_the_personalised_text(
    account, make_campaign, make_group
):
    group = make_group("G", [("+79120000001", "Ann", "Europe/Moscow")])
    campaign = make_campaign([group], channel="viber", viber_text="")

    campaign_expand(campaign=campaign)

    assert Message.objects.get().text == "Hello Ann!"


# Item 3: Viber parts the gateway cannot carry are refused --------------------------

BUTTON = {"viber_button_text": "Open", "viber_button_url": "https://shop.ru/o/1"}
IMAGE = {"viber_image_url": "https://shop.ru/img/sale.png"}


def test_webcom_carries_every_viber_part(account):
    assert (
        errors(account, channel="viber", viber_text="Hi", text="", **BUTTON, **IMAGE)
        == {}
    )


def test_smsc_refuses_a_viber_button_and_takes_the_image(smsc):
    found = errors(smsc, channel="viber", viber_text="Hi", text="", **BUTTON, **IMAGE)

    why = (
        "SMSC's sending API has no parameter for a Viber button, so it would be "
        "dropped. Leave it empty."
    )
    assert found == {"viber_button_text": [why], "viber_button_url": [why]}


def test_websms_takes_a_button_caption_alone_and_refuses_its_link_and_an_image(
    websms,
):
    base = {"channel": "viber", "viber_text": "Hi", "text": ""}
    assert errors(websms, **base, viber_button_text="Open") == {}

    found = errors(websms, **base, **BUTTON, **IMAGE)

    assert set(found) == {"viber_button_url", "viber_image_url"}
    assert found["viber_button_url"][0].startswith(
        "WEBSMS's sending API takes a Viber button's caption but no link for it"
    )
    assert found["viber_image_url"][0] == (
        "WEBSMS takes a Viber picture only from the gallery of its cabinet, by its "
        "number, not by a link, so the link would be dropped. Give the picture's "
        "number in the gallery instead."
    )


@pytest.mark.parametrize("channel", ["viber", "viber_sms"])
def test_websms_takes_a_picture_of_its_gallery_by_number(websms, channel):
    """Seed 002: `id_fileid`, the integer id of a picture of the cabinet's gallery,
    for Viber messages; it was refused as an image the gateway cannot carry."""
    base = {"channel": channel, "viber_text": "Hi", "text": ""}

    assert errors(websms, **base, viber_image_id="17") == {}
    assert errors(websms, **base, viber_image_id="17", viber_button_text="Go") == {}


@pytest.mark.parametrize(
    ("number", "said"),
    [("abc", "Enter a whole number."), ("0", "greater than or equal to 1"),
     ("-3", "greater than or equal to")],
)  # fmt: skip
def test_a_gallery_number_must_be_a_whole_number_from_1(websms, number, said):
    found = errors(websms, channel="viber", viber_text="Hi", text="",
                   viber_image_id=number)  # fmt: skip

    assert set(found) == {"viber_image_id"}
    assert said in found["viber_image_id"][0]


@pytest.mark.parametrize(
    ("gateway", "said"),
    [("smsc", "SMSC takes a Viber picture by its link (fileurl)"),
     ("webcom", "Webcom takes a Viber picture by its link (image_viber)")],
)  # fmt: skip
def test_the_gateways_that_take_a_picture_link_refuse_a_gallery_number(
    smsc, account, gateway, said
):
    chosen = smsc if gateway == "smsc" else account
    found = errors(chosen, channel="viber", viber_text="Hi", text="",
                   viber_image_id="17")  # fmt: skip

    assert set(found) == {"viber_image_id"}
    assert found["viber_image_id"][0].startswith(said)


def test_the_composer_offers_websms_the_gallery_number_and_not_a_link(websms, smsc):
    websms_form = CampaignForm(form_data(websms, channel="viber"))
    smsc_form = CampaignForm(form_data(smsc, channel="viber"))

    assert [f.name for f in websms_form.viber_parts] == [
        "viber_button_text", "viber_image_id",
    ]  # fmt: skip
    assert "Viber image link" in websms_form.viber_not_carried
    assert [f.name for f in smsc_form.viber_parts] == ["viber_image_url"]
    assert "Viber gallery picture number" in smsc_form.viber_not_carried


def test_viber_parts_left_in_an_sms_campaign_are_not_judged(smsc):
    # Hidden with the Viber fieldset and never sent: no reason to block the SMS.
    assert errors(smsc, channel="sms", **BUTTON) == {}


def test_the_api_names_the_viber_part_the_gateway_cannot_carry(manager_client, smsc):
    body = {
        "name": "API", "account": smsc.pk, "sender": "SHOP", "channel": "viber",
        "viber_text": "Hi", "viber_button_text": "Open",
        "viber_button_url": "https://shop.ru/", "extra_numbers": "+79120000001",
        "time_zone": "Europe/Moscow",
    }  # fmt: skip

    response = manager_client.post(
        "/api/v1/campaigns", body, content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip

    assert response.status_code == 400, response.content
    assert response.json()["where"] == "viber_button_text"
    assert (
        "SMSC's sending API has no parameter for a Viber button"
        in (response.json()["detail"])
    )
    assert not Campaign.objects.exists()


def test_the_api_takes_a_websms_gallery_picture_and_clears_it_with_null(
    manager_client, websms
):
    body = {
        "name": "API", "account": websms.pk, "sender": "SHOP", "channel": "viber",
        "viber_text": "Hi", "viber_image_id": 17, "extra_numbers": "+79120000001",
        "time_zone": "Europe/Moscow",
    }  # fmt: skip

    created = manager_client.post(
        "/api/v1/campaigns", body, content_type="application/json"
    )

    assert created.status_code == 201, created.content
    assert created.json()["viber_image_id"] == 17
    campaign = Campaign.objects.get()
    assert campaign.viber_image_id == 17
    page = manager_client.get(
        reverse("campaigns:detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "picture no. 17 of the gateway&#x27;s gallery" in page
    cleared = manager_client.patch(
        f"/api/v1/campaigns/{campaign.pk}", {"viber_image_id": None},
        content_type="application/json",
    )  # fmt: skip
    assert cleared.status_code == 200, cleared.content
    assert cleared.json()["viber_image_id"] is None


def test_a_draft_moved_to_a_gateway_without_buttons_is_not_launched(
    smsc, make_campaign
):
    campaign = make_campaign(
        account=smsc, channel="viber", text="", viber_text="Hi",
        extra_numbers="+79120000001", **BUTTON,
    )  # fmt: skip

    with pytest.raises(ApplicationError) as refused:
        campaign_launch(campaign=campaign)

    assert refused.value.where == "viber_button_text"
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT


# Item 6: the image link must look like a picture ----------------------------------


@pytest.mark.parametrize(
    ("url", "valid"),
    [
        ("https://shop.ru/img/sale.png", True),
        ("https://shop.ru/img/SALE.JPG?v=2", True),
        ("https://shop.ru/img/sale.jpeg", True),
        ("https://shop.ru/sale.html", False),
        ("https://shop.ru/sale", False),
        ("https://shop.ru/img.png/", False),
        ("https://shop.ru/img/anim.gif", False),
    ],
)
def test_the_viber_image_link_must_end_in_a_picture_type(account, url, valid):
    found = errors(
        account, channel="viber", viber_text="Hi", text="", viber_image_url=url
    )

    if valid:
        assert found == {}
    else:
        assert found == {
            "viber_image_url": [
                "Give a link to a picture: its address must end in .jpg, .jpeg, "
                ".png (Viber shows no other kind, and a web page is not a picture)."
            ]
        }


def test_the_live_preview_shows_a_viber_message_written_as_its_viber_text(
    manager_client, account
):
    data = form_data(account, channel="viber", text="", viber_text="Скидка в Viber")

    response = manager_client.post(
        reverse("campaigns:compose_preview"), data, HTTP_ACCEPT_LANGUAGE="en"
    )

    body = response.content.decode()
    assert 'data-preview="no-text"' not in body
    assert 'data-preview="samples"' in body
    assert "Скидка в Viber" in body

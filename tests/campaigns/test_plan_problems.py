"""A campaign whose text names a custom field deleted since its launch pauses with
a reason, and its resume says what to fix, instead of "sending" for ever."""

import pytest

from django.utils import timezone, translation

from campaigns import services
from campaigns.models import Campaign, Message
from campaigns.services import campaign_pause, campaign_resume, campaign_start
from contacts.models import Contact, ContactGroup, CustomField
from smsportal.exceptions import ApplicationError

pytestmark = pytest.mark.django_db

State = Campaign.State


@pytest.fixture
def city_campaign(make_campaign):
    CustomField.objects.create(key="city", label="Город")
    group = ContactGroup.objects.create(name="Клиенты")
    contact = Contact.objects.create(phone="+79161234567", attributes={"city": "Омск"})
    contact.groups.add(group)
    return make_campaign(
        [group], text="Ждём вас в {city}!", state=State.SCHEDULED,
        start_at=timezone.now() - timezone.timedelta(minutes=1),
    )  # fmt: skip


def test_a_deleted_placeholder_pauses_the_campaign_at_its_start_saying_why(
    city_campaign,
):
    CustomField.objects.filter(key="city").delete()

    campaign_start(campaign_id=city_campaign.pk)

    city_campaign.refresh_from_db()
    assert city_campaign.state == State.PAUSED
    assert not Message.objects.filter(campaign=city_campaign).exists()
    with translation.override("en"):
        assert city_campaign.pause_message == (
            "The text uses the placeholder {city}, but the contact book has no such "
            "field any more (its custom field was deleted). Add a custom field with "
            "the key “city” again, then resume; or cancel the campaign and send a "
            "copy without the placeholder."
        )


def test_resume_refuses_until_the_field_is_back_then_sends(city_campaign, monkeypatch):
    started = []
    monkeypatch.setattr(
        services, "campaign_pumps_ensure", lambda **kwargs: started.append(kwargs)
    )
    CustomField.objects.filter(key="city").delete()
    campaign_start(campaign_id=city_campaign.pk)
    city_campaign.refresh_from_db()

    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        campaign_resume(campaign=city_campaign)
    CustomField.objects.create(key="city", label="Город")
    campaign_resume(campaign=city_campaign)
    campaign_start(campaign_id=city_campaign.pk)

    assert refused.value.where == "text"
    assert "Add a custom field with the key “city” again" in refused.value.message
    city_campaign.refresh_from_db()
    assert city_campaign.state == State.SENDING
    assert started == [{"campaign_id": city_campaign.pk}]
    assert city_campaign.pause_reason == ""
    assert list(Message.objects.values_list("text", flat=True)) == ["Ждём вас в Омск!"]


def test_a_sending_campaign_paused_by_hand_is_refused_its_resume_too(city_campaign):
    """Pause and resume of a campaign stuck before its audience met the same error
    in the worker, and nothing said so."""
    Campaign.objects.filter(pk=city_campaign.pk).update(state=State.SENDING)
    CustomField.objects.filter(key="city").delete()
    campaign_pause(campaign=city_campaign)

    with translation.override("en"), pytest.raises(ApplicationError, match="{city}"):
        campaign_resume(campaign=city_campaign)
    city_campaign.refresh_from_db()
    assert city_campaign.state == State.PAUSED


def test_a_plain_pause_reason_is_still_translated_as_it_was():
    campaign = Campaign(pause_reason="Top up the balance, then resume.")

    assert campaign.pause_message == "Top up the balance, then resume."

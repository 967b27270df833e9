"""A custom field whose {key} a text still uses is not deleted (contacts asks
campaigns, by hook): the texts would name nothing, and a scheduled campaign would
never start."""

import pytest

from django.urls import reverse
from django.utils import timezone

from campaigns.models import BirthdayGreeting, Campaign, MessageTemplate
from contacts.models import CustomField

pytestmark = pytest.mark.django_db

State = Campaign.State
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def city():
    return CustomField.objects.create(key="city", label="City")


def delete_in_admin(client, field):
    return client.post(
        reverse("admin:contacts_customfield_delete", args=[field.pk]),
        {"post": "yes"},
        follow=True,
        **EN,
    )


def test_the_admin_names_every_text_that_uses_the_placeholder(
    admin_client, make_campaign, account, city
):
    make_campaign(name="Autumn", text="Hi from { city }", state=State.DRAFT)
    make_campaign(name="Winter", text="{city} sale", state=State.SCHEDULED,
                  start_at=timezone.now() + timezone.timedelta(days=1))  # fmt: skip
    make_campaign(name="Spring", text="{city}", state=State.PAUSED)
    MessageTemplate.objects.create(name="Sale", text="Sale in {city}!")
    BirthdayGreeting.objects.create(
        name="Birthday", account=account, text="{city} greets you", is_active=False
    )

    response = delete_in_admin(admin_client, city)

    assert (
        "The custom field “City” is still used as the placeholder {city} by draft "
        "“Autumn”, campaign “Spring”, campaign “Winter”, message template “Sale”, "
        "birthday greeting “Birthday”: take the placeholder out of their text (or "
        "let the campaigns finish) before deleting the field."
    ) in response.content.decode()
    assert CustomField.objects.filter(pk=city.pk).exists()


def test_a_field_no_unmade_text_uses_is_deleted_also_in_bulk(
    admin_client, make_campaign, city
):
    """Made messages keep their texts; a doubled brace is text, not a placeholder;
    a key inside another word is not the key."""
    make_campaign(name="Done", text="{city}", state=State.COMPLETED)
    make_campaign(name="Built", text="{city}", state=State.SENDING,
                  expanded_at=timezone.now())  # fmt: skip
    CustomField.objects.create(key="citywide", label="Citywide")
    make_campaign(name="Literal", text="{{city}} and {citywide}")
    used = CustomField.objects.create(key="region", label="Region")
    MessageTemplate.objects.create(name="Regional", text="In {region}")

    response = admin_client.post(
        reverse("admin:contacts_customfield_changelist"),
        {"action": "delete_selected", "post": "yes",
         "_selected_action": [city.pk, used.pk]},
        follow=True, **EN,
    )  # fmt: skip

    assert "message template “Regional”" in response.content.decode()
    assert set(CustomField.objects.values_list("key", flat=True)) == {
        "region",
        "citywide",
    }

"""A PATCH of some voice settings changes those and keeps the others: the API's
update changes only the fields given, inside voice_options too."""

import pytest

from campaigns.models import Campaign
from providers.models import ProviderAccount

pytestmark = pytest.mark.django_db

API = "/api/v1/campaigns"


@pytest.fixture
def voice_draft(manager_client) -> Campaign:
    websms = ProviderAccount.objects.create(
        name="W", kind="websms", base_url="http://127.0.0.1:9/x", default_sender="SHOP"
    )
    body = {
        "name": "Call",
        "account": websms.pk,
        "channel": "voice",
        "text": "Your order is ready",
        "extra_numbers": "+79120000001",
        "voice_options": {"language": "ru", "voice": "2", "speed": "1.5",
                          "tone": "good"},
    }  # fmt: skip
    response = manager_client.post(API, body, content_type="application/json")
    assert response.status_code == 201, response.json()
    return Campaign.objects.get(pk=response.json()["id"])


def test_patching_one_voice_setting_keeps_the_others(manager_client, voice_draft):
    response = manager_client.patch(
        f"{API}/{voice_draft.pk}",
        {"voice_options": {"tone": "evil"}},
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    expected = {"language": "ru", "voice": "2", "speed": "1.5", "tone": "evil"}
    assert response.json()["voice_options"] == expected
    voice_draft.refresh_from_db()
    assert voice_draft.voice_options == expected


def test_an_empty_voice_setting_clears_only_that_one(manager_client, voice_draft):
    response = manager_client.patch(
        f"{API}/{voice_draft.pk}",
        {"voice_options": {"speed": ""}},
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    voice_draft.refresh_from_db()
    assert voice_draft.voice_options == {"language": "ru", "voice": "2", "tone": "good"}

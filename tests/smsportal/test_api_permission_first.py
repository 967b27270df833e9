"""A user who may not write is told so before the body is read: a 403, not the
validation errors of a request they may not make."""

import pytest

from accounts.services import api_token_create
from campaigns.models import Campaign
from contacts.models import Contact
from providers.models import ProviderAccount

pytestmark = pytest.mark.django_db


WRITES = [
    ("post", "/api/v1/contacts"),
    ("post", "/api/v1/contacts/import"),
    ("patch", "/api/v1/contacts/1"),
    ("post", "/api/v1/groups"),
    ("patch", "/api/v1/groups/1"),
    ("post", "/api/v1/groups/1/members"),
    ("post", "/api/v1/groups/1/members/remove"),
    ("post", "/api/v1/stoplist"),
    ("post", "/api/v1/campaigns"),
    ("patch", "/api/v1/campaigns/1"),
    ("post", "/api/v1/campaigns/1/launch"),
    ("post", "/api/v1/campaigns/1/sender"),
    ("post", "/api/v1/campaigns/1/test-send"),
    ("post", "/api/v1/messages"),
    ("post", "/api/v1/inbound/mark"),
    ("post", "/api/v1/inbound/1/answer"),
    ("post", "/api/v1/templates"),
    ("patch", "/api/v1/templates/1"),
    ("post", "/api/v1/greetings"),
    ("patch", "/api/v1/greetings/1"),
    ("post", "/api/v1/providers/1/senders"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("body", ['{"broken": ', '{"phone": 5, "ids": "x"}'])
def test_a_viewer_gets_403_whatever_the_body(viewer_api, method, path, body):
    response = getattr(viewer_api, method)(path, body, content_type="application/json")

    assert response.status_code == 403, (path, response.content)
    assert response.json() == {"detail": "You do not have permission to do this."}


def test_a_viewer_with_a_session_gets_403_too(viewer_client, settings):
    settings.LANGUAGE_CODE = "en"

    response = viewer_client.post(
        "/api/v1/contacts", "{", content_type="application/json"
    )

    assert response.status_code == 403


def test_a_manager_still_gets_the_body_checked(client, manager_user, settings):
    settings.LANGUAGE_CODE = "en"
    _token, raw = api_token_create(user=manager_user, name="test")

    response = client.post(
        "/api/v1/contacts",
        {"phone": 5},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    assert response.status_code == 422
    assert not Contact.objects.exists()
    assert not Campaign.objects.exists()
    assert not ProviderAccount.objects.exists()

"""Values longer than their column are refused with a message, never a 500."""

import pytest

from django.urls import reverse

from accounts.services import api_token_create
from campaigns.models import MessageTemplate
from contacts.models import Contact, ContactGroup, StopListEntry

pytestmark = pytest.mark.django_db

LONG = "x" * 400


def long_email(length: int) -> str:
    # A well-formed address: each label of the domain at most 63 characters.
    domain = ".".join(["d" * 60] * 4) + ".ru"
    return "a" * (length - len(domain) - 1) + "@" + domain


@pytest.fixture
def api(client, manager_user):
    _token, raw = api_token_create(user=manager_user, name="test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


@pytest.mark.parametrize("length", [255, 320])
def test_the_contact_page_refuses_a_too_long_email(manager_client, length, settings):
    settings.LANGUAGE_CODE = "en"
    email = long_email(length)
    assert len(email) == length

    response = manager_client.post(
        reverse("contacts:create"), {"phone": "+79123456789", "email": email}
    )

    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("contacts:create", {"phone": "+79123456789", "first_name": LONG}),
        ("contacts:create", {"phone": "+79123456789", "consent_source": LONG}),
        ("contacts:group_create", {"name": LONG}),
        ("contacts:stoplist", {"phone": "+79123456789", "reason": LONG}),
    ],
)
def test_pages_refuse_too_long_text(manager_client, url, data):
    response = manager_client.post(reverse(url), data)

    assert response.status_code == 200, response.status_code
    assert not Contact.objects.exists()
    assert not ContactGroup.objects.exists()
    assert not StopListEntry.objects.exists()
    assert not MessageTemplate.objects.exists()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/contacts", {"phone": "+79123456789", "email": long_email(300)}),
        ("/api/v1/contacts", {"phone": "+79123456789", "last_name": LONG}),
        ("/api/v1/contacts", {"phone": "+79123456789", "consent_source": LONG}),
        ("/api/v1/groups", {"name": LONG}),
        ("/api/v1/stoplist", {"phone": "+79123456789", "reason": LONG}),
        ("/api/v1/templates", {"name": LONG, "text": "x"}),
    ],
)
def test_the_api_refuses_too_long_text(api, path, body):
    response = api.post(path, body, content_type="application/json")

    assert response.status_code in (400, 422), response.content
    assert not Contact.objects.exists()
    assert not ContactGroup.objects.exists()
    assert not StopListEntry.objects.exists()
    assert not MessageTemplate.objects.exists()

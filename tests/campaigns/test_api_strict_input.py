"""A request field or list parameter the API does not take is refused with its name,
never ignored or quietly clamped."""

import pytest

from campaigns.models import Campaign, Reply
from contacts.models import Contact
from smsportal.api import api
from tests.campaigns.report_data import make_reply

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def test_a_misspelt_field_on_mark_is_refused_and_marks_nothing(manager_client, account):
    reply = make_reply(account, phone="+79120000001", text="Спасибо")

    response = manager_client.post(
        f"{API}/inbound/mark", {"ids": [reply.pk], "state": "bogus"},
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 400, response.content
    assert response.json()["where"] == "state"
    assert response.json()["detail"] == (
        "state: there is no such field here. The fields are: ids, read."
    )
    assert Reply.objects.get().is_read is False


def test_a_field_the_server_sets_says_it_cannot_be_set(manager_client, make_campaign):
    campaign = make_campaign(state=Campaign.State.DRAFT)

    response = manager_client.patch(
        f"{API}/campaigns/{campaign.pk}", {"state": "completed"},
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 400, response.content
    assert response.json() == {
        "detail": "state cannot be set here: the server sets it.",
        "where": "state",
    }
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"phone": "+79120000001", "bogus": 1}, "bogus"),
        ({"phone": "+79120000001", "id": 999}, "id"),
    ],
)
def test_a_contact_with_a_field_it_does_not_have_is_not_made(
    manager_client, body, where
):
    response = manager_client.post(
        f"{API}/contacts", body, content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["where"] == where
    assert not Contact.objects.exists()


def test_an_unknown_field_in_a_nested_object_is_named_with_its_parent(
    manager_client, make_campaign
):
    campaign = make_campaign(state=Campaign.State.DRAFT)

    response = manager_client.patch(
        f"{API}/campaigns/{campaign.pk}", {"voice_options": {"pitch": "low"}},
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 400, response.content
    assert response.json()["where"] == "voice_options.pitch"


def test_every_request_body_refuses_fields_it_does_not_have():
    spec = api.get_openapi_schema()
    schemas = spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in body:
                continue
            schema = body["application/json"]["schema"]
            # An optional body (launch's) is its schema or null.
            refs = [s["$ref"] for s in schema.get("anyOf", [schema]) if "$ref" in s]
            assert refs, (method, path)
            for ref in refs:
                name = ref.rsplit("/", 1)[-1]
                assert schemas[name].get("additionalProperties") is False, (
                    method,
                    path,
                )


@pytest.mark.parametrize("path", ["/contacts", "/stoplist", "/messages", "/inbound",
                                  "/campaigns"])  # fmt: skip
@pytest.mark.parametrize("limit", ["-1", "0", "501", "999999999999999999999"])
def test_a_page_size_out_of_range_is_a_400_naming_the_range(
    manager_client, path, limit
):
    response = manager_client.get(f"{API}{path}", {"limit": limit})

    assert response.status_code == 400, response.content
    assert response.json() == {
        "detail": "limit must be from 1 to 500.",
        "where": "limit",
    }


def test_a_negative_offset_is_a_400(manager_client):
    response = manager_client.get(f"{API}/campaigns", {"offset": "-1"})

    assert response.status_code == 400
    assert response.json() == {"detail": "offset must be 0 or more.", "where": "offset"}


def test_the_largest_page_is_still_served(manager_client):
    assert manager_client.get(f"{API}/contacts", {"limit": "500"}).status_code == 200

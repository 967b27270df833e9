"""PATCH with the version read (expected_version or If-Match): a record changed
since is refused with 409 and nothing saved; without one, PATCH saves as before.
Drafts, contacts, groups, templates and greetings alike."""

from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@dataclass
class Kind:
    path: str
    field: str  # one PATCH changes
    values: tuple[Any, Any, Any, Any]  # one per PATCH, each saved one new


def _kinds(account) -> dict[str, tuple[Kind, dict[str, Any]]]:
    """Each kind with the body that creates one."""
    return {
        "campaign": (
            Kind("/api/v1/campaigns", "name", ("A", "B", "C", "D")),
            {
                "name": "Draft",
                "account": account.pk,
                "sender": account.default_sender,
                "channel": "sms",
                "text": "Hello",
                "extra_numbers": "+79120000001",
                "time_zone": "Europe/Moscow",
            },
        ),  # fmt: skip
        "contact": (
            Kind("/api/v1/contacts", "first_name", ("Anna", "Boris", "Clara", "Dina")),
            {"phone": "+79120000002"},
        ),
        "group": (
            Kind("/api/v1/groups", "description", ("a", "b", "c", "d")),
            {"name": "Clients"},
        ),
        "template": (
            Kind("/api/v1/templates", "text", ("One", "Two", "Three", "Four")),
            {"name": "Sale", "text": "Hello"},
        ),
        "greeting": (
            Kind("/api/v1/greetings", "name", ("A", "B", "C", "D")),
            {
                "name": "Birthdays",
                "account": account.pk,
                "text": "{first_name}, hi!",
                "to_whole_book": True,
                "send_time": "09:15",
            },
        ),  # fmt: skip
    }


def patch(client, url: str, body: dict[str, Any], **headers: str):
    return client.patch(url, body, content_type="application/json", **headers)


@pytest.mark.parametrize(
    "kind_name", ["campaign", "contact", "group", "template", "greeting"]
)
def test_a_patch_on_an_older_version_is_refused_and_saves_nothing(
    kind_name, manager_client, manager_user, account
):
    kind, create = _kinds(account)[kind_name]
    created = manager_client.post(kind.path, create, content_type="application/json")
    assert created.status_code == 201, created.content
    url = f"{kind.path}/{created.json()['id']}"
    read = manager_client.get(url).json()["version"]
    first, second, third, fourth = kind.values

    saved = patch(manager_client, url, {kind.field: first, "expected_version": read})
    assert saved.status_code == 200, saved.content
    assert saved.json()["version"] == read + 1

    stale = patch(
        manager_client,
        url,
        {kind.field: second, "expected_version": read},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    stale_header = patch(
        manager_client, url, {kind.field: second}, HTTP_IF_MATCH=f'"{read}"'
    )
    assert (stale.status_code, stale_header.status_code) == (409, 409), stale.content
    assert stale.json()["where"] == "version"
    assert stale.json()["detail"].startswith("Nothing was saved:")
    assert f"its version is now {read + 1}" in stale.json()["detail"]
    if kind_name == "campaign":  # the one that keeps who changed it
        assert manager_user.get_username() in stale.json()["detail"]
    after = manager_client.get(url).json()
    assert (after[kind.field], after["version"]) == (first, read + 1)

    by_header = patch(
        manager_client, url, {kind.field: third}, HTTP_IF_MATCH=f'"{read + 1}"'
    )
    without = patch(manager_client, url, {kind.field: fourth})
    assert (by_header.status_code, without.status_code) == (200, 200)
    assert manager_client.get(url).json()[kind.field] == fourth


def test_a_garbled_if_match_is_refused_not_let_through(manager_client):
    created = manager_client.post(
        "/api/v1/groups", {"name": "G"}, content_type="application/json"
    )
    url = f"/api/v1/groups/{created.json()['id']}"

    response = patch(manager_client, url, {"description": "x"}, HTTP_IF_MATCH="abc")

    # A 400 saying what the header must be: a 409 sent the client to read the group
    # again for a conflict there never was.
    assert response.status_code == 400
    assert response.json()["where"] == "If-Match"
    assert manager_client.get(url).json()["description"] == ""


def test_if_match_star_matches_whatever_version_the_record_has(manager_client):
    created = manager_client.post(
        "/api/v1/groups", {"name": "G"}, content_type="application/json"
    )
    url = f"/api/v1/groups/{created.json()['id']}"
    patch(manager_client, url, {"description": "first"})

    response = patch(manager_client, url, {"description": "x"}, HTTP_IF_MATCH="*")

    assert response.status_code == 200, response.content
    assert manager_client.get(url).json()["description"] == "x"


def test_the_schema_documents_expected_version_if_match_and_version(viewer_client):
    document = viewer_client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    for path in ("/api/v1/campaigns/{campaign_id}", "/api/v1/contacts/{contact_id}",
                 "/api/v1/groups/{group_id}", "/api/v1/templates/{template_id}",
                 "/api/v1/greetings/{greeting_id}"):  # fmt: skip
        operation = document["paths"][path]["patch"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        fields = schemas[body["$ref"].rsplit("/", 1)[1]]["properties"]
        assert "refused with 409" in fields["expected_version"]["description"], path
        assert "If-Match" in [p["name"] for p in operation["parameters"]], path
        assert "409" in operation["responses"], path
        answer = operation["responses"]["200"]["content"]["application/json"]
        out = schemas[answer["schema"]["$ref"].rsplit("/", 1)[1]]
        assert "version" in out["required"], path

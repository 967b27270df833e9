"""What the API refuses before any app sees it: broken text, out-of-range values."""

import json

import pytest

from accounts.services import api_token_create
from campaigns.models import Campaign
from contacts.models import ContactGroup
from providers.models import ProviderAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(manager_api):
    return manager_api


@pytest.fixture
def account():
    return ProviderAccount.objects.create(
        name="Webcom", kind="webcom", base_url="http://127.0.0.1:9/webcom",
        default_sender="SMSPORTAL",
    )  # fmt: skip


def post(api, path: str, body: str):
    return api.post(path, body, content_type="application/json")


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/api/v1/templates", '{"name": "a\\udfffb", "text": "x"}', "name"),
        (
            "/api/v1/campaigns",
            '{"name": "\\ud83d", "text": "x", "sender": "SMSPORTAL"}',
            "name",
        ),
    ],
)
def test_half_a_surrogate_pair_in_a_name_is_a_400_naming_the_field(
    api, path, body, where, account
):
    """Names have no text check of their own: the write fails, and the API says
    which field (the fields that check their text say more: line and column)."""
    if path.endswith("campaigns"):
        body = body[:-1] + f', "account": {account.pk}}}'

    response = post(api, path, body)

    assert response.status_code == 400, response.content
    assert response.json()["where"] == where
    assert response.json()["detail"].startswith(f"{where}: holds half of a UTF-16")
    assert not ContactGroup.objects.exists()
    assert not Campaign.objects.exists()


def test_a_whole_surrogate_pair_is_an_emoji_and_goes_in(api):
    # "\ud83d\ude00" is 😀 written as JSON escapes: valid, and stored.
    response = post(api, "/api/v1/groups", json.dumps({"name": "Друзья 😀"}))

    assert response.status_code == 201, response.json()
    assert ContactGroup.objects.get().name == "Друзья 😀"


def test_a_date_that_leaves_the_calendar_is_a_400(api, account):
    # The last second of 9999 in UTC is in the year 10000 in Moscow, the campaign's
    # zone: reading the start there is Python's OverflowError, before any database.
    body = json.dumps(
        {"name": "Late", "account": account.pk, "sender": "SMSPORTAL", "text": "x",
         "start_at": "9999-12-31T23:59:59+00:00"}
    )  # fmt: skip

    response = post(api, "/api/v1/campaigns", body)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "A number or a date in the request is out of range.",
        "where": "start_at",
    }
    assert not Campaign.objects.exists()


def test_every_operation_documents_its_error_answers(api):
    spec = api.get("/api/v1/openapi.json").json()

    assert spec["components"]["schemas"]["Error"]["required"] == ["detail"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"400", "401", "403", "404"} <= documented, (method, path)
            if operation.get("parameters") or "requestBody" in operation:
                assert "422" in documented, (method, path)
            if "requestBody" in operation:
                assert "413" in documented, (method, path)


def test_a_path_the_api_does_not_have_is_a_json_404(api):
    wrong_id = api.get("/api/v1/contacts/not-a-number")
    page = api.get("/contacts/not-a-number/")

    assert wrong_id.status_code == 404
    assert wrong_id.json() == {"detail": "Not found."}
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_input_the_database_refuses_is_a_400_naming_no_internals(rf, settings):
    """What PostgreSQL refuses (NUL in text, a number out of its range) past every
    check before it: the client's error, not a 500."""
    from django.db import DataError

    from smsportal.api import api

    settings.LANGUAGE_CODE = "en"
    response = api.on_exception(rf.get("/api/v1/contacts"), DataError("boom"))

    assert response.status_code == 400
    assert json.loads(response.content) == {
        "detail": "The request contains a value that cannot be stored.",
        "where": None,  # no value of the request is one the database refuses
    }


def test_input_the_database_refuses_is_named_by_its_field(rf, settings):
    from django.db import DataError

    from smsportal.api import api

    settings.LANGUAGE_CODE = "en"
    request = rf.post("/api/v1/groups")
    request.parsed_body = {"name": "ok", "limits": [1, 2**40]}
    response = api.on_exception(request, DataError("integer out of range"))

    assert response.status_code == 400
    assert json.loads(response.content)["where"] == "limits.1"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"name": "x",\n "text" "y"}', "The request body is not valid JSON (line 2, column 9)."),
        (b'{"name": "\xcf\xf0\xe8"}', "The request body is not UTF-8 text."),
    ],
)  # fmt: skip
def test_a_body_that_is_not_json_is_a_400_in_words_with_the_place(api, body, detail):
    response = api.post("/api/v1/templates", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": detail}


def test_a_value_outside_an_enum_lists_the_choices_without_an_english_or(
    client, manager_user
):
    _token, raw = api_token_create(user=manager_user, name="test")
    response = client.get(
        "/api/v1/campaigns", {"state": "nope"},
        HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="ru",
    )  # fmt: skip

    assert response.status_code == 422
    message = response.json()["message"]
    assert "'draft'" in message
    assert " or " not in message


def test_a_body_over_the_size_limit_is_a_json_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"name": "' + "x" * 2000 + '", "text": "y"}'

    response = post(api, "/api/v1/templates", body)

    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request body is larger than")


def test_the_error_schema_documents_every_field_an_error_carries(api, account):
    """A campaign's 400 lists every problem by field: the schema says so."""
    spec = api.get("/api/v1/openapi.json").json()
    documented = set(spec["components"]["schemas"]["Error"]["properties"])
    response = post(
        api, "/api/v1/campaigns", json.dumps({"account": account.pk, "name": ""})
    )

    assert response.status_code == 400
    assert "errors" in response.json()
    assert set(response.json()) <= documented
    errors = spec["components"]["schemas"]["Error"]["properties"]["errors"]
    assert errors["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    assert "errors" not in spec["components"]["schemas"]["Error"]["required"]

"""Every API answer in the request's language and with its field: no English text
from ninja, pydantic or Python comes through."""

import pytest

from django.test import Client
from django.utils import translation

from smsportal.api_errors import explained

pytestmark = pytest.mark.django_db

CURSOR_REFUSED = "The cursor is not one this API gave out; start again without it."


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def in_russian(msgid: str) -> str:
    with translation.override("ru"):
        return translation.gettext(msgid)


def test_a_session_post_without_a_csrf_token_is_refused_in_words(manager_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_user)

    response = client.post(
        "/api/v1/groups", {"name": "Друзья"}, content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="ru",
    )  # fmt: skip

    assert response.status_code == 403
    assert response.json()["detail"] == in_russian(
        "The CSRF check failed: with a session, send the csrftoken cookie's value "
        "in the X-CSRFToken header, or use an API token."
    )


def test_a_body_nested_too_deeply_is_a_400_in_words(manager_client):
    response = manager_client.post(
        "/api/v1/groups", "[" * 100000, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request body nests arrays or objects too deeply."
    }


def test_a_date_parameter_given_a_time_names_it_in_russian(manager_client):
    response = manager_client.get(
        "/api/v1/contacts", {"created_after": "9999-12-31T23:59:59"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )  # fmt: skip

    assert response.status_code == 422
    expected = "created_after: " + in_russian("must be a date, YYYY-MM-DD")
    assert response.json()["message"] == expected


def test_a_nul_in_a_search_is_a_400_naming_the_parameter(manager_client):
    # As a NUL anywhere in a body: one answer, with `where` (contacts.api._no_nul).
    response = manager_client.get("/api/v1/contacts", {"q": "\x00"})

    assert response.status_code == 400
    assert response.json()["where"] == "q"
    assert response.json()["detail"].startswith("q: Character 1:")


def test_a_problem_without_words_of_its_own_is_still_not_pydantics_english():
    error = {"type": "brand_new_check", "loc": ("query", "x"), "msg": "Value error"}

    assert explained([error])["message"] == "x: is not a valid value"


@pytest.mark.parametrize("path", ["/api/v1/contacts", "/api/v1/messages",
                                  "/api/v1/inbound", "/api/v1/stoplist"])  # fmt: skip
def test_a_cursor_no_list_gave_out_is_the_same_400_everywhere(manager_client, path):
    response = manager_client.get(path, {"cursor": "not-a-cursor!"})

    assert response.status_code == 400
    assert response.json() == {"detail": CURSOR_REFUSED, "where": "cursor"}


@pytest.mark.parametrize(
    ("loc", "where"),
    [
        (["form", "groups", 0], "groups"),
        (["form", "update"], "update"),
        (["file", "file"], "file"),
        (["body", "payload", "include_groups", 1], "include_groups.1"),
        (["query", "limit"], "limit"),
    ],
)
def test_a_schema_problem_names_the_field_not_where_it_was_read(loc, where):
    answer = explained([{"type": "missing", "loc": loc, "msg": "Field required"}])

    assert answer["detail"][0]["message"].startswith(f"{where}: ")


def test_a_multipart_import_names_its_form_fields(client, manager_user, settings):
    from accounts.services import api_token_create

    settings.LANGUAGE_CODE = "en"
    _token, raw = api_token_create(user=manager_user, name="test")
    response = client.post(
        "/api/v1/contacts/import",
        {"groups": ["x"], "update": "maybe"},
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    assert response.status_code == 422
    messages = [entry["message"] for entry in response.json()["detail"]]
    assert "file: required" in messages
    assert "groups: must be a whole number" in messages
    assert "update: must be true or false" in messages

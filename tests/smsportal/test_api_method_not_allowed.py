"""A method an API path does not take is refused in JSON, in the request's language,
as the API's other errors are: ninja answered text/html "Method not allowed"."""

import pytest

from django.utils import translation

from accounts.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, admin_user):
    _token, raw = api_token_create(user=admin_user, name="test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


@pytest.mark.parametrize("path", ["/api/v1/campaigns/3", "/api/v1/me"])
def test_a_wrong_method_is_a_json_405(api, path):
    response = api.put(path, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    detail = response.json()["detail"]
    assert detail.startswith("The method PUT is not allowed here. Allowed: ")
    assert "GET" in response["Allow"]
    assert response["Allow"] in detail


def test_the_405_speaks_the_requests_language(api):
    response = api.put("/api/v1/me", HTTP_ACCEPT_LANGUAGE="ru")

    with translation.override("ru"):
        said = translation.gettext("The method %(method)s is not allowed here.")
    assert response.json()["detail"].startswith(said % {"method": "PUT"})


def test_pages_keep_their_405_page(admin_client):
    response = admin_client.get("/logout/")

    assert response.status_code == 405
    assert response["Content-Type"].startswith("text/html")

"""A query parameter the operation does not take is a 400 naming it, not ignored:
a misspelt filter used to widen the answer to everything."""

import pytest

from contacts.models import Contact

pytestmark = pytest.mark.django_db


def test_a_misspelt_filter_is_refused_naming_it_and_what_the_request_takes(
    manager_api,
):
    Contact.objects.create(phone="+79161234567")

    response = manager_api.get("/api/v1/messages?campagin=5")

    assert response.status_code == 400
    body = response.json()
    assert body["where"] == "campagin"
    assert body["detail"] == (
        "Unknown query parameter: campagin. This request takes: campaign, cursor, "
        "limit, phone, status."
    )
    export = manager_api.get("/api/v1/contacts/export?groups=3&formats=csv")
    assert export.status_code == 400
    assert export.json()["detail"].startswith(
        "Unknown query parameters: formats, groups."
    )


def test_declared_parameters_still_filter(manager_api):
    Contact.objects.create(phone="+79161234567", first_name="Анна")
    Contact.objects.create(phone="+79161234568", first_name="Борис")

    response = manager_api.get("/api/v1/contacts?q=Анна&limit=10")

    assert response.status_code == 200
    assert [c["first_name"] for c in response.json()["items"]] == ["Анна"]


def test_a_request_that_takes_none_says_so(manager_api):
    response = manager_api.get("/api/v1/me?verbose=1")

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Unknown query parameter: verbose. This request takes no query parameters."
    )


def test_a_stranger_gets_the_401_first(client):
    assert client.get("/api/v1/messages?campagin=5").status_code == 401


def test_a_bad_value_of_a_known_parameter_keeps_its_own_error(manager_api):
    response = manager_api.get("/api/v1/contacts?limit=abc&colour=red")

    assert response.status_code == 422


def test_an_operation_under_decorators_of_its_own_is_checked_too(manager_api):
    """The preview is marked by a decorator of its own (computes_only): the check
    finds the operation beneath it."""
    response = manager_api.post(
        "/api/v1/campaigns/1/preview?dry=1", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["where"] == "dry"

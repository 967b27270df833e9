"""Under /api/ every path without an object is the API's JSON 404, with DEBUG on too."""

import pytest

from contacts.models import Contact

pytestmark = pytest.mark.django_db

BIG = "99999999999999999999"  # past PostgreSQL's bigint


@pytest.fixture
def api(admin_api):
    return admin_api


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nonexistent",
        "/api/v1/contacts/abc",
        "/api/v1/contacts/-1",
        "/api/v1/contacts/0",
        f"/api/v1/contacts/{BIG}",
        "/api/v1/contacts/1.5",
        "/api/v1/imports/abc/rejected.csv",
        f"/api/v1/imports/{BIG}",
        "/api/v1/campaigns/abc",
        f"/api/v1/campaigns/{BIG}",
        f"/api/v1/campaigns/{BIG}/report",
        "/api/v1/campaigns/-1/report",
        f"/api/v1/templates/{BIG}",
        f"/api/v1/greetings/{BIG}",
        f"/api/v1/providers/{BIG}/senders",
        "/api/",
    ],
)
def test_a_path_without_an_object_is_a_json_404(api, settings, path, debug):
    settings.DEBUG = debug

    response = api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found."}


def test_an_existing_contact_is_still_found_by_its_id(api):
    contact = Contact.objects.create(phone="+79120000001")

    response = api.get(f"/api/v1/contacts/{contact.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == contact.pk


def test_a_post_to_a_path_the_api_does_not_have_is_a_json_404(api, settings):
    settings.DEBUG = True

    response = api.post("/api/v1/nonexistent", {}, content_type="application/json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}

"""A file past the import limit stops being stored as it arrives."""

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from accounts.services import api_token_create
from contacts.models import ImportJob

pytestmark = pytest.mark.django_db

LIMIT = 2_000


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.SMSPORTAL_IMPORT_MAX_BYTES = LIMIT


def test_the_parser_stops_storing_a_file_at_the_limit():
    big = SimpleUploadedFile("big.csv", b"89123456789\n" * 1_000)  # 12,000 bytes
    request = RequestFactory().post(
        "/contacts/import/", {"csrfmiddlewaretoken": "x", "file": big}
    )

    assert "file" not in request.FILES
    assert request.upload_refused == ("big.csv", LIMIT)
    assert request.POST["csrfmiddlewaretoken"] == "x"  # the fields before it are read


def test_a_file_within_the_limit_is_stored():
    small = SimpleUploadedFile("small.csv", b"89123456789\n" * 100)
    request = RequestFactory().post("/contacts/import/", {"file": small})

    assert request.FILES["file"].size == 1_200
    assert not hasattr(request, "upload_refused")


def test_the_import_page_says_the_file_is_too_large(manager_client):
    big = SimpleUploadedFile("big.csv", b"89123456789\n" * 1_000)

    response = manager_client.post(
        reverse("contacts:import"), {"file": big}, HTTP_ACCEPT_LANGUAGE="en"
    )

    page = response.content.decode()
    assert "big.csv is larger than 2.0\xa0KB, the largest file that can be" in page
    assert "This field is required" not in page
    assert not ImportJob.objects.exists()


def test_the_api_says_the_file_is_too_large(client, manager_user):
    _token, raw = api_token_create(user=manager_user, name="test")
    big = SimpleUploadedFile("big.csv", b"89123456789\n" * 1_000)

    response = client.post(
        "/api/v1/contacts/import",
        {"file": big},
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["where"] == "file"
    assert body["detail"].startswith("big.csv is larger than 2.0\xa0KB")
    assert not ImportJob.objects.exists()

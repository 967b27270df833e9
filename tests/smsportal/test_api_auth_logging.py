"""Credentials sent to the API never reach the log, whatever their scheme."""

import logging

import pytest

from accounts.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("header", "secret"),
    [
        ("Basic YWRtaW46czNjcmV0LVBhc3N3MHJk", "YWRtaW46czNjcmV0"),
        ("Token sp_TYkO4abcdefghijklmnop", "TYkO4abcdefghijklmnop"),
        ("sp_TYkO4abcdefghijklmnop", "TYkO4abcdefghijklmnop"),
        ("Digest username=admin, response=9f8e7d6c5b4a", "9f8e7d6c5b4a"),
    ],
)
def test_a_header_of_another_scheme_is_refused_and_never_logged(
    client, settings, caplog, header, secret
):
    settings.DEBUG = True  # ninja logs the whole header only then
    caplog.set_level(logging.DEBUG)

    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert secret not in caplog.text
    assert not any(secret in str(record.args) for record in caplog.records)


def test_a_bearer_token_with_a_lowercase_scheme_still_authenticates(
    client, manager_user
):
    _token, raw = api_token_create(user=manager_user, name="test")

    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"bearer {raw}")

    assert response.status_code == 200
    assert response.json()["username"] == manager_user.username

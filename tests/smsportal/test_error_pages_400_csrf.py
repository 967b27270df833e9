"""The CSRF-failure and 400 pages: the project's look, the reader's language, what to
do next, and nothing of Django's stock text or of what went wrong."""

import pytest

from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
STOCK_TEXTS = ("DEBUG", "CSRF verification failed", "Bad Request (400)", "<style")


def _csrf_refused(language: str, user=None):
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
        return client.post(reverse("contacts:create"), HTTP_ACCEPT_LANGUAGE=language)
    return client.post(
        reverse("login"),
        {"username": "someone", "password": "x"},
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_refused_form_explains_what_to_do_in_the_readers_language(settings, language):
    """Django's page was English, unstyled under the CSP, and ended with a hint to
    switch DEBUG on."""
    settings.DEBUG = False

    response = _csrf_refused(language)

    html = response.content.decode()
    assert response.status_code == 403
    assert f'<html lang="{language}">' in html
    assert 'data-error="403-csrf"' in html
    assert "bootstrap.min.css" in html
    if language == "en":
        for text in ("The form was not sent", "reload the page", "accepts cookies"):
            assert text in html
    for stock in STOCK_TEXTS:
        assert stock not in html


def test_a_signed_in_user_keeps_the_navigation_on_a_refused_form(
    settings, manager_user
):
    settings.DEBUG = False

    response = _csrf_refused("en", user=manager_user)

    html = response.content.decode()
    assert response.status_code == 403
    assert 'data-error="403-csrf"' in html
    assert reverse("contacts:list") in html
    assert "CSRF token" not in html


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_bad_request_page_stands_alone_in_the_readers_language(
    client, settings, language
):
    """Django's stock 400 was one English line, and said nothing of what to do."""
    settings.DEBUG = False

    response = client.get(
        "/", HTTP_HOST="not-ours.example", HTTP_ACCEPT_LANGUAGE=language
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert f'<html lang="{language}">' in html
    assert 'data-error="400"' in html
    assert "bootstrap.min.css" in html
    if language == "en":
        for text in ("The request could not be read", "Reload the page", "cookies"):
            assert text in html
    for stock in (*STOCK_TEXTS, "not-ours.example", "ALLOWED_HOSTS"):
        assert stock not in html


def test_a_bad_request_to_the_api_is_answered_in_json(client, settings):
    """A Host header the site does not serve, on an API path: an HTML page no API
    client reads (the API fuzzer found it)."""
    settings.DEBUG = False

    response = client.post("/api/v1/campaigns/1/pause", HTTP_HOST="not-ours.example")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "not-ours.example" not in response.content.decode()
    assert response.json()["detail"]

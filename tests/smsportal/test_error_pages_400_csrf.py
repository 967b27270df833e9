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


def _login_refused(**extra):
    return Client(enforce_csrf_checks=True).post(
        reverse("login"), {"username": "someone", "password": "x"},
        HTTP_ACCEPT_LANGUAGE="en", **extra,
    )  # fmt: skip


def test_a_site_opened_over_http_with_https_only_cookies_says_so(settings, caplog):
    """Production per the README (DEBUG off: HTTPS-only cookies) opened over plain
    HTTP: the browser drops the cookies, every sign-in was refused, and the page
    blamed a stale page and the browser's cookie settings."""
    settings.DEBUG = False
    settings.CSRF_COOKIE_SECURE = True
    settings.ALLOWED_HOSTS = ["sms.example.ru", "127.0.0.1"]

    over_http = _login_refused(HTTP_HOST="sms.example.ru").content.decode()
    over_https = _login_refused(HTTP_HOST="sms.example.ru", secure=True)
    loopback = _login_refused(HTTP_HOST="127.0.0.1:8000").content.decode()

    assert "opened over HTTP" in over_http
    assert "CSRF_COOKIE_SECURE=false" in over_http
    assert "reload the page" not in over_http
    assert "Forms refused at sms.example.ru" in caplog.text
    # Over HTTPS, and on a loopback address (browsers keep the cookie there), the
    # refusal has its usual causes.
    assert "reload the page" in over_https.content.decode()
    assert "opened over HTTP" not in loopback


def test_no_https_hint_where_the_cookies_are_not_https_only(settings):
    settings.DEBUG = False
    settings.CSRF_COOKIE_SECURE = False
    settings.ALLOWED_HOSTS = ["sms.example.ru"]

    html = _login_refused(HTTP_HOST="sms.example.ru").content.decode()

    assert "opened over HTTP" not in html
    assert "reload the page" in html

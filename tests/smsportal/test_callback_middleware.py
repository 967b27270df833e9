"""Gateway callbacks skip the page-only middleware; pages and security are unchanged."""

import pytest

from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from smsportal.middleware import is_callback


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/callbacks/abc/status/", True),
        ("/callbacks/abc/incoming/", True),
        ("/callbacks", False),
        ("/api/v1/callbacks/", False),
        ("/campaigns/callbacks/", False),
        ("/", False),
    ],
)
def test_is_callback(path, expected):
    assert is_callback(RequestFactory().get(path)) is expected


@pytest.mark.django_db
def test_callbacks_get_no_session_user_or_negotiated_language(client):
    client.cookies["sessionid"] = "whatever"
    response = client.post("/callbacks/no-such-token/status/", data=b"<x/>",
                           content_type="text/xml", HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 404
    request = response.wsgi_request
    assert not hasattr(request, "session")
    assert not hasattr(request, "user")
    assert request.LANGUAGE_CODE == settings.LANGUAGE_CODE
    assert "Accept-Language" not in response.headers.get("Vary", "")
    assert not response.cookies


@pytest.mark.django_db
def test_callbacks_keep_the_security_headers(client):
    response = client.post("/callbacks/no-such-token/status/", data=b"<x/>",
                           content_type="text/xml")  # fmt: skip
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_pages_still_negotiate_language_and_have_a_session(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.headers["Content-Language"] == "en"
    assert hasattr(response.wsgi_request, "session")
    assert hasattr(response.wsgi_request, "user")
    assert "csrftoken" in response.cookies
